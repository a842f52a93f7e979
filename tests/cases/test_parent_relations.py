"""The apps below ``cases`` name the parent relations without importing the family model."""
from cases.models import FamilyMember
from participants.models import PARENT_RELATIONS


def test_the_parent_relations_below_cases_are_the_family_models():
    assert tuple(PARENT_RELATIONS) == tuple(str(relation) for relation in FamilyMember.PARENT_RELATIONS)
