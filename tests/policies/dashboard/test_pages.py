"""The dashboard page and the lists behind its figures, on the known scenario."""

import csv
import io
import re

import pytest
from django.test import Client
from django.urls import reverse

from directory.models import SyncRun
from policies.models import RiskThresholds

pytestmark = pytest.mark.django_db


def _html(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response.content.decode()


def _rows(client, url, params=None):
    params = {**(params or {}), "export": "csv"}
    response = client.get(url, params)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))[1:]


def _attr(html, name):
    return re.findall(rf'{name}="([^"]*)"', html)


def test_dashboard_shows_every_finding_count_linked_to_its_list(
    viewer_client, scenario
):
    html = _html(viewer_client, reverse("dashboard:home"))

    counts = dict(re.findall(r'data-finding-count="([a-z-]+)">(\d+)<', html))
    assert counts == {
        "broad-groups": "3",
        "stale-members": "6",
        "unresolved-sids": "3",
        "redundant-exceptions": "1",
        "bypass-firewall-off": "1",
        "user-auth-no-authip": "1",
    }
    for slug in counts:
        url = reverse("dashboard:finding_list", args=[slug])
        assert f'href="{url}" data-finding="{slug}"' in html


def test_dashboard_shows_exposure_per_server_with_links(viewer_client, scenario):
    html = _html(viewer_client, reverse("dashboard:home"))

    assert _attr(html, "data-server") == [
        "SRV-A",
        "SRV-B",
        "SRV-D",
        "SRV-C",
        "SRV-E",
        "SRV-F",
    ]
    assert _attr(html, "data-bypass") == ["3", "0", "3", "2", "0", "0"]
    assert _attr(html, "data-any") == ["7", "0", "0", "0", "0", "0"]
    assert _attr(html, "data-local-subnet") == ["3", "0", "0", "0", "0", "0"]
    assert _attr(html, "data-custom") == ["2", "0", "3", "1", "0", "0"]
    assert _attr(html, "data-open") == ["7"]
    pk = scenario.servers["SRV-A"].pk
    bypass_url = reverse("dashboard:bypass_machines", args=[pk])
    assert f'href="{bypass_url}" data-bypass="3"' in html
    assert f'href="{bypass_url}?sid={scenario.sid("G-Admins")}"' in html
    assert 'data-count="any-servers">1<' in html
    assert 'data-count="any-exceptions">1<' in html


def test_dashboard_shows_sync_health_with_stale_marks_and_live_progress(
    viewer_client, scenario
):
    html = _html(viewer_client, reverse("dashboard:home"))

    assert _attr(html, "data-source") == ["corp", "lab"]
    assert _attr(html, "data-freshness") == ["fresh", "stale"]
    assert _attr(html, "data-run-progress") == [str(scenario.runs["lab-running"].pk)]
    assert 'data-progress="40"' in html
    assert 'data-polling="true"' in html
    assert f'hx-get="{reverse("dashboard:sync_health")}"' in html
    corp = scenario.sources["corp"].pk
    assert (
        f'href="/directory/computers/?source={corp}&amp;deleted=false" '
        'data-count="computer">6<' in html
    )


def test_dashboard_shows_referenced_groups_and_recent_changes(viewer_client, scenario):
    html = _html(viewer_client, reverse("dashboard:home"))

    assert _attr(html, "data-group") == [
        "Domain Computers",
        "+Big-Group",
        "G-Admins",
        "G-Users",
        "G-XP",
    ]
    assert _attr(html, "data-accounts") == ["6", "5", "4", "2", "2"]
    assert 'data-count="changes">1<' in html
    members = reverse("dashboard:group_members", args=[scenario.pk("G-Admins")])
    assert f'href="{members}" data-accounts="4"' in html


def test_dashboard_loads_its_charts_from_static_files_only(viewer_client, scenario):
    html = _html(viewer_client, reverse("dashboard:home"))

    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "dashboard/dashboard.js" in html
    assert "<script>" not in html
    assert "style=" not in html
    assert set(_attr(html, "data-chart")) == {
        "findings",
        "sync-health",
        "exposure",
        "group-sizes",
    }


