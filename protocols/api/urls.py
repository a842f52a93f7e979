"""API routes of the protocols app (mounted under /api/)."""
from django.urls import include, path
from rest_framework.routers import DefaultRouter

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False

urlpatterns = router.urls + [
    path("", include("protocols.board.api.urls")),
]
