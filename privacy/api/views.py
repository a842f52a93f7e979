"""POST /api/restricted-reads/: read a restricted person's data with a reason (GDPR Art. 18).
Normal reads (``/api/protocol-items/``, ``/api/consents/``) leave that data out."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from permissions import audit
from privacy import selectors, services
from privacy.api import serializers as s


class RestrictedReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.RestrictedReadRequestSerializer,
                   responses={200: s.RestrictedReadSerializer, 400: OpenApiResponse(description="No reason given"),
                              404: OpenApiResponse(description="No restriction on a case of yours")})
    def post(self, request):
        data = s.RestrictedReadRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        restriction = selectors.get_restriction_for_reader(request.user, data.validated_data["restriction"])
        try:
            read = services.restricted_read(request.user, restriction=restriction, reason=data.validated_data["reason"],
                                            channel=audit.Channel.API)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
        body = s.RestrictedReadSerializer({"restriction": restriction.pk, "items": read["items"], "actions": read["actions"],
                                         "reports": read["reports"], "consents": read["consents"],
                                         "access_needs": read["access_needs"]})
        return Response(body.data, status=status.HTTP_200_OK)