def test_sync_health_polling_continues_while_a_run_is_active(viewer_client, scenario):
    response = viewer_client.get(
        reverse("dashboard:sync_health"), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert 'data-polling="true"' in response.content.decode()


def test_sync_health_polling_stops_with_286_once_no_run_is_active(
    viewer_client, scenario
):
    run = scenario.runs["lab-running"]
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.SUCCEEDED, progress=100
    )

    response = viewer_client.get(
        reverse("dashboard:sync_health"), headers={"HX-Request": "true"}
    )

    assert response.status_code == 286
    html = response.content.decode()
    assert "hx-trigger" not in html
    assert 'data-status="succeeded"' in html


def test_bypass_list_names_each_machine_and_its_chain(viewer_client, scenario):
    url = reverse("dashboard:bypass_machines", args=[scenario.servers["SRV-A"].pk])

    rows = _rows(viewer_client, url)

    assert rows == [
        ["WS1", "Windows 11 Enterprise", "G-Admins", "WS1 → G-Admins"],
        ["WS2", "Windows 11 Enterprise", "G-Admins", "WS2 → G-Nested → G-Admins"],
        ["WS4", "Windows 11 Enterprise", "G-Admins", "WS4 → G-Nested → G-Admins"],
    ]


def test_bypass_list_through_one_group(viewer_client, scenario):
    url = reverse("dashboard:bypass_machines", args=[scenario.servers["SRV-D"].pk])

    rows = _rows(viewer_client, url, {"sid": scenario.sid("Big")})
    html = _html(viewer_client, url, {"sid": scenario.sid("G-XP")})

    assert [row[0] for row in rows] == ["WS2", "WS4", "WS6"]
    assert "data-listing-count>0<" in html


def test_bypass_list_of_a_sid_not_on_the_list_is_not_found(viewer_client, scenario):
    url = reverse("dashboard:bypass_machines", args=[scenario.servers["SRV-A"].pk])

    response = viewer_client.get(url, {"sid": scenario.sid("G-XP")})

    assert response.status_code == 404


def test_exception_lists_per_scope_kind(viewer_client, scenario):
    pk = scenario.servers["SRV-A"].pk

    def names(kind):
        url = reverse("dashboard:exception_machines", args=[pk, kind])
        return [(row[0], row[2], row[3]) for row in _rows(viewer_client, url)]

    assert names("local-subnet") == [
        ("WS1", "10.1.0.11", "RDP"),
        ("WS2", "10.1.0.12", "RDP"),
        ("WS3", "10.1.0.13", "RDP"),
    ]
    assert names("custom") == [("WS4", "10.2.0.14", "App"), ("XP1", "10.2.0.21", "App")]
    assert [name for name, _, _ in names("any")] == [
        "LAB1",
        "WS1",
        "WS2",
        "WS3",
        "WS4",
        "WS6",
        "XP1",
    ]


def test_unknown_scope_kind_is_not_found(viewer_client, scenario):
    url = reverse(
        "dashboard:exception_machines", args=[scenario.servers["SRV-A"].pk, "dns"]
    )

    assert viewer_client.get(url).status_code == 404


def test_open_list_has_every_machine_when_the_firewall_is_off(viewer_client, scenario):
    off = reverse("dashboard:open_machines", args=[scenario.servers["SRV-B"].pk])
    on = reverse("dashboard:open_machines", args=[scenario.servers["SRV-A"].pk])

    names = [row[0] for row in _rows(viewer_client, off)]

    assert names == ["LAB1", "WS1", "WS2", "WS3", "WS4", "WS6", "XP1"]
    assert _rows(viewer_client, on) == []
    home = _html(viewer_client, reverse("dashboard:home"))
    assert f'href="{off}" data-open="7"' in home


def test_any_scope_list_names_each_open_exception(viewer_client, scenario):
    rows = _rows(viewer_client, reverse("dashboard:any_exceptions"))

    assert rows == [["SRV-A", "SMB", "TCP 445", "P-Base", "7"]]


