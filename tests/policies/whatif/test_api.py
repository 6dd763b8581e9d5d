"""POST /api/whatif/ and the reverse-query endpoints."""

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/whatif/"


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_viewer_runs_a_query_and_gets_the_ordered_rungs(rdp, viewer_client):
    response = post(
        viewer_client,
        URL,
        {
            "client": "WS2101",
            "user": "jroe",
            "server": "APP01",
            "service": "tcp/3389",
            "assume_ipsec": "yes",
        },
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["verdict"] == "allowed"
    assert [rung["key"] for rung in answer["rungs"]] == [
        "ipsec",
        "authorization",
        "state",
        "bypass",
        "block",
        "allow",
        "default",
        "user",
    ]
    bypass = answer["rungs"][3]
    assert bypass["outcome"] == "decided"
    assert [c["text"] for c in bypass["chains"]] == [
        "WS2101 → FW-Bypass-App01",
        "jroe → Helpdesk",
    ]
    assert bypass["chains"][0]["steps"][0]["url"]
    assert answer["facts"]["client_address"] == "10.30.21.1"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"client": "*", "server": "APP01", "service": "tcp/445"}, "client"),
        (
            {
                "client": "WS2101)(objectClass=*",
                "server": "APP01",
                "service": "tcp/445",
            },
            "client",
        ),
        (
            {
                "client": "WS2101",
                "user": "*)(sAMAccountName=*",
                "server": "APP01",
                "service": "tcp/445",
            },
            "user",
        ),
        ({"client": "WS2101", "server": "APP01", "service": "445"}, "service"),
        ({"client": "WS2101", "server": "APP01", "service": "tcp/0"}, "service"),
        ({"client": "WS2101", "server": "APP01"}, "service"),
        (
            {
                "client": "WS2101",
                "server": "APP01",
                "service": "tcp/445",
                "assume_ipsec": "maybe",
            },
            "assume_ipsec",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(rdp, viewer_client, data, field):
    response = post(viewer_client, URL, data)
    assert response.status_code == 400
    answer = response.json()
    assert answer["field"] == field
    assert answer["error"]
    assert "verdict" not in answer


def test_suggestions_come_with_a_denial_when_asked(rdp, viewer_client):
    response = post(
        viewer_client,
        URL,
        {
            "client": "WS2102",
            "user": "jroe",
            "server": "APP01",
            "service": "tcp/3389",
            "assume_ipsec": "yes",
            "suggestions": True,
        },
    )
    answer = response.json()
    assert answer["verdict"] == "denied"
    titles = [s["title"] for s in answer["suggestions"]]
    assert any("Add WS2102 to group FW-Bypass-App01" in title for title in titles)


def test_anonymous_callers_are_refused(rdp, client):
    response = post(
        client, URL, {"client": "WS2101", "server": "APP01", "service": "tcp/445"}
    )
    assert response.status_code in (401, 403)


def test_who_can_reach_groups_machines_by_path(rdp, viewer_client):
    response = post(
        viewer_client,
        "/api/whatif/who-can-reach/",
        {"server": "APP01", "service": "tcp/443"},
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["counts"] == {"allowed": 2}
    assert answer["paths"] == {"Allow rules: HTTPS": ["WS2101", "WS2102"]}


def test_what_can_reach_lists_port_ranges(rdp, viewer_client):
    response = post(viewer_client, "/api/whatif/what-can-reach/", {"client": "WS2102"})
    assert response.status_code == 200
    services = {
        (item["server"], item["service"]) for item in response.json()["reachable"]
    }
    assert ("APP01", "TCP 443") in services
    assert not any(service.startswith("TCP 3389") for _, service in services)


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (["Accounting", None], "Item 2: This field may not be null."),
        ([["Accounting"]], "Item 1: Not a valid string."),
    ],
)
def test_a_bad_group_name_in_a_list_is_named_by_its_position(
    rdp, viewer_client, groups, message
):
    data = {
        "client": "WS2101",
        "server": "APP01",
        "service": "tcp/445",
        "as_member": groups,
    }

    answer = post(viewer_client, URL, data).json()

    assert answer == {"field": "as_member", "error": message}
