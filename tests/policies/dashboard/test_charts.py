"""The JSON behind each dashboard chart, checked number by number against the
known-answer scenario (see scenario.py for why each figure is what it is)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _get(client, name, **params):
    response = client.get(reverse(f"dashboard:{name}"), params)
    assert response.status_code == 200
    return response.json()


def _by_name(items):
    return {item["name"]: item for item in items}


def test_exposure_counts_every_server_by_bypass_and_scope(viewer_client, scenario):
    data = _get(viewer_client, "chart_exposure")

    figures = [
        (
            s["name"],
            s["firewall"],
            s["open"],
            s["bypass"],
            s["any"],
            s["local_subnet"],
            s["custom"],
            s["exceptions"],
        )
        for s in data["servers"]
    ]
    assert figures == [
        ("SRV-A", "on", 0, 3, 7, 3, 2, 7),
        ("SRV-B", "off", 7, 0, 0, 0, 0, 0),
        ("SRV-D", "on", 0, 3, 0, 0, 3, 3),
        ("SRV-C", "on", 0, 2, 0, 0, 1, 1),
        ("SRV-E", "shielded", 0, 0, 0, 0, 0, 0),
        ("SRV-F", "on", 0, 0, 0, 0, 0, 0),
    ]
    assert data["total_servers"] == 6


def test_exposure_names_the_listed_groups_and_what_each_admits(viewer_client, scenario):
    servers = _by_name(_get(viewer_client, "chart_exposure")["servers"])

    def groups(name):
        return [(g["name"], g["machines"]) for g in servers[name]["groups"]]

    assert groups("SRV-A") == [("G-Admins", 3)]
    assert groups("SRV-B") == []
    assert groups("SRV-C") == [("G-XP", 2)]
    assert groups("SRV-D") == [("+Big-Group", 3), ("G-XP", 0)]
    assert groups("SRV-E") == []
    # Listed, but no Kerberos IPsec with SRV-F: the bypass admits nobody.
    assert groups("SRV-F") == [("G-Admins", 0)]


def test_exposure_links_each_figure_to_its_list(viewer_client, scenario):
    server = _get(viewer_client, "chart_exposure")["servers"][0]
    pk = scenario.servers["SRV-A"].pk

    assert server["links"] == {
        "bypass": f"/dashboard/exposure/servers/{pk}/bypass/",
        "open": f"/dashboard/exposure/servers/{pk}/open/",
        "any": f"/dashboard/exposure/servers/{pk}/exceptions/any/",
        "local_subnet": f"/dashboard/exposure/servers/{pk}/exceptions/local-subnet/",
        "custom": f"/dashboard/exposure/servers/{pk}/exceptions/custom/",
    }
    assert server["groups"][0]["url"] == (
        f"/dashboard/exposure/servers/{pk}/bypass/?sid={scenario.sid('G-Admins')}"
    )


def test_exposure_chart_limit_keeps_the_most_exposed(viewer_client, scenario):
    data = _get(viewer_client, "chart_exposure", limit="2")

    assert [s["name"] for s in data["servers"]] == ["SRV-A", "SRV-B"]
    assert data["total_servers"] == 6


@pytest.mark.parametrize("limit", ["x", "-1", "٨", "9" * 5000])
def test_a_bad_limit_is_refused(viewer_client, scenario, limit):
    response = viewer_client.get(reverse("dashboard:chart_exposure"), {"limit": limit})

    assert response.status_code == 404


def test_findings_chart_counts_each_kind(viewer_client, scenario):
    data = _get(viewer_client, "chart_findings")

    assert [(f["slug"], f["count"]) for f in data["findings"]] == [
        ("broad-groups", 3),
        ("stale-members", 6),
        ("unresolved-sids", 3),
        ("redundant-exceptions", 1),
        ("bypass-firewall-off", 1),
        ("user-auth-no-authip", 1),
    ]
    assert data["findings"][0]["url"] == "/dashboard/findings/broad-groups/"
    assert [f["label"] for f in data["findings"]] == [
        "Broad groups",
        "Stale memberships",
        "Unresolved SIDs",
        "Redundant exceptions",
        "Bypass, firewall off",
        "Users without AuthIP",
    ]


def test_group_chart_sizes_each_referenced_group_at_any_depth(viewer_client, scenario):
    data = _get(viewer_client, "chart_group_sizes")

    assert [
        (g["name"], g["accounts"], g["computers"], g["users"], g["samples"])
        for g in data["groups"]
    ] == [
        ("Domain Computers", 6, 6, 0, []),
        ("+Big-Group", 5, 5, 0, []),
        ("G-Admins", 4, 4, 0, []),
        ("G-Users", 2, 0, 2, []),
        ("G-XP", 2, 2, 0, []),
    ]
    assert data["total_groups"] == 5
    admins = scenario.pk("G-Admins")
    assert data["groups"][2]["members_url"] == f"/dashboard/groups/{admins}/members/"


def test_sync_health_chart_counts_live_objects_and_marks_stale_sources(
    viewer_client, scenario
):
    data = _get(viewer_client, "chart_sync_health")

    sources = [
        (
            s["name"],
            s["computers"],
            s["users"],
            s["groups"],
            s["stale"],
            s["age_seconds"] // 3600,
            s["staleness_limit_hours"],
            s["last_run"]["status"],
            s["last_run"]["progress"],
        )
        for s in data["sources"]
    ]
    assert sources == [
        ("corp", 6, 2, 7, False, 2, 24, "succeeded", 100),
        ("lab", 1, 0, 0, True, 30, 24, "running", 40),
    ]
    corp = scenario.sources["corp"].pk
    assert data["sources"][0]["links"]["computers"] == (
        f"/directory/computers/?source={corp}&deleted=false"
    )