def test_exposure_list_has_every_server(viewer_client, scenario):
    rows = _rows(viewer_client, reverse("dashboard:exposure_list"))

    assert [(row[0], row[4], row[6], row[7], row[8], row[10]) for row in rows] == [
        ("SRV-A", "3", "7", "3", "2", "0"),
        ("SRV-B", "0", "0", "0", "0", "7"),
        ("SRV-D", "3", "0", "0", "3", "0"),
        ("SRV-C", "2", "0", "0", "1", "0"),
        ("SRV-E", "0", "0", "0", "0", "0"),
        ("SRV-F", "0", "0", "0", "0", "0"),
    ]


def test_exposure_list_counts_through_each_entry_what_the_bypass_admits(
    viewer_client, scenario
):
    # As on the dashboard: an entry counts the machines the bypass admits
    # through it, not every machine it holds. SRV-D admits neither of G-XP's
    # machines; SRV-F's pre-shared key authenticates no listed machine.
    rows = _rows(viewer_client, reverse("dashboard:exposure_list"))

    through = {row[0]: row[5] for row in rows}
    assert through["SRV-A"] == "G-Admins (3)"
    assert through["SRV-D"] == "'+Big-Group (3), G-XP (0)"
    assert through["SRV-F"] == "G-Admins (0)"


def test_group_members_list_every_account_at_any_depth(viewer_client, scenario):
    url = reverse("dashboard:group_members", args=[scenario.pk("G-Admins")])

    rows = _rows(viewer_client, url)

    assert rows == [
        ["WS1", "Computer", "yes", "WS1 → G-Admins"],
        ["WS2", "Computer", "yes", "WS2 → G-Nested → G-Admins"],
        ["WS3", "Computer", "no", "WS3 → G-Nested → G-Admins"],
        ["WS4", "Computer", "yes", "WS4 → G-Nested → G-Admins"],
    ]


def test_group_members_mark_primary_group_links(viewer_client, scenario):
    url = reverse("dashboard:group_members", args=[scenario.pk("Domain Computers")])

    rows = _rows(viewer_client, url)

    assert rows[0] == [
        "WS1",
        "Computer",
        "yes",
        "WS1 → Domain Computers (primary group)",
    ]
    assert len(rows) == 6


def test_members_of_a_group_no_policy_names_are_not_listed(viewer_client, scenario):
    url = reverse("dashboard:group_members", args=[scenario.pk("G-Other")])

    assert viewer_client.get(url).status_code == 404


def test_group_list_names_who_uses_each_group(viewer_client, scenario):
    rows = _rows(viewer_client, reverse("dashboard:group_list"))

    assert [(row[0], row[1], row[2]) for row in rows] == [
        (
            "'+Big-Group",
            "Bypass rule Bypass list (local:SRV-B); "
            "Bypass rule Admins with users (local:SRV-D)",
            "5",
        ),
        ("Domain Computers", "Bypass rule Bypass list (local:SRV-B)", "6"),
        (
            "G-Admins",
            "Bypass rule Bypass list (P-Base); Bypass rule Admins "
            "(local:SRV-E); Bypass rule Bypass list (local:SRV-F)",
            "4",
        ),
        (
            "G-Users",
            "Bypass rule Admins with users (local:SRV-D); "
            "Access requirement Share (SRV-A)",
            "2",
        ),
        (
            "G-XP",
            "Bypass rule Bypass list (local:SRV-C); "
            "Bypass rule Admins with users (local:SRV-D)",
            "2",
        ),
    ]


def test_membership_changes_of_watched_groups_only(viewer_client, scenario):
    url = reverse("dashboard:membership_changes")

    rows = _rows(viewer_client, url)
    admins_rows = _rows(viewer_client, url, {"group": scenario.pk("G-Admins")})
    xp_rows = _rows(viewer_client, url, {"group": scenario.pk("G-XP")})

    run = scenario.runs["corp"].pk
    assert [row[1:] for row in rows] == [
        ["Joined", "WS4", "G-Nested", "member attribute", f"run {run}"]
    ]
    assert admins_rows == rows
    assert xp_rows == []


