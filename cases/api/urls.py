"""API routes of the cases app (mounted under /api/): cases, consents, legal bases."""
from rest_framework.routers import DefaultRouter

from cases.api.consent_views import ConsentViewSet, DisclosureBasisViewSet
from cases.api.views import CaseViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("consents", ConsentViewSet, basename="consent")
router.register("legal-bases", DisclosureBasisViewSet, basename="disclosure-basis")
router.register("cases", CaseViewSet, basename="case")

urlpatterns = router.urls
