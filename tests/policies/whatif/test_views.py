"""The what-if pages: form, verdict, permalink, search, reverse queries, impact."""

import csv
import io

import pytest

from policies.models import BypassRule, FirewallRule

pytestmark = pytest.mark.django_db

QUERY = (
    "/what-if/?client=WS2101&user=jroe&server=APP01&service=tcp%2F3389&assume_ipsec=yes"
)


def test_the_empty_form_explains_itself(rdp, viewer_client):
    response = viewer_client.get("/what-if/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="whatif-form"' in body
    assert 'id="whatif-empty"' in body


def test_a_query_in_the_url_shows_the_verdict_and_the_ladder(rdp, viewer_client):
    response = viewer_client.get(QUERY)
    body = response.content.decode()
    assert 'data-verdict="allowed"' in body
    assert body.count('data-rung="') == 8
    assert 'data-rung="bypass" data-outcome="decided"' in body
    assert "primary group" not in body
    assert f'href="{QUERY.replace("&", "&amp;")}"' in body
    assert "WS2101</a> → " in body


def test_the_page_stays_within_a_bounded_number_of_queries(
    rdp, viewer_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(60):
        viewer_client.get(QUERY)
    with django_assert_max_num_queries(25):
        response = viewer_client.get(QUERY.replace("3389", "443"))
    assert 'data-verdict="allowed"' in response.content.decode()


def test_htmx_requests_get_only_the_result_partial(rdp, viewer_client):
    response = viewer_client.get(QUERY, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="verdict"' in body
    assert "<html" not in body


def test_bad_input_shows_an_error_on_the_field_and_no_verdict(rdp, viewer_client):
    response = viewer_client.get(
        "/what-if/?client=WS21*&server=APP01&service=tcp%2F3389"
    )
    body = response.content.decode()
    assert 'data-error-for="client"' in body
    assert "Unknown machine &#x27;WS21*&#x27;." in body
    assert "data-verdict" not in body


def test_a_denial_loads_suggestions(rdp, viewer_client):
    denied = QUERY.replace("WS2101", "WS2102")
    assert "/what-if/suggestions/?" in viewer_client.get(denied).content.decode()
    response = viewer_client.get(denied.replace("/what-if/", "/what-if/suggestions/"))
    body = response.content.decode()
    assert "data-suggestion" in body
    assert "Add WS2102 to group FW-Bypass-App01" in body


def test_type_ahead_finds_machines_users_and_servers_by_prefix(rdp, viewer_client):
    machines = viewer_client.get(
        "/what-if/search/?kind=machine&client=ws21"
    ).content.decode()
    assert (
        '<option value="WS2101">' in machines and '<option value="WS2102">' in machines
    )
    users = viewer_client.get("/what-if/search/?kind=user&user=jr").content.decode()
    assert '<option value="jroe">' in users
    servers = viewer_client.get(
        "/what-if/search/?kind=server&server=app"
    ).content.decode()
    assert '<option value="APP01">' in servers


@pytest.mark.parametrize("text", ["*", "WS21*", "WS2101)(objectClass=*", "%", "_S2101"])
def test_type_ahead_treats_patterns_as_plain_text(rdp, viewer_client, text):
    response = viewer_client.get(
        "/what-if/search/", {"kind": "machine", "client": text}
    )
    assert "<option" not in response.content.decode()


def test_who_can_reach_page_and_csv(rdp, viewer_client):
    url = (
        "/what-if/who-can-reach/"
        "?server=APP01&service=tcp%2F3389&assume_ipsec=yes&user=jroe"
    )
    body = viewer_client.get(url).content.decode()
    assert 'data-path="Bypass via FW-Bypass-App01 (Bypass)"' in body
    drill = (
        "/what-if/?client=WS2101&amp;server=APP01&amp;service=tcp%2F3389"
        "&amp;user=jroe&amp;assume_ipsec=yes"
    )
    assert drill in body
    response = viewer_client.get(url + "&format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["machine", "verdict", "path", "reasons"]
    assert ["WS2101", "allowed", "Bypass via FW-Bypass-App01 (Bypass)", ""] in rows
    assert rows[2][:2] == ["WS2102", "denied"]


def test_reverse_query_pages_stay_within_a_bounded_number_of_queries(
    rdp, viewer_client, django_assert_max_num_queries
):
    for index in range(30):
        rdp.computer(f"EXTRA{index:02}", addresses=[f"10.30.22.{index + 1}"])
    viewer_client.get("/what-if/who-can-reach/?server=APP01&service=tcp%2F443")
    with django_assert_max_num_queries(10):
        viewer_client.get("/what-if/who-can-reach/?server=APP01&service=tcp%2F3389")
    with django_assert_max_num_queries(10):
        viewer_client.get("/what-if/what-can-reach/?client=EXTRA07")


def test_what_can_reach_page_and_csv(rdp, viewer_client):
    url = "/what-if/what-can-reach/?client=WS2102"
    body = viewer_client.get(url).content.decode()
    assert "TCP 443" in body
    rows = list(
        csv.reader(io.StringIO(viewer_client.get(url + "&format=csv").content.decode()))
    )
    assert rows[0] == ["server", "service", "verdict", "path", "reasons"]
    assert ["APP01", "TCP 443", "allowed", "Allow rules: HTTPS", ""] in rows


def test_what_can_reach_says_why_a_row_is_indeterminate(rdp, viewer_client):
    # The reason must be on the page, not only in a tooltip, and the row must
    # open the single query that shows the whole ladder.
    policy = FirewallRule.objects.get(name="HTTPS").policy
    rdp.port(policy, "SSH from admins", "22", scope="10.99.0.0/24")
    rdp.computer("NOADDR01")

    response = viewer_client.get("/what-if/what-can-reach/?client=NOADDR01")

    body = response.content.decode()
    row = body[body.index('<tr data-verdict="indeterminate"') :]
    row = row[: row.index("</tr>")]
    assert "TCP 22" in row
    assert "needs the client&#x27;s address, which is unknown</td>" in row
    # A range such as "TCP 1025-3388" stays on one line as a link.
    assert '<td class="mono text-nowrap"><a href=' in row
    assert (
        'href="/what-if/?client=NOADDR01&amp;server=APP01&amp;service=tcp%2F22"' in row
    )


def test_who_can_reach_says_why_machines_are_indeterminate(rdp, viewer_client):
    policy = FirewallRule.objects.get(name="HTTPS").policy
    rdp.port(policy, "SSH from admins", "22", scope="10.99.0.0/24")
    rdp.computer("NOADDR01")
    rdp.computer("NOADDR02")

    response = viewer_client.get(
        "/what-if/who-can-reach/?server=APP01&service=tcp%2F22"
    )

    body = response.content.decode()
    section = body[body.index('data-path="Indeterminate"') :]
    section = section[: section.index("</section>")]
    assert "NOADDR01" in section
    reasons = section[section.index("data-indeterminate-reasons") :]
    assert "needs the client&#x27;s address, which is unknown (2 machines)" in reasons


def test_reverse_query_pages_report_bad_input(rdp, viewer_client):
    body = viewer_client.get(
        "/what-if/who-can-reach/?server=NOPE&service=tcp%2F1"
    ).content.decode()
    assert "Unknown server &#x27;NOPE&#x27;." in body


def test_impact_of_a_new_exception(rdp, viewer_client):
    policy = FirewallRule.objects.get(name="HTTPS").policy
    response = viewer_client.post(
        "/what-if/impact/",
        {
            "object": "firewall_rule",
            "policy": policy.pk,
            "name": "SQL",
            "kind": "port",
            "protocol": "tcp",
            "ports": "1433",
            "scope": "*",
            "enabled": "on",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "data-impact-gained" in body
    assert "WS2101" in body and "WS2102" in body and "tcp/1433" in body


def test_impact_of_narrowing_an_exception(rdp, viewer_client):
    rule = FirewallRule.objects.get(name="HTTPS")
    response = viewer_client.post(
        "/what-if/impact/",
        {"object": "firewall_rule", "rule": rule.pk, "scope": "10.30.21.2"},
    )
    body = response.content.decode()
    assert "data-impact-lost" in body
    assert "WS2101" in body and "WS2102" not in body.split("data-impact-lost")[1]


def test_impact_of_adding_a_machine_to_the_bypass_rule(rdp, viewer_client):
    rule = BypassRule.objects.get()
    entries = list(rule.entries.all())
    ws2 = rdp.computer("WS2199")
    rdp.user("other")
    rdp.ipsec(rdp.servers["APP01"], user_authentication=True)
    data = {
        "object": "bypass_rule",
        "rule": rule.pk,
        "machine_sid": [e.sid for e in entries if e.role == "machine"] + [ws2.sid],
        "user_sid": [e.sid for e in entries if e.role == "user"],
    }
    body = viewer_client.post("/what-if/impact/", data).content.decode()
    assert "data-impact-gained" in body
    assert "WS2199" in body and "jroe" in body


def test_impact_of_a_membership_change(rdp, viewer_client):
    response = viewer_client.post(
        "/what-if/impact/",
        {
            "object": "membership",
            "member": "WS2101",
            "group": "FW-Bypass-App01",
            "add": "no",
        },
    )
    body = response.content.decode()
    assert (
        "data-impact-lost" in body
        or "data-impact-uncertain" in body
        or "data-impact-empty" in body
    )


def test_impact_refuses_an_unknown_object(rdp, viewer_client):
    response = viewer_client.post(
        "/what-if/impact/", {"object": "firewall_rule", "policy": "999999"}
    )
    assert response.status_code == 400
    assert "Unknown policy." in response.content.decode()


def test_anonymous_users_are_sent_to_sign_in(rdp, client):
    response = client.get(QUERY)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_impact_accepts_the_policy_forms_own_fields(rdp, viewer_client):
    """The bypass rule form's principal lists and the rule form's checkboxes."""
    rule = BypassRule.objects.get()
    newcomer = rdp.computer("WS2188")
    rdp.ipsec(rdp.servers["APP01"], user_authentication=True)
    machines = [e for e in rule.entries.all() if e.role == "machine"]
    users = [e for e in rule.entries.all() if e.role == "user"]
    data = {
        "object": "bypass_rule",
        "rule": rule.pk,
        "policy": rule.policy_id,
        "name": rule.name,
        "protocol": "tcp",
        "ports": "3389",
        "enabled": "on",
        "computers-sid": [e.sid for e in machines] + [newcomer.sid],
        "computers-access": ["allow"] * (len(machines) + 1),
        "users-sid": [e.sid for e in users],
        "users-access": ["allow"] * len(users),
    }
    body = viewer_client.post("/what-if/impact/", data).content.decode()
    assert "data-impact-gained" in body and "WS2188" in body

    https = FirewallRule.objects.get(name="HTTPS")
    form = {
        "object": "firewall_rule",
        "rule": https.pk,
        "policy": https.policy_id,
        "name": "HTTPS",
        "kind": "port",
        "action": "allow",
        "protocol": "tcp",
        "ports": "443",
        "scope": "*",
        "profiles": ["public"],
    }
    body = viewer_client.post("/what-if/impact/", form).content.decode()
    lost = body.split("data-impact-lost")[1]
    assert "WS2101" in lost and "WS2102" in lost


def test_type_ahead_ignores_text_longer_than_any_name(rdp, viewer_client):
    response = viewer_client.get(
        "/what-if/search/", {"kind": "machine", "client": "WS2101" + "x" * 300}
    )
    assert response.status_code == 200
    assert "<option" not in response.content.decode()


@pytest.mark.parametrize("icmp_type", ["9" * 5000, "٨", "echo"])
def test_impact_of_an_icmp_type_that_is_not_a_number_is_refused(
    rdp, viewer_client, icmp_type
):
    policy = FirewallRule.objects.get(name="HTTPS").policy
    response = viewer_client.post(
        "/what-if/impact/",
        {
            "object": "firewall_rule",
            "policy": policy.pk,
            "name": "Ping",
            "kind": "icmp",
            "icmp_type": icmp_type,
            "scope": "*",
            "enabled": "on",
        },
    )

    assert response.status_code == 400
    assert "is not an ICMP type (0-255)" in response.content.decode()
