"""API routes of the protocols app (mounted under /api/)."""
from rest_framework.routers import DefaultRouter

from protocols.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("protocols", views.ProtocolViewSet, basename="protocol")
router.register("protocol-items", views.ProtocolItemViewSet, basename="protocol-item")
router.register("amendments", views.AmendmentViewSet, basename="protocol-amendment")
router.register("acknowledgements", views.AcknowledgementViewSet, basename="protocol-acknowledgement")
router.register("actions", views.AgreedActionViewSet, basename="agreed-action")

urlpatterns = router.urls
