"""API routes for the board (mounted under /api/ through protocols/api/urls.py)."""
from rest_framework.routers import DefaultRouter

from protocols.board.api.views import HalfYearSummaryViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("board/summaries", HalfYearSummaryViewSet, basename="board-summary")

urlpatterns = router.urls
