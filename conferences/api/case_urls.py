"""API routes included by conferences/api/urls.py."""
from rest_framework.routers import DefaultRouter

from conferences.api.case_views import CaseViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("cases", CaseViewSet, basename="case")

urlpatterns = router.urls
