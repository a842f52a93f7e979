"""Read-only case API: lists only what the case policy (``cases/policy.py``) lets the user see; a case she may
not see answers 404, exactly like one that does not exist."""
from __future__ import annotations

from django.db.models import Prefetch
from rest_framework import viewsets

from cases import selectors as case_selectors
from cases.api.audited import AuditedReadMixin
from cases.api.serializers import CaseDetailSerializer, CaseSerializer
from cases.models import CaseTeamMember, FamilyMember
from permissions import audit


class CaseViewSet(AuditedReadMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = CaseSerializer
    audit_object_type, audit_action, audit_retrieve = "conferences.case", "case", False  # get_object records

    def audit_rows(self, objects):
        return [(case.pk, case.pk) for case in objects]

    def get_queryset(self):
        return case_selectors.cases_for_list(self.request.user)

    def get_object(self):
        case = case_selectors.get_case_for_user(self.request.user, self.kwargs["pk"], channel=audit.Channel.API)
        team = CaseTeamMember.objects.select_related("organisation", "user")
        return (
            type(case).objects.filter(pk=case.pk)
            .select_related("network", "lead_organisation")
            .prefetch_related(Prefetch("team", queryset=team),
                              Prefetch("family_members", queryset=case_selectors.family_read_by(
                                  self.request.user, FamilyMember.objects.order_by("pk"))))
            .get()
        )

    def get_serializer_class(self):
        return CaseDetailSerializer if self.action == "retrieve" else CaseSerializer