@pytest.mark.parametrize("group", ["x", "٣", "9" * 5000])
def test_a_bad_group_filter_is_not_found(viewer_client, scenario, group):
    response = viewer_client.get(
        reverse("dashboard:membership_changes"), {"group": group}
    )

    assert response.status_code == 404


def test_lists_page_through_long_results(viewer_client, scenario):
    url = reverse(
        "dashboard:exception_machines", args=[scenario.servers["SRV-A"].pk, "any"]
    )
    from policies.dashboard.views import ListingView

    ListingView.paginate_by, saved = 3, ListingView.paginate_by
    try:
        page_one = _html(viewer_client, url)
        page_three = _html(viewer_client, url, {"page": 3})
    finally:
        ListingView.paginate_by = saved

    assert "Page 1 of 3" in page_one
    assert "?page=2" in page_one
    assert "Page 3 of 3" in page_three
    assert page_three.count("/directory/objects/") == 1


def test_csv_cells_that_would_be_formulas_are_neutralised(viewer_client, scenario):
    group = scenario.objects["G-XP"]
    group.sam_account_name = '=HYPERLINK("http://x")'
    group.save()
    url = reverse("dashboard:bypass_machines", args=[scenario.servers["SRV-C"].pk])

    rows = _rows(viewer_client, url)

    assert {row[2] for row in rows} == {'\'=HYPERLINK("http://x")'}
    for cell in (row[c] for row in rows for c in range(4)):
        assert not cell.startswith(("=", "+", "-", "@"))


@pytest.mark.parametrize(
    "name,args",
    [
        ("home", []),
        ("exposure_list", []),
        ("any_exceptions", []),
        ("group_list", []),
        ("membership_changes", []),
        ("finding_list", ["stale-members"]),
        ("chart_exposure", []),
        ("chart_group_sizes", []),
        ("chart_findings", []),
        ("chart_sync_health", []),
        ("sync_health", []),
    ],
)
def test_viewers_see_everything_and_anonymous_users_are_sent_to_sign_in(
    client, viewer_client, name, args
):
    url = reverse(f"dashboard:{name}", args=args)

    assert viewer_client.get(url).status_code in (200, 286)
    viewer_client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_only_admins_change_the_thresholds(role_client, db):
    from fwconsole.roles import Role

    url = reverse("dashboard:thresholds")
    for role in (Role.VIEWER, Role.EDITOR):
        client = role_client(role)
        assert client.get(url).status_code == 403
        response = client.post(url, {"broad_group_size": 1, "inactive_days": 1})
        assert response.status_code == 403
        client.logout()
    assert not RiskThresholds.objects.exists()

    admin = role_client(Role.ADMIN)
    response = admin.post(url, {"broad_group_size": 250, "inactive_days": 30})

    assert response.status_code == 302
    saved = RiskThresholds.current()
    assert (saved.broad_group_size, saved.inactive_days) == (250, 30)
    assert saved.updated_by == "user-admin"


def test_a_zero_threshold_is_refused_and_changes_nothing(admin_client, db):
    response = admin_client.post(
        reverse("dashboard:thresholds"), {"broad_group_size": 0, "inactive_days": 30}
    )

    assert response.status_code == 200
    assert "Use at least 1 account." in response.content.decode()
    assert not RiskThresholds.objects.exists()


def test_threshold_link_shows_for_admins_only(admin_user, viewer, db):
    url = reverse("dashboard:thresholds")
    admin, reader = Client(), Client()
    admin.force_login(admin_user)
    reader.force_login(viewer)

    assert url in _html(admin, reverse("dashboard:home"))
    assert url not in _html(reader, reverse("dashboard:home"))


def test_an_empty_console_renders(viewer_client, db):
    html = _html(viewer_client, reverse("dashboard:home"))

    assert "No directory source yet." in html
    assert "No server yet." in html
    assert "data-polling" not in html


def test_a_threshold_change_is_in_the_change_log_with_its_author(admin_client, db):
    admin_client.post(
        reverse("dashboard:thresholds"), {"broad_group_size": 7, "inactive_days": 30}
    )

    html = _html(admin_client, reverse("changelog"))

    assert "risk thresholds: broad groups above 7 accounts, inactive after 30" in html
    assert "ada-admin" in html
