"""The dashboard and its lists read the database a fixed number of times,
whatever the size of the directory: the same count for 10 and 1,000 machines."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.models import DirectoryObject, DirectorySource
from policies.models import IPsecPolicy, Server
from tests.policies.dashboard.generate import generate

pytestmark = pytest.mark.django_db

# Generous enough for the session, roles and the cache checks; the point of
# the test is that the two sizes give the same number.
QUERY_BOUND = 60


def _pages(directory, servers):
    first = servers[0].pk
    return {
        "home": reverse("dashboard:home"),
        "sync health": reverse("dashboard:sync_health"),
        "exposure chart": reverse("dashboard:chart_exposure"),
        "group chart": reverse("dashboard:chart_group_sizes"),
        "findings chart": reverse("dashboard:chart_findings"),
        "sync chart": reverse("dashboard:chart_sync_health"),
        "exposure list": reverse("dashboard:exposure_list"),
        "bypass list": reverse("dashboard:bypass_machines", args=[first]),
        "any list": reverse("dashboard:exception_machines", args=[first, "any"]),
        "open list": reverse("dashboard:open_machines", args=[servers[1].pk]),
        "any exceptions": reverse("dashboard:any_exceptions"),
        "groups": reverse("dashboard:group_list"),
        "members": reverse("dashboard:group_members", args=[directory["G0"].pk]),
        "changes": reverse("dashboard:membership_changes"),
        **{
            f"finding {slug}": reverse("dashboard:finding_list", args=[slug])
            for slug in (
                "broad-groups",
                "stale-members",
                "unresolved-sids",
                "redundant-exceptions",
                "bypass-firewall-off",
                "user-auth-no-authip",
            )
        },
    }


def _count_queries(client, machines):
    directory, servers = generate(machines)
    counts = {}
    for name, url in _pages(directory, servers).items():
        client.get(url)  # warm the per-process caches as a running console has them
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code in (200, 286), name
        counts[name] = len(queries)
    return counts


def _clear():
    Server.objects.all().delete()
    IPsecPolicy.objects.all().delete()
    DirectoryObject.objects.all().delete()
    DirectorySource.objects.all().delete()


def test_the_number_of_queries_does_not_grow_with_the_directory(viewer_client):
    small = _count_queries(viewer_client, 10)
    _clear()
    large = _count_queries(viewer_client, 1000)

    assert large == small
    assert max(small.values()) <= QUERY_BOUND, small


def test_a_cold_dashboard_is_bounded_too(viewer_client):
    directory, _ = generate(1000)

    with CaptureQueriesContext(connection) as queries:
        response = viewer_client.get(reverse("dashboard:home"))

    assert response.status_code == 200
    assert len(queries) <= QUERY_BOUND
    assert directory["G0"].pk
