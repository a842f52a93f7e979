"""The standing world builds, and the policy reads it the way ARCHITECTURE.md says."""
from cases import policy as cases_policy
from protocols import policy as protocols_policy


def test_the_counsellor_reads_the_restricted_item_under_consent(world):
    assert protocols_policy.protocol_items_for_user(world.counsellor).filter(pk=world.item_restricted.pk).exists()


def test_the_midwife_without_consent_does_not_read_the_restricted_item(world):
    assert not protocols_policy.protocol_items_for_user(world.midwife).filter(pk=world.item_restricted.pk).exists()


def test_the_parent_reads_only_items_for_everyone(world):
    assert set(protocols_policy.protocol_items_for_user(world.parent)) == {world.item_everyone}


def test_the_admin_sees_no_case_for_being_admin(world):
    assert not cases_policy.cases_for_user(world.admin).exists()
