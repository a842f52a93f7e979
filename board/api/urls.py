"""API routes of the board (mounted under /api/ in config/urls.py; the paths are unchanged)."""
from rest_framework.routers import DefaultRouter

from board.api.views import HalfYearSummaryViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("board/summaries", HalfYearSummaryViewSet, basename="board-summary")

urlpatterns = router.urls
