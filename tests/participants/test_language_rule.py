"""One rule for the language of what is written for someone else (``participants.language``):
her own setting; a family member's recorded language, her interpreter's, her case's network; a
professional's message's network, else the networks she works in; else the default."""
from __future__ import annotations

import pytest
from django.core import mail

from cases.models import FamilyMember
from participants import admin_services, language
from participants.models import Membership, Network, NetworkRole, ProfessionalRole, User

pytestmark = pytest.mark.django_db


def _danish(world) -> None:
    Network.objects.filter(pk=world.network.pk).update(country="DK", time_zone="Europe/Copenhagen")
    world.network.refresh_from_db()
    world.case.refresh_from_db()


def test_a_danish_caseworker_without_a_setting_gets_the_admins_password_link_in_danish(world, django_capture_on_commit_callbacks):
    _danish(world)
    assert world.convenor.preferred_language == ""
    with django_capture_on_commit_callbacks(execute=True):
        admin_services.password_reset_link_send(world.admin, user=world.convenor)
    letter, = mail.outbox
    assert letter.to == [world.convenor.email]
    assert letter.subject == "Vælg din adgangskode til Fallkonferenz"


def test_her_own_setting_comes_first_even_in_a_danish_network(world):
    _danish(world)
    User.objects.filter(pk=world.convenor.pk).update(preferred_language="de")
    world.convenor.refresh_from_db()
    assert language.for_user(world.convenor) == "de"
    assert language.for_user(world.convenor, network=world.network, case_id=world.case.pk) == "de"


def test_a_professional_is_written_to_in_the_language_of_the_networks_she_works_in(world, settings):
    assert language.for_user(world.foreign_professional) == "da"  # her only network is Danish
    assert language.for_user(world.convenor) == settings.LANGUAGE_CODE
    # a board seat or coordinator role counts as work in the network too
    NetworkRole.objects.create(user=world.board_member, network=world.other_network, role=NetworkRole.Role.COORDINATOR)
    NetworkRole.objects.filter(user=world.board_member, network=world.network).delete()
    assert language.for_user(world.board_member) == "da"
    # networks of two languages: none of them is hers more than the other
    Membership.objects.create(user=world.foreign_professional, organisation=world.early_help, role=ProfessionalRole.OTHER)
    assert language.for_user(world.foreign_professional) == settings.LANGUAGE_CODE
    # an ended membership is no longer work there
    Membership.objects.filter(user=world.foreign_professional, organisation=world.early_help).update(is_active=False)
    assert language.for_user(world.foreign_professional) == "da"


def test_a_message_about_a_network_speaks_that_networks_language(world, settings):
    assert language.for_user(world.convenor, network=world.other_network) == "da"
    assert language.for_user(world.foreign_professional, network=world.network) == settings.LANGUAGE_CODE


def test_a_family_member_by_her_record_her_interpreter_then_her_cases_network(world, settings):
    member = FamilyMember.objects.create(case=world.case, relation=FamilyMember.Relation.FATHER, display_name="V.")
    assert language.for_family_member(member) == settings.LANGUAGE_CODE  # a German network: the default
    member.interpreter_language = "Dansk"
    assert language.for_family_member(member) == "da"
    member.language = "de"
    assert language.for_family_member(member) == "de"  # what is recorded for her comes before the interpreter
    member.language, member.interpreter_language = "", "Arabisch"  # a language the product does not speak
    _danish(world)
    member.case.refresh_from_db()
    assert language.for_family_member(member) == "da"
    # an account the letter reaches before her record is linked: its holder's own choice first
    account = User.objects.create(username="v-account", preferred_language="de")
    assert language.for_family_member(member, account=account) == "de"
    assert language.for_family_member(member, account=User(username="none")) == "da"
