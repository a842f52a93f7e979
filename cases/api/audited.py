"""Every list and detail response of case content through the API is one audit event.

Moved from ``permissions/drf.py`` (issue 14): the basis of a read ("family" for a parent's own
case, "team" for the case team) is the case policy's (``cases/policy.py``), and the viewsets that
use these mixins (cases, conferences, protocols) all sit at or above ``cases``.
"""
from __future__ import annotations

from rest_framework.response import Response

from cases import policy as cases_policy
from permissions import audit


class AuditedListMixin:
    """Every list and detail response of case content is one audit event (``audit.record_read``):
    the ids it returned, their case(s) and the legal basis of each. No write per row.

    A viewset names ``audit_object_type`` (e.g. ``"protocols.protocolitem"``) and ``audit_action``
    (``"<thing>"``: events are ``<thing>.list`` and ``<thing>.read``), and overrides
    ``audit_rows`` (id and case id of each object) and ``audit_bases`` where the basis is not simply
    "team" or "family". ``audit_retrieve = False`` where ``get_object`` already records the read.
    """

    audit_object_type = ""
    audit_action = ""
    audit_retrieve = True

    def audit_rows(self, objects) -> list[tuple[int, int | None]]:
        return [(obj.pk, obj.case_id) for obj in objects]

    def audit_bases(self, objects, rows) -> dict[int, str]:
        by_case = cases_policy.case_bases(self.request.user, {case for _, case in rows if case})
        return {pk: by_case.get(case, "") for pk, case in rows}

    def prepare_objects(self, objects: list) -> list:
        """The listed objects before they are serialized (e.g. caches filled from their own row)."""
        return objects

    def audit_read(self, objects, *, many: bool) -> None:
        rows = self.audit_rows(objects)
        audit.record_read(self.request.user, action=f"{self.audit_action}.{'list' if many else 'read'}",
                          object_type=self.audit_object_type, rows=rows, bases=self.audit_bases(objects, rows),
                          many=many, channel=audit.Channel.API)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        objects = self.prepare_objects(list(page if page is not None else queryset))
        data = self.get_serializer(objects, many=True).data
        self.audit_read(objects, many=True)
        return self.get_paginated_response(data) if page is not None else Response(data)


class AuditedReadMixin(AuditedListMixin):
    """``AuditedListMixin`` for a viewset that also shows one object."""

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        data = self.get_serializer(obj).data
        if self.audit_retrieve:
            self.audit_read([obj], many=False)
        return Response(data)
