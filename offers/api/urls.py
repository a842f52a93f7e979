"""API routes of the offers app (mounted under /api/)."""
from rest_framework.routers import DefaultRouter

from offers.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("offers", views.OfferViewSet, basename="offer")
router.register("referrals", views.ReferralViewSet, basename="referral")

urlpatterns = router.urls
