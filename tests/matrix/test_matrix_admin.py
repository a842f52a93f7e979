"""Matrix cells of the Django admin (issue 15): only the technical admin reaches it; he reaches
configuration, never a password form, a second-factor secret or a parent's account."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.urls import reverse

from participants.models import User
from tests.matrix.roles import ROLES, client_for

pytestmark = pytest.mark.django_db

URL_NAMES = {"admin_login_redirect"}  # the admin's own URLs are exempt by prefix; their cells are here too


def expect(role: str, for_admin: int) -> int:
    return for_admin if role == "admin" else 302  # everyone else is sent to the admin's login


@pytest.mark.parametrize("role", ROLES)
def test_admin_cells(world, client, role):
    factor = Authenticator.objects.create(user=world.counsellor, type=Authenticator.Type.TOTP, data={"secret": "fernet:x"})
    parent_address = EmailAddress.objects.create(user=world.parent, email=world.parent.email, primary=True, verified=True)
    own_address = EmailAddress.objects.create(user=world.counsellor, email=world.counsellor.email, primary=True, verified=True)
    c = client_for(client, world, role)
    cells = {
        reverse("admin:participants_user_changelist"): 200,
        reverse("admin:participants_membership_add"): 200,
        reverse("admin:mfa_authenticator_changelist"): 200,
        reverse("admin:mfa_authenticator_change", args=[factor.pk]): 200,  # read-only, no secret
        reverse("admin:mfa_authenticator_add"): 403,
        reverse("admin:auth_user_password_change", args=[world.convenor.pk]): 404,
        reverse("admin:participants_user_change", args=[world.parent.pk]): 302,  # parents are not listed
        reverse("admin:participants_user_change", args=[world.convenor.pk]): 200,
        # groups and their permissions, e-mail addresses: audited (tests/security/test_admin_audit.py)
        reverse("admin:auth_group_changelist"): 200,
        reverse("admin:auth_group_add"): 200,
        reverse("admin:account_emailaddress_changelist"): 200,
        reverse("admin:account_emailaddress_change", args=[own_address.pk]): 200,
        reverse("admin:account_emailaddress_change", args=[parent_address.pk]): 302,  # parents' addresses are not listed
    }
    for url, for_admin in cells.items():
        response = c.get(url)
        assert response.status_code == expect(role, for_admin), (url, response.status_code)
        if role != "admin":
            assert "/admin/login/" in response["Location"]


def test_the_admin_opens_no_case_content_even_with_a_membership(world, client):
    from participants.models import Membership

    Membership.objects.create(user=world.admin, organisation=world.youth_welfare, role="caseworker")
    c = client_for(client, world, "admin")
    assert c.get(reverse("cases:case_detail", args=[world.case.pk])).status_code == 404
    assert c.get(f"/api/protocol-items/{world.item_everyone.pk}/").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_login_sends_every_role_to_the_one_sign_in(world, client, role):
    """Django's own admin login form is never served: /admin/login/ hands everyone signed out, and
    the admin, to the project's sign-in (its second factor and rate limits), keeping where to go
    next. Someone signed in without admin rights is told the admin is not hers (403): the sign-in
    would send her straight back to /admin/, which sent her here again, round and round."""
    c = client_for(client, world, role)
    url = reverse("admin_login_redirect")
    assert url == "/admin/login/"
    for response in (c.get(url, {"next": "/admin/"}), c.post(url + "?next=/admin/", {"username": "admin", "password": "x"})):
        if role not in {"anonymous", "admin"}:
            assert response.status_code == 403, (role, response.status_code)
            continue
        assert response.status_code == 302, (role, response.status_code)
        location = urlsplit(response["Location"])
        assert (location.path, parse_qs(location.query)) == (reverse("account_login"), {"next": ["/admin/"]}), response["Location"]


@pytest.mark.parametrize(("form", "whose", "status", "saved"), [
    ("add", "its_own", 302, True),
    ("add", "another_professionals", 200, False),
    ("add", "a_parents_account", 200, False),
    ("add", "an_allauth_address", 200, False),
    ("change", "its_own", 302, True),
    ("change", "another_professionals", 200, False),
    ("change", "a_parents_account", 200, False),
    ("change", "an_allauth_address", 200, False),
])
def test_admin_user_form_address(world, client, form, whose, status, saved):
    """No account on an address another account receives mail at (review h3 follow-up of H3-9):
    200 is the form again with the refusal."""
    EmailAddress.objects.create(user=world.counsellor, email="m-zweit@example.org", primary=False, verified=True)
    email = {"its_own": "m-eigen@example.org", "another_professionals": world.midwife.email.upper(),
             "a_parents_account": world.parent.email, "an_allauth_address": "m-zweit@example.org"}[whose]
    data = {"username": "m-neu", "email": email, "first_name": "Neu", "last_name": "", "preferred_language": ""}
    c = client_for(client, world, "admin")
    if form == "add":
        response = c.post(reverse("admin:participants_user_add"), data)
    else:
        data.update(username=world.outsider.username, is_active="on")
        response = c.post(reverse("admin:participants_user_change", args=[world.outsider.pk]), data)
    assert response.status_code == status
    assert User.objects.filter(email=email).exclude(pk__in=[world.midwife.pk, world.parent.pk]).exists() == saved
