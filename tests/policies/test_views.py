import pytest
from django.urls import reverse

from directory.models import DirectoryObject
from policies.models import (
    BypassRule,
    Era,
    FirewallRule,
    Policy,
    Server,
)
from tests.policies.factories import (
    DOMAIN_SID,
    AccessRequirementFactory,
    BypassEntryFactory,
    BypassRuleFactory,
    IPsecPolicyFactory,
    PolicyFactory,
    PrincipalFactory,
    RuleFactory,
    ServerFactory,
)

pytestmark = pytest.mark.django_db


def server_form(**overrides):
    data = {
        "name": "APP01",
        "fqdn": "app01.corp.example.test",
        "era": "advanced",
        "active_profile": "domain",
        "addresses": "10.20.1.10/24\n192.168.50.10/26",
        "owner": "",
        "notes": "",
        "computer_account": "",
        "state_domain": "on",
        "state_standard": "",
        "state_private": "",
        "state_public": "",
    }
    data.update(overrides)
    return data


def field_errors(response, field):
    return response.context["form"].errors.get(field, [])


def test_editor_creates_a_server_with_addresses_and_local_state(editor_client):
    response = editor_client.post(reverse("policies:server_create"), server_form())

    server = Server.objects.get(name="APP01")
    assert response.status_code == 302
    assert response["Location"] == server.get_absolute_url()
    assert [str(item) for item in server.addresses.all()] == [
        "10.20.1.10/24",
        "192.168.50.10/26",
    ]
    assert server.local_policy.state_domain == "on"


@pytest.mark.parametrize(
    "addresses",
    [
        "10.20.1.10/33",
        "10.20.1.300/24",
        "10.20.1.10",
        "10.20.1.10/24\n10.20.1.10/24",
        "10.20.1.10/" + "9" * 5000,
        "10.20.1.10/٢٤",
    ],
)
def test_bad_address_shows_on_the_field_and_saves_nothing(editor_client, addresses):
    response = editor_client.post(
        reverse("policies:server_create"), server_form(addresses=addresses)
    )

    assert response.status_code == 200
    assert field_errors(response, "addresses")
    assert 'data-field-error="addresses"' in response.content.decode()
    assert not Server.objects.exists()
    assert not Policy.objects.exists()


def test_profile_of_the_other_era_is_refused_on_the_field(editor_client):
    response = editor_client.post(
        reverse("policies:server_create"),
        server_form(era="xp", active_profile="public", state_private="off"),
    )

    assert field_errors(response, "active_profile")
    assert field_errors(response, "state_private")
    assert not Server.objects.exists()


def rule_form(policy, **overrides):
    data = {
        "policy": policy.pk,
        "name": "E3",
        "kind": "port",
        "action": "allow",
        "protocol": "tcp",
        "ports": "8080",
        "program_path": "",
        "icmp_type": "",
        "predefined_group": "",
        "scope": "10.30.4.1-10.30.4.9,172.16.5.7",
        "enabled": "on",
        "description": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("scope", "10.0.0.1 - 10.0.0.9"),
        ("scope", "10.0.0.0/255.0.255.0"),
        ("scope", "*,10.0.0.1"),
        ("ports", "80-70"),
        ("ports", "http"),
    ],
)
def test_bad_rule_field_shows_on_the_field_and_saves_nothing(
    editor_client, field, value
):
    policy = ServerFactory(era=Era.ADVANCED).local_policy

    response = editor_client.post(
        reverse("policies:firewallrule_create"), rule_form(policy, **{field: value})
    )

    assert response.status_code == 200
    assert field_errors(response, field)
    assert f'data-field-error="{field}"' in response.content.decode()
    assert not FirewallRule.objects.exists()


def test_bad_program_path_shows_on_the_field(editor_client):
    policy = ServerFactory(era=Era.ADVANCED).local_policy

    response = editor_client.post(
        reverse("policies:firewallrule_create"),
        rule_form(
            policy, kind="program", protocol="", ports="", program_path="app.exe"
        ),
    )

    assert field_errors(response, "program_path")
    assert not FirewallRule.objects.exists()


def test_editor_adds_a_rule_with_a_custom_scope(editor_client):
    policy = ServerFactory(era=Era.ADVANCED).local_policy

    response = editor_client.post(
        reverse("policies:firewallrule_create"), rule_form(policy, profiles=["domain"])
    )

    rule = FirewallRule.objects.get()
    assert response.status_code == 302
    assert rule.scope == "10.30.4.1-10.30.4.9,172.16.5.7"
    assert rule.profiles == "domain"


def bypass_form(policy, **overrides):
    data = {
        "policy": policy.pk,
        "name": "RDP bypass",
        "protocol": "tcp",
        "ports": "3389",
        "security": "authenticate",
        "enabled": "on",
        "description": "",
    }
    data.update(overrides)
    return data


