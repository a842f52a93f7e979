"""Offers API: the public directory (no sign-in), the status of referrals, requests to the
central case manager (consultations and referrals of clients), enrolments, sessions and contact
requests. Thin viewsets over the ``offers.access`` selectors and the services (channel "api");
an object the user may not see is a 404; every list and read is audited."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from offers import access, selectors
from offers import contact_services as cs
from offers import referral_selectors as rsel
from offers import referral_services as rs
from offers import track_services as ts
from offers.api import serializers as s
from offers.models import CentralCaseManager, ContactRequest, Enrolment, Referral, Session, SupportRequest
from participants.models import User
from permissions import audit, conflicts
from permissions.audit import Channel
from permissions.drf import MAX_DB_INT, BoundedLimitOffsetPagination


@extend_schema_view(list=extend_schema(
                        summary="The directory of offers (public offers for anyone; network-only offers for its professionals)",
                        parameters=[
                            OpenApiParameter("country", str, enum=["all", "DE", "DK"],
                                             description="Only offers of networks in this country (default: every country)"),
                            OpenApiParameter("network", str, description="Only offers of the network with this short name (slug)"),
                        ]),
                    retrieve=extend_schema(summary="One offer of the directory"))
class OfferViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.OfferSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return selectors.directory(self.request.user, selectors.DirectoryFilter.from_query(self.request.query_params))

    def get_object(self):
        return selectors.get_offer_for_user(self.request.user, self.kwargs["pk"])


@extend_schema_view(list=extend_schema(summary="Referrals the user made, receives, or asked for (status; content only with consent)"),
                    retrieve=extend_schema(summary="One referral"))
class ReferralViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ReferralSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Referral.objects.none()
        user = self.request.user
        return access.with_content_visible(user, access.referrals_for(user).select_related("offer")).order_by("-created_at", "-pk")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        ids = [row["id"] for row in response.data.get("results", response.data)]
        audit.record(request.user, action="referral.list", object_type="offers.referral", channel=Channel.API, detail={"ids": ids})
        return response

    def get_object(self):
        try:
            pk = int(self.kwargs["pk"])
        except (TypeError, ValueError):
            raise Http404 from None
        referral = self.get_queryset().filter(pk=pk).first()
        if referral is None:
            raise Http404
        audit.record(self.request.user, action="referral.read" if referral.content_visible else "referral.read_status",
                     obj=referral, case_id=referral.case_id, channel=Channel.API)
        return referral


# --- requests to the central case manager, enrolments, sessions, contact requests ------------------

API = Channel.API


def _as_drf(exc: DjangoValidationError) -> drf_serializers.ValidationError:
    if hasattr(exc, "error_dict"):
        return drf_serializers.ValidationError({k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()})
    return drf_serializers.ValidationError({"non_field_errors": exc.messages})


def _pk(value) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk <= MAX_DB_INT:
        raise Http404
    return pk


class _AuditedOffersViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """List and detail over an ``offers.access`` selector: a row the user may not see is a 404;
    each list and each read is one audit event (``<audit_action>.list`` / ``.read``)."""

    permission_classes = [IsAuthenticated]
    pagination_class = BoundedLimitOffsetPagination
    audit_action = ""
    audit_object_type = ""

    def visible(self):
        """The selector's queryset for ``self.request.user``; every subclass names its selector."""
        raise NotImplementedError(f"{type(self).__name__} must name its offers.access selector")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return self.visible_model.objects.none()
        return self.visible()

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        ids = [row["id"] for row in response.data.get("results", response.data)]
        audit.record(request.user, action=f"{self.audit_action}.list", object_type=self.audit_object_type, channel=API,
                     detail={"ids": ids})
        return response

    def get_object(self):
        obj = self.get_queryset().filter(pk=_pk(self.kwargs["pk"])).first()
        if obj is None:
            raise Http404
        return obj

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        audit.record(request.user, action=f"{self.audit_action}.read", obj=obj, case_id=getattr(obj, "case_id", None), channel=API)
        return Response(self.get_serializer(obj).data)


KIND_PARAMETER = OpenApiParameter("kind", enum=list(SupportRequest.Kind.values), required=False,
                                  description="Only consultations or only referrals of clients.")


@extend_schema_view(list=extend_schema(summary="Requests to a central case manager the user sent or received "
                                               "(anonymous consultations and referrals of clients)",
                                       parameters=[KIND_PARAMETER]),
                    retrieve=extend_schema(summary="One request with its conversation"),
                    create=extend_schema(summary="Ask a central case manager of the user's network",
                                         request=s.SupportRequestCreateSerializer, responses={201: s.SupportRequestDetailSerializer}))
