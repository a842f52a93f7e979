"""API routes of the participants app (mounted under /api/)."""
from rest_framework.routers import DefaultRouter

from participants.api.views import ConsentViewSet, DisclosureBasisViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("consents", ConsentViewSet, basename="consent")
router.register("legal-bases", DisclosureBasisViewSet, basename="disclosure-basis")

urlpatterns = router.urls
