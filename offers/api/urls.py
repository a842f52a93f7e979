"""API routes of the offers app (mounted under /api/)."""
from rest_framework.routers import DefaultRouter

from offers.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("offers", views.OfferViewSet, basename="offer")
router.register("referrals", views.ReferralViewSet, basename="referral")
router.register("support-requests", views.SupportRequestViewSet, basename="support-request")
router.register("case-managers", views.CaseManagerViewSet, basename="case-manager")
router.register("enrolments", views.EnrolmentViewSet, basename="enrolment")
router.register("sessions", views.SessionViewSet, basename="offer-session")
router.register("contact-requests", views.ContactRequestViewSet, basename="contact-request")

urlpatterns = router.urls