def test_bypass_rule_with_users_but_no_computer_is_refused_on_the_form(editor_client):
    policy = ServerFactory(era=Era.ADVANCED).local_policy
    data = bypass_form(policy)
    data.update({"users-sid": [f"{DOMAIN_SID}-1200"], "users-name": ["Helpdesk"]})

    response = editor_client.post(reverse("policies:bypassrule_create"), data)

    assert response.status_code == 200
    assert "computer" in " ".join(field_errors(response, "computers"))
    assert not BypassRule.objects.exists()


def test_bypass_rule_form_stores_entries_by_sid_with_their_names(editor_client):
    policy = ServerFactory(era=Era.ADVANCED).local_policy
    data = bypass_form(policy)
    data.update(
        {
            "computers-sid": [f"{DOMAIN_SID}-1100", f"{DOMAIN_SID}-1101"],
            "computers-name": ["FW-Bypass-App01", "WS-Lost"],
            "computers-access": ["allow", "deny"],
            "users-sid": [f"{DOMAIN_SID}-1200"],
            "users-name": ["Helpdesk"],
            "users-access": ["allow"],
        }
    )

    response = editor_client.post(reverse("policies:bypassrule_create"), data)

    assert response.status_code == 302
    rule = BypassRule.objects.get()
    assert sorted(rule.entries.values_list("name", "role", "deny")) == [
        ("FW-Bypass-App01", "machine", False),
        ("Helpdesk", "user", False),
        ("WS-Lost", "machine", True),
    ]


def test_bypass_rule_form_refuses_a_sid_that_does_not_parse(editor_client):
    policy = ServerFactory(era=Era.ADVANCED).local_policy
    data = bypass_form(policy)
    data.update({"computers-sid": ["S-1-5-21-oops"], "computers-name": ["Bad"]})

    response = editor_client.post(reverse("policies:bypassrule_create"), data)

    assert "not a SID" in " ".join(field_errors(response, "computers"))
    assert not BypassRule.objects.exists()


def test_principal_search_finds_groups_by_name_and_escapes_wildcards(viewer_client):
    PrincipalFactory(name="FW-Bypass-App01")
    PrincipalFactory(name="Helpdesk", kind=DirectoryObject.Kind.USER)
    PrincipalFactory(name="100%_done")
    url = reverse("policies:principal_search")

    found = viewer_client.get(url, {"q": "bypass", "kinds": "group", "field": "x"})
    users_only = viewer_client.get(url, {"q": "help", "kinds": "user", "field": "x"})
    wildcard = viewer_client.get(url, {"q": "%_", "kinds": "group", "field": "x"})

    assert "FW-Bypass-App01" in found.content.decode()
    assert "Helpdesk" in users_only.content.decode()
    assert wildcard.content.decode().count("data-principal-add") == 1


def test_principal_search_leaves_out_distribution_groups(viewer_client):
    PrincipalFactory(name="Bypass-Security")
    PrincipalFactory(name="Bypass-Newsletter", is_security=False)

    found = viewer_client.get(
        reverse("policies:principal_search"),
        {"q": "bypass", "kinds": "group", "field": "x"},
    )

    assert "Bypass-Security" in found.content.decode()
    assert "Bypass-Newsletter" not in found.content.decode()