class SupportRequestViewSet(_AuditedOffersViewSet, mixins.CreateModelMixin):
    visible_model = SupportRequest
    audit_action, audit_object_type = "support_request", "offers.supportrequest"

    def get_serializer_class(self):
        return s.SupportRequestDetailSerializer if self.action != "list" else s.SupportRequestSerializer

    def visible(self):
        requests = rsel.requests_for_list(self.request.user).select_related("network")
        if self.action == "list":
            kind = self.request.query_params.get("kind")
            if kind not in (None, "", *SupportRequest.Kind.values):
                raise drf_serializers.ValidationError({"kind": [_("Choose consultation or referral.")]})
            if kind:
                requests = requests.filter(kind=kind)
        return requests

    def get_object(self):
        obj = super().get_object()
        return rsel.get_request_for_user(self.request.user, obj.pk, channel=API)

    def retrieve(self, request, *args, **kwargs):  # get_request_for_user records the read
        return Response(s.SupportRequestDetailSerializer(self.get_object()).data)

    def create(self, request, *args, **kwargs):
        data = s.SupportRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        case_manager = rsel.case_managers_for(request.user, including_herself=True).filter(pk=values.pop("case_manager")).first()
        if case_manager is None:
            raise drf_serializers.ValidationError({"case_manager": [_("Choose a case manager of your network.")]})
        organisation = selectors.staff_organisations(request.user).filter(pk=values.pop("sender_organisation")).first()
        if organisation is None:
            raise drf_serializers.ValidationError({"sender_organisation": [_("Choose an organisation you work for.")]})
        try:
            sent = rs.support_request_send(request.user, case_manager=case_manager, sender_organisation=organisation,
                                           channel=API, **values)
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None
        return Response(s.SupportRequestDetailSerializer(sent).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Write in the conversation (its sender or its case manager)", request=s.MessageCreateSerializer,
                   responses={201: s.SupportRequestDetailSerializer})
    @action(detail=True, methods=["post"])
    def messages(self, request, pk=None):
        support_request = self.get_object()
        data = s.MessageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            rs.support_message_add(request.user, request=support_request, text=data.validated_data["text"], channel=API)
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None
        support_request.refresh_from_db()
        return Response(s.SupportRequestDetailSerializer(support_request).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Close the conversation (its referrals go on)", request=None, responses=s.SupportRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        support_request = rs.support_request_close(request.user, request=self.get_object(), channel=API)
        return Response(s.SupportRequestDetailSerializer(support_request).data)


    @extend_schema(summary="Send a request whose case manager left to another case manager of its network (its sender; "
                           "the old conversation is closed)", request=s.SendOnSerializer,
                   responses={201: s.SupportRequestDetailSerializer})
    @action(detail=True, methods=["post"], url_path="send-on")
    def send_on(self, request, pk=None):
        support_request = self.get_object()
        data = s.SendOnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case_manager = rsel.case_managers_for(request.user, including_herself=True).filter(
            pk=data.validated_data["case_manager"], network_id=support_request.network_id).first()
        if case_manager is None:
            raise drf_serializers.ValidationError({"case_manager": [_("Choose a case manager of your network.")]})
        try:
            sent = rs.support_request_send_on(request.user, request=support_request, case_manager=case_manager, channel=API)
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None
        return Response(s.SupportRequestDetailSerializer(sent).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(summary="Central case managers the user may write to (those of her networks)"))
class CaseManagerViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    serializer_class = s.CaseManagerSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = BoundedLimitOffsetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CentralCaseManager.objects.none()
        return rsel.case_managers_for(self.request.user)


@extend_schema_view(list=extend_schema(summary="Enrolments in the tracks of the user's organisations"),
                    retrieve=extend_schema(summary="One enrolment"),
                    create=extend_schema(summary="Enrol a family in a track (from an accepted referral or directly)",
                                         request=s.EnrolmentCreateSerializer, responses={201: s.EnrolmentSerializer}))
class EnrolmentViewSet(_AuditedOffersViewSet, mixins.CreateModelMixin):
    serializer_class = s.EnrolmentSerializer
    visible_model = Enrolment
    audit_action, audit_object_type = "enrolment", "offers.enrolment"

    def visible(self):
        return access.enrolments_for(self.request.user).select_related("offer", "referral").order_by("-enrolled_on", "-pk")

    def create(self, request, *args, **kwargs):
        data = s.EnrolmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        offer = access.offers_managed_by(request.user).filter(pk=values.pop("offer")).first()
        if offer is None:
            raise drf_serializers.ValidationError({"offer": [_("Choose a track of your organisation.")]})
        referral_pk = values.pop("referral")
        referral = None
        if referral_pk is not None:
            referral = access.referrals_for(request.user).filter(pk=referral_pk).first()
            if referral is None:
                raise drf_serializers.ValidationError({"referral": [_("Choose an accepted referral to this track.")]})
        try:
            enrolment = ts.enrolment_create(request.user, offer=offer, referral=referral, channel=API, **values)
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None
        return Response(s.EnrolmentSerializer(enrolment).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Complete the enrolment, or end it early with a reason", request=s.EnrolmentEndSerializer,
                   responses=s.EnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        enrolment = self.get_object()
        data = s.EnrolmentEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            enrolment = ts.enrolment_end(request.user, enrolment=enrolment, completed=data.validated_data["outcome"] == "completed",
                                         reason=data.validated_data["reason"], channel=API)
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None
        return Response(s.EnrolmentSerializer(enrolment).data)


@extend_schema_view(list=extend_schema(summary="Sessions of the enrolments in the tracks of the user's organisations"),
                    retrieve=extend_schema(summary="One session"),
                    create=extend_schema(summary="Schedule a session (it lands in the staff member's calendar)",
                                         request=s.SessionCreateSerializer, responses={201: s.SessionSerializer}))
class SessionViewSet(_AuditedOffersViewSet, mixins.CreateModelMixin):
    serializer_class = s.SessionSerializer
    visible_model = Session
    audit_action, audit_object_type = "session", "offers.session"

    def visible(self):
        return access.sessions_for(self.request.user).select_related("staff", "enrolment__offer").order_by("starts_at", "pk")

    def create(self, request, *args, **kwargs):
        data = s.SessionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        enrolment = access.enrolments_for(request.user).select_related("offer").filter(pk=values.pop("enrolment")).first()
        if enrolment is None:
            raise drf_serializers.ValidationError({"enrolment": [_("Choose an enrolment of your organisation.")]})
        staff = User.objects.filter(pk=values.pop("staff"), is_active=True).first()
        if staff is None:
            raise drf_serializers.ValidationError({"staff": [_("Choose a staff member of the organisation.")]})
        try:
            session = ts.session_schedule(request.user, enrolment=enrolment, staff=staff, channel=API, **values)
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None
        return Response(s.SessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Record whether the family came", request=s.AttendanceSerializer,
                   responses={200: s.SessionSerializer,
                              409: OpenApiResponse(s.SessionConflictSerializer,
                                                   description="Recorded differently, or cancelled, meanwhile: not saved")})
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        session = self.get_object()
        data = s.AttendanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            saved = ts.session_attendance(
                request.user, enrolment=session.enrolment, attendance={session.pk: data.validated_data["attended"]},
                based_on=ts.session_attendance_based_on([(session.pk, data.validated_data["based_on"])]), channel=API)
        except conflicts.EditConflict as exc:
            return Response({"detail": exc.messages[0], "current": s.SessionSerializer(self.get_object()).data},
                            status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None
        if saved.not_saved:
            return Response({"detail": _("This session was cancelled meanwhile, so what you recorded for it was not saved."),
                             "current": s.SessionSerializer(self.get_object()).data}, status=status.HTTP_409_CONFLICT)
        return Response(s.SessionSerializer(self.get_object()).data)

    @extend_schema(summary="Cancel the session (the staff member receives a cancellation)", request=None,
                   responses=s.SessionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        try:
            session = ts.session_cancel(request.user, session=self.get_object(), channel=API)
        except DjangoValidationError as exc:
            raise _as_drf(exc) from None
        return Response(s.SessionSerializer(session).data)


@extend_schema_view(list=extend_schema(summary="Contact requests from the public pages of the user's organisations' offers"),
                    retrieve=extend_schema(summary="One contact request"))
class ContactRequestViewSet(_AuditedOffersViewSet):
    serializer_class = s.ContactRequestSerializer
    visible_model = ContactRequest
    audit_action, audit_object_type = "contact_request", "offers.contactrequest"

    def visible(self):
        return access.contact_requests_for(self.request.user).select_related("offer").order_by("handled_at", "created_at", "pk")

    @extend_schema(summary="Mark as handled (she was contacted); it is deleted after the network's period",
                   request=None, responses=s.ContactRequestSerializer)
    @action(detail=True, methods=["post"])
    def handle(self, request, pk=None):
        item = cs.contact_request_handle(request.user, request=self.get_object(), channel=API)
        return Response(s.ContactRequestSerializer(item).data)
