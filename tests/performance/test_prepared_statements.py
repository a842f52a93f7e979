"""On PostgreSQL the service's parameters are bound by the server (``DB_SERVER_SIDE_BINDING``,
``config/settings.py``), so a statement its connection runs again is prepared and planned once
per connection: the actions list's access filter took 12 ms to plan on every request at 10,000
actions (``bench/api_lists.py``). A prepared plan keeps no rows: who may read is decided by
the rows at the moment the statement runs, as before."""
import pytest
from django.db import connection

from cases import services as case_services
from cases.models import CaseTeamMember

pytestmark = pytest.mark.django_db


def _prepared_with(fragment: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{fragment}%"])
        return cursor.fetchone()[0]


def test_the_actions_list_s_access_filter_is_prepared_and_still_reads_the_team_as_it_is_now(world, client):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (the CI's second pass)")
    client.force_login(world.counsellor)
    listed = []
    for _ in range(7):
        response = client.get("/api/actions/")
        assert response.status_code == 200
        listed.append(sorted(row["id"] for row in response.json()["results"]))
    assert world.action_counselling.pk in listed[0]
    assert all(ids == listed[0] for ids in listed)
    # psycopg prepares a statement on its sixth run on a connection (prepare_threshold 5)
    assert _prepared_with('FROM "protocols_agreedaction"') >= 1

    # The convenor takes her off the team: the very next request, on the same prepared
    # statement, lists none of the case's actions that reached her through the team.
    member = CaseTeamMember.objects.get(case=world.case, user=world.counsellor, removed_at__isnull=True)
    case_services.case_team_member_remove(world.convenor, member=member)
    response = client.get("/api/actions/")
    assert response.status_code == 200
    assert world.action_counselling.pk not in [row["id"] for row in response.json()["results"]]
