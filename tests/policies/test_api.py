import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from policies.models import BypassRule, Era, FirewallRule, Policy, Server
from tests.conftest import PASSWORD
from tests.policies.factories import DOMAIN_SID, PolicyFactory, ServerFactory

pytestmark = pytest.mark.django_db


def test_editor_creates_a_server_with_addresses_and_state(editor_client):
    response = editor_client.post(
        reverse("api:server-list"),
        {
            "name": "APP01",
            "era": "advanced",
            "addresses": ["10.20.1.10/24"],
            "firewall_state": {"domain": "on", "public": "off"},
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["addresses"] == ["10.20.1.10/24"]
    assert body["firewall_state"] == {"domain": "on", "public": "off"}
    assert Server.objects.get().local_policy.state_public == "off"


def test_bad_address_is_refused_with_the_field_and_nothing_saved(editor_client):
    response = editor_client.post(
        reverse("api:server-list"),
        {"name": "APP01", "addresses": ["10.20.1.10/33"]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "prefix_length" in response.json() or "addresses" in response.json()
    assert not Server.objects.exists()


def test_rule_with_a_bad_scope_is_refused_on_the_scope_field(editor_client):
    policy = ServerFactory(era=Era.ADVANCED).local_policy

    response = editor_client.post(
        reverse("api:firewallrule-list"),
        {
            "policy": policy.pk,
            "name": "E1",
            "protocol": "tcp",
            "ports": "3389",
            "scope": "10.0.0.0/255.0.255.0",
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "not contiguous" in response.json()["scope"][0]
    assert not FirewallRule.objects.exists()


def test_bypass_rule_with_users_only_is_refused_with_computer_in_the_message(
    editor_client,
):
    policy = ServerFactory(era=Era.ADVANCED).local_policy

    response = editor_client.post(
        reverse("api:bypassrule-list"),
        {
            "policy": policy.pk,
            "name": "Helpdesk",
            "protocol": "tcp",
            "ports": "3389",
            "entries": [
                {"sid": f"{DOMAIN_SID}-1200", "name": "Helpdesk", "role": "user"}
            ],
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "computer" in " ".join(response.json()["entries"])
    assert not BypassRule.objects.exists()


def test_bypass_rule_entries_round_trip_through_the_api(editor_client):
    policy = ServerFactory(era=Era.ADVANCED).local_policy
    entries = [
        {
            "sid": f"{DOMAIN_SID}-1100",
            "name": "FW-Bypass",
            "role": "machine",
            "deny": False,
        },
        {
            "sid": f"{DOMAIN_SID}-1200",
            "name": "Helpdesk",
            "role": "user",
            "deny": False,
        },
    ]

    created = editor_client.post(
        reverse("api:bypassrule-list"),
        {"policy": policy.pk, "name": "B", "entries": entries},
        content_type="application/json",
    )
    fetched = editor_client.get(created.json()["url"])

    assert created.status_code == 201, created.json()
    assert sorted(fetched.json()["entries"], key=lambda e: e["sid"]) == entries


def test_viewer_reads_but_cannot_write(viewer_client):
    ServerFactory(name="APP01")

    listing = viewer_client.get(reverse("api:server-list"))
    write = viewer_client.post(
        reverse("api:server-list"), {"name": "X"}, content_type="application/json"
    )

    assert listing.status_code == 200
    assert listing.json()["results"][0]["name"] == "APP01"
    assert write.status_code == 403
    assert not Server.objects.filter(name="X").exists()


def test_api_change_is_in_the_history_with_the_basic_auth_user(client, editor):
    policy = PolicyFactory(era=Era.XP, precedence=3)
    credentials = (
        __import__("base64")
        .b64encode(f"{editor.username}:{PASSWORD}".encode())
        .decode()
    )

    response = client.patch(
        reverse("api:policy-detail", args=[policy.pk]),
        {"precedence": 2},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )

    assert response.status_code == 200, response.content
    entry = LogEntry.objects.filter(object_pk=str(policy.pk)).latest("timestamp")
    assert entry.actor == editor
    assert entry.changes_dict["precedence"] == ["3", "2"]


def test_policy_links_only_servers_of_its_era_through_the_api(editor_client):
    policy = PolicyFactory(era=Era.ADVANCED)
    xp_server = ServerFactory(era=Era.XP)

    response = editor_client.patch(
        reverse("api:policy-detail", args=[policy.pk]),
        {"servers": [xp_server.pk]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "servers" in response.json()
    assert not Policy.objects.get(pk=policy.pk).servers.exists()


def test_deleting_the_last_computer_entry_is_impossible_but_the_rule_can_go(
    editor_client,
):
    policy = ServerFactory(era=Era.ADVANCED).local_policy
    created = editor_client.post(
        reverse("api:bypassrule-list"),
        {"policy": policy.pk, "name": "B", "entries": [{"sid": f"{DOMAIN_SID}-1100"}]},
        content_type="application/json",
    ).json()

    emptied = editor_client.patch(
        created["url"], {"entries": []}, content_type="application/json"
    )
    deleted = editor_client.delete(created["url"])

    assert emptied.status_code == 400
    assert deleted.status_code == 204
    assert not BypassRule.objects.exists()


def test_schema_lists_the_policy_endpoints(viewer_client):
    response = viewer_client.get(reverse("api_schema"))

    text = response.content.decode()
    assert response.status_code == 200
    for path in ("/api/servers/", "/api/bypass-rules/", "/api/ipsec-policies/"):
        assert path in text


def test_a_scope_prefix_of_thousands_of_digits_is_refused_on_the_scope_field(
    editor_client,
):
    policy = ServerFactory(era=Era.ADVANCED).local_policy

    response = editor_client.post(
        reverse("api:firewallrule-list"),
        {
            "policy": policy.pk,
            "name": "E1",
            "protocol": "tcp",
            "ports": "3389",
            "scope": "10.0.0.0/" + "9" * 5000,
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "longer than 32 bits" in response.json()["scope"][0]
    assert not FirewallRule.objects.exists()


ARABIC_INDIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize(
    "spell",
    [
        lambda pk: pk + 0.5,
        float,
        lambda pk: str(pk).translate(ARABIC_INDIC_DIGITS),
        lambda pk: f" {pk}",
    ],
    ids=["fraction", "float", "arabic-indic digits", "leading space"],
)
def test_an_id_that_is_not_a_whole_number_links_nothing(editor_client, spell):
    policy = ServerFactory(era=Era.ADVANCED).local_policy
    rule = {"name": "E1", "protocol": "tcp", "ports": "3389", "scope": "*"}

    response = editor_client.post(
        reverse("api:firewallrule-list"),
        {**rule, "policy": spell(policy.pk)},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "Incorrect type" in response.json()["policy"][0]
    assert not FirewallRule.objects.exists()


def test_a_server_list_with_a_fractional_id_is_refused(editor_client):
    policy = PolicyFactory(era=Era.ADVANCED)
    server = ServerFactory(era=Era.ADVANCED)

    response = editor_client.patch(
        reverse("api:policy-detail", args=[policy.pk]),
        {"servers": [server.pk + 0.25]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert list(policy.servers.all()) == []


def test_a_misspelt_field_is_refused_not_ignored(editor_client):
    server = ServerFactory(era=Era.ADVANCED, owner="Ops")

    response = editor_client.patch(
        reverse("api:server-detail", args=[server.pk]),
        {"ownr": "Finance"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"ownr": ["Unknown field."]}
    server.refresh_from_db()
    assert server.owner == "Ops"


def test_what_the_api_returns_can_be_sent_back_unchanged(editor_client):
    server = ServerFactory(era=Era.ADVANCED)
    url = reverse("api:server-detail", args=[server.pk])

    response = editor_client.put(
        url, editor_client.get(url).json(), content_type="application/json"
    )

    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    "path", ["api:firewallrule-list", "api:server-list", "api:whatif"]
)
def test_json_nested_too_deep_to_read_is_a_400(editor_client, path):
    response = editor_client.post(
        reverse(path),
        "[" * 100_000 + "]" * 100_000,
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize("prefix", ["9" * 5000, "٢٤", "0" * 5000 + "24"])
def test_an_address_prefix_that_is_not_a_short_number_is_refused(editor_client, prefix):
    response = editor_client.post(
        reverse("api:server-list"),
        {"name": "APP01", "addresses": [f"10.20.1.10/{prefix}"]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "needs a prefix length" in response.json()["addresses"][0]
    assert not Server.objects.exists()


def test_a_rule_name_taken_in_its_policy_is_refused_on_the_name_field(editor_client):
    policy = ServerFactory(era=Era.ADVANCED).local_policy
    rule = {"policy": policy.pk, "name": "E1", "protocol": "tcp", "ports": "3389"}
    url = reverse("api:firewallrule-list")
    editor_client.post(url, {**rule, "scope": "*"}, content_type="application/json")

    response = editor_client.post(
        url, {**rule, "scope": "LocalSubnet"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "name": ["Firewall rule with this Policy and Name already exists."]
    }
    assert FirewallRule.objects.get().scope == "*"