def test_server_page_shows_effective_configuration_and_where_it_comes_from(
    viewer_client,
):
    server = ServerFactory(era=Era.XP)
    shared = PolicyFactory(name="Baseline", era=Era.XP, precedence=1)
    shared.servers.add(server)
    group = PrincipalFactory(name="FW-Bypass-App01-renamed")
    rule = BypassRuleFactory(policy=shared, name="Bypass")
    BypassEntryFactory(rule=rule, sid=group.sid, name="FW-Bypass-App01")
    BypassEntryFactory(rule=rule, sid=f"{DOMAIN_SID}-9999", name="Gone")
    RuleFactory(policy=server.local_policy, name="SMB", ports="445")

    response = viewer_client.get(server.get_absolute_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-setting="bypass"' in page
    assert "Baseline" in page
    assert "now: " in page and "FW-Bypass-App01-renamed" in page
    assert "resolves to nothing" in page
    assert "O:DAG:DAD:(A;;RCGW;;;" + group.sid + ")" in page


EDIT_URLS = [
    ("policies:server_create", None),
    ("policies:server_update", "server"),
    ("policies:server_delete", "server"),
    ("policies:policy_create", None),
    ("policies:policy_update", "policy"),
    ("policies:policy_delete", "policy"),
    ("policies:firewallrule_create", None),
    ("policies:firewallrule_update", "rule"),
    ("policies:firewallrule_delete", "rule"),
    ("policies:bypassrule_create", None),
    ("policies:bypassrule_update", "bypass"),
    ("policies:bypassrule_delete", "bypass"),
    ("policies:ipsecpolicy_create", None),
    ("policies:ipsecpolicy_update", "ipsec"),
    ("policies:ipsecpolicy_delete", "ipsec"),
    ("policies:accessrequirement_create", None),
    ("policies:accessrequirement_update", "requirement"),
    ("policies:accessrequirement_delete", "requirement"),
    ("policies:policy_import", None),
]


@pytest.fixture
def objects():
    server = ServerFactory()
    policy = PolicyFactory()
    bypass = BypassRuleFactory(policy=policy)
    BypassEntryFactory(rule=bypass)
    return {
        "server": server,
        "policy": policy,
        "rule": RuleFactory(policy=policy),
        "bypass": bypass,
        "ipsec": IPsecPolicyFactory(),
        "requirement": AccessRequirementFactory(server=server),
    }


def test_overview_counts_servers_by_era_in_words(viewer_client):
    ServerFactory(name="OLD1", era=Era.XP)
    ServerFactory(name="OLD2", era=Era.XP)
    ServerFactory(name="NEW1", era=Era.ADVANCED)

    body = viewer_client.get(reverse("policies:index")).content.decode()

    assert f"Servers: 2 {Era.XP.label}, 1 {Era.ADVANCED.label}." in body, (
        "the era codes (xp, advanced) mean nothing to a reader"
    )


@pytest.mark.parametrize(("name", "target"), EDIT_URLS)
def test_viewer_gets_403_on_every_edit_url(viewer_client, objects, name, target):
    args = [objects[target].pk] if target else []
    url = reverse(name, args=args)

    assert viewer_client.get(url).status_code == 403
    assert viewer_client.post(url, {}).status_code == 403


@pytest.mark.parametrize(("name", "target"), EDIT_URLS)
def test_editor_opens_every_edit_url(editor_client, objects, name, target):
    args = [objects[target].pk] if target else []

    assert editor_client.get(reverse(name, args=args)).status_code == 200


READ_PAGES = [
    ("policies:index", None),
    ("policies:server_list", None),
    ("policies:server_detail", "server"),
    ("policies:policy_list", None),
    ("policies:policy_detail", "policy"),
    ("policies:firewallrule_list", None),
    ("policies:firewallrule_detail", "rule"),
    ("policies:bypassrule_list", None),
    ("policies:bypassrule_detail", "bypass"),
    ("policies:ipsecpolicy_list", None),
    ("policies:ipsecpolicy_detail", "ipsec"),
    ("policies:accessrequirement_list", None),
    ("policies:accessrequirement_detail", "requirement"),
]


@pytest.mark.parametrize(("name", "target"), READ_PAGES)
def test_viewer_reads_every_page_without_edit_controls(
    viewer_client, objects, name, target
):
    args = [objects[target].pk] if target else []

    response = viewer_client.get(reverse(name, args=args))

    assert response.status_code == 200
    assert "data-edit-control" not in response.content.decode()


@pytest.mark.parametrize(("name", "target"), READ_PAGES)
def test_editor_sees_edit_controls(editor_client, objects, name, target):
    args = [objects[target].pk] if target else []

    response = editor_client.get(reverse(name, args=args))

    if name != "policies:firewallrule_list" or True:
        assert "data-edit-control" in response.content.decode()


def test_deleting_a_server_asks_first_then_deletes(editor_client):
    server = ServerFactory()
    url = reverse("policies:server_delete", args=[server.pk])

    confirm = editor_client.get(url)
    deleted = editor_client.post(url)

    assert "Delete" in confirm.content.decode()
    assert deleted.status_code == 302
    assert not Server.objects.exists()


@pytest.mark.parametrize("form", ["firewallrule", "bypassrule"])
def test_rule_forms_offer_an_impact_preview_of_the_unsaved_edit(editor_client, form):
    response = editor_client.get(reverse(f"policies:{form}_create"))

    page = response.content.decode()
    assert f'hx-post="{reverse("whatif:impact")}"' in page
    assert "data-impact-button" in page


def test_server_form_keeps_the_local_authorization_list(editor_client):
    data = server_form()
    data.update(
        {
            "authorized_computers-sid": [f"{DOMAIN_SID}-1300", f"{DOMAIN_SID}-1301"],
            "authorized_computers-name": ["IPsec Peers", "Quarantine"],
            "authorized_computers-access": ["allow", "deny"],
        }
    )

    editor_client.post(reverse("policies:server_create"), data)

    local = Server.objects.get().local_policy
    assert sorted(local.authorization_entries.values_list("name", "deny")) == [
        ("IPsec Peers", False),
        ("Quarantine", True),
    ]


def test_xp_server_refuses_an_authorization_list_on_the_field(editor_client):
    data = server_form(era="xp")
    data.update(
        {"authorized_users-sid": [f"{DOMAIN_SID}-1200"], "authorized_users-name": ["H"]}
    )

    response = editor_client.post(reverse("policies:server_create"), data)

    assert field_errors(response, "authorized_users")
    assert not Server.objects.exists()


def test_a_rule_name_taken_in_its_policy_is_refused_on_the_name_field(editor_client):
    policy = ServerFactory(era=Era.ADVANCED).local_policy
    RuleFactory(policy=policy, name="E3")

    response = editor_client.post(
        reverse("policies:firewallrule_create"), rule_form(policy, name="E3")
    )

    assert response.status_code == 200
    assert "already exists" in field_errors(response, "name")[0]
    assert not response.context["form"].non_field_errors()
    assert FirewallRule.objects.filter(policy=policy).count() == 1
