"""The roles of the permission matrix: attribute names on ``tests.world.World`` (None = anonymous).

Every module ``tests/matrix/test_matrix_<area>.py`` parametrises its cells over ``ROLES`` and
declares ``URL_NAMES``: the namespaced URL names whose cells it covers. ``test_url_coverage``
fails when a URL pattern of the project appears in no module's ``URL_NAMES``.
"""
from __future__ import annotations

ROLES = [
    "convenor",              # lead caseworker of the case
    "lead_colleague",        # team professional of the lead organisation
    "counsellor",            # team professional of another organisation, with consent
    "midwife",               # team professional of another organisation, without consent
    "outsider",              # professional of the network, not on the team
    "foreign_professional",  # professional of another network
    "parent",                # parent of the case
    "other_parent",          # parent of another case
    "board_member",
    "coordinator",
    "dpo",                   # data-protection officer
    "admin",                 # technical admin: staff + superuser, no need to know
    "anonymous",
]


def user_for(world, role: str):
    return None if role == "anonymous" else getattr(world, role)


def client_for(client, world, role: str):
    """A Django test client logged in as ``role`` (anonymous stays logged out)."""
    user = user_for(world, role)
    if user is not None:
        client.force_login(user)
    return client
