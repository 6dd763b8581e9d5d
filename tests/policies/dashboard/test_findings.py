"""Each risk finding's list, row by row, through its CSV export and its page."""

import csv
import io

import pytest
from django.urls import reverse

from directory.models import DirectoryObject
from tests.policies.dashboard.scenario import NOBODY_SID, NOBODY_USER_SID
from tests.policies.evaluator.world import World

pytestmark = pytest.mark.django_db


def _csv(client, slug):
    response = client.get(
        reverse("dashboard:finding_list", args=[slug]), {"export": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="{slug}.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    header, *rows = list(csv.reader(io.StringIO(text)))
    return header, rows


def test_broad_groups_are_domain_computers_and_groups_above_the_limit(
    viewer_client, scenario
):
    header, rows = _csv(viewer_client, "broad-groups")

    assert header == ["Group", "Why", "Accounts", "Rule", "Policy", "In force on"]
    assert rows == [
        [
            "'+Big-Group",
            "5 accounts, above the limit of 4",
            "5",
            "Bypass list",
            "local:SRV-B",
            "SRV-B",
        ],
        [
            "Domain Computers",
            "Domain Computers (RID 515)",
            "6",
            "Bypass list",
            "local:SRV-B",
            "SRV-B",
        ],
        [
            "'+Big-Group",
            "5 accounts, above the limit of 4",
            "5",
            "Admins with users",
            "local:SRV-D",
            "SRV-D",
        ],
    ]


def test_raising_the_limit_leaves_only_the_well_known_broad_group(
    admin_client, scenario
):
    response = admin_client.post(
        reverse("dashboard:thresholds"), {"broad_group_size": 5, "inactive_days": 90}
    )
    assert response.status_code == 302

    _, rows = _csv(admin_client, "broad-groups")

    assert [row[0] for row in rows] == ["Domain Computers"]


def test_stale_members_are_disabled_deleted_and_inactive_computers_in_bypass_groups(
    viewer_client, scenario, now
):
    _, rows = _csv(viewer_client, "stale-members")

    ws4_logon = str(scenario.objects["WS4"].last_logon)
    old1_deleted = str(scenario.objects["OLD1"].deleted_at)
    assert rows == [
        ["OLD1", "Deleted", old1_deleted, "G-Admins", "OLD1 → G-Nested → G-Admins"],
        ["WS3", "Disabled", "", "Domain Computers", "WS3 → Domain Computers"],
        ["WS3", "Disabled", "", "G-Admins", "WS3 → G-Nested → G-Admins"],
        ["WS4", "Inactive", ws4_logon, "'+Big-Group", "WS4 → +Big-Group"],
        ["WS4", "Inactive", ws4_logon, "Domain Computers", "WS4 → Domain Computers"],
        ["WS4", "Inactive", ws4_logon, "G-Admins", "WS4 → G-Nested → G-Admins"],
    ]


def test_a_longer_inactivity_limit_clears_the_inactive_computer(admin_client, scenario):
    admin_client.post(
        reverse("dashboard:thresholds"), {"broad_group_size": 4, "inactive_days": 365}
    )

    _, rows = _csv(admin_client, "stale-members")

    assert {row[1] for row in rows} == {"Deleted", "Disabled"}


def test_unresolved_sids_name_the_list_and_where_it_is(viewer_client, scenario):
    _, rows = _csv(viewer_client, "unresolved-sids")

    assert rows == [
        [
            NOBODY_SID,
            "Gone-Group",
            "No synced account has this SID",
            "Bypass rule Bypass list",
            "local:SRV-B",
        ],
        [
            scenario.sid("OLD1"),
            "OLD1$",
            "The account was deleted",
            "IPsec policy clients",
            "Legacy PSK",
        ],
        [
            NOBODY_USER_SID,
            "Gone-Users",
            "No synced account has this SID",
            "Access requirement Share",
            "SRV-A",
        ],
    ]


def test_an_exception_only_for_bypassed_machines_is_redundant(viewer_client, scenario):
    _, rows = _csv(viewer_client, "redundant-exceptions")

    assert rows == [["SRV-C", "Legacy", "10.2.0.21", "1", "local:SRV-C", "local:SRV-C"]]


def test_a_bypass_list_on_a_server_with_the_firewall_off_is_reported(
    viewer_client, scenario
):
    _, rows = _csv(viewer_client, "bypass-firewall-off")

    assert rows == [["SRV-B", "Domain", "local:SRV-B", "3", "local:SRV-B"]]


def test_xp_clients_on_a_rule_that_authorizes_users_are_reported(
    viewer_client, scenario
):
    _, rows = _csv(viewer_client, "user-auth-no-authip")

    assert rows == [
        [
            "XP1",
            "Windows XP Professional",
            "SRV-D",
            "Admins with users",
            "local:SRV-D",
            "G-XP",
        ]
    ]


def test_the_finding_page_links_every_row_to_its_objects(viewer_client, scenario):
    response = viewer_client.get(
        reverse("dashboard:finding_list", args=["user-auth-no-authip"])
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/directory/objects/{scenario.pk("XP1")}/">XP1</a>' in html
    srv_d = scenario.servers["SRV-D"]
    assert f'href="{srv_d.get_absolute_url()}">SRV-D</a>' in html
    assert f'href="/directory/objects/{scenario.pk("G-XP")}/">G-XP</a>' in html
    assert "?export=csv" in html


def test_an_unknown_finding_is_not_found(viewer_client, scenario):
    response = viewer_client.get(reverse("dashboard:finding_list", args=["nope"]))

    assert response.status_code == 404


def test_a_listed_distribution_group_is_a_sid_that_matches_no_one(viewer_client):
    w = World()
    server = w.server()
    newsletter = w.group("Newsletter", w.computer("WS1"))
    DirectoryObject.objects.filter(pk=newsletter.pk).update(is_security=False)
    w.bypass(w.policy(server, "GPO"), newsletter)

    _, rows = _csv(viewer_client, "unresolved-sids")

    assert rows == [
        [
            newsletter.sid,
            "Newsletter",
            "A distribution group: no token carries it, so it matches no one",
            "Bypass rule Bypass",
            "GPO",
        ]
    ]
