"""API routes included by conferences/api/urls.py."""
from rest_framework.routers import DefaultRouter

from conferences.api.scheduling_views import ConferenceViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("conferences", ConferenceViewSet, basename="conference")

urlpatterns = router.urls
