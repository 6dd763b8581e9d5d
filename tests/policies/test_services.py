import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from directory.models import DirectoryObject
from policies import services
from policies.models import (
    BypassEntry,
    BypassRule,
    Era,
    FirewallRule,
    Policy,
    Server,
    ServerAddress,
)
from tests.policies.factories import (
    DOMAIN_SID,
    BypassEntryFactory,
    BypassRuleFactory,
    PolicyFactory,
    PrincipalFactory,
    RuleFactory,
    ServerFactory,
)

pytestmark = pytest.mark.django_db

FC19_MUST_REJECT = [
    "10.0.0.0/33",
    "10.0.0.1 - 10.0.0.9",
    "10.0.0.9-10.0.0.1",
    "*,10.0.0.1",
    "256.1.1.1",
    "10.0.0.0/255.0.255.0",
]


def advanced_local_policy():
    server = services.create_server(name="APP01", era=Era.ADVANCED)
    return server.local_policy


def test_creating_a_server_creates_its_local_policy_with_its_states():
    server = services.create_server(
        name="APP01",
        era=Era.XP,
        states={"state_domain": "shielded"},
        addresses=[("10.20.1.10", 24), ("192.168.50.10", 26)],
    )

    local = Policy.objects.get(local_server=server)
    assert local.era == Era.XP
    assert local.state_domain == "shielded"
    assert [str(address) for address in server.addresses.all()] == [
        "10.20.1.10/24",
        "192.168.50.10/26",
    ]


@pytest.mark.parametrize("scope", FC19_MUST_REJECT)
def test_scope_strings_of_fc19_are_refused_on_save(scope):
    policy = advanced_local_policy()

    with pytest.raises(ValidationError) as caught:
        services.save_object(
            obj=FirewallRule(
                policy=policy, name="E", protocol="tcp", ports="3389", scope=scope
            )
        )

    assert "scope" in caught.value.message_dict
    assert not FirewallRule.objects.exists()


@pytest.mark.parametrize(
    "scope", ["10.30.4.1-10.30.4.9,172.16.5.7", "2001:db8::/32", "Internet"]
)
def test_xp_scopes_refuse_ranges_ipv6_and_later_keywords(scope):
    server = services.create_server(name="OLD01", era=Era.XP)

    with pytest.raises(ValidationError) as caught:
        services.save_object(
            obj=FirewallRule(
                policy=server.local_policy,
                name="E",
                protocol="tcp",
                ports="80",
                scope=scope,
            )
        )

    assert "scope" in caught.value.message_dict


def test_xp_policy_refuses_block_rules_but_the_later_era_takes_them():
    xp = services.create_server(name="OLD01", era=Era.XP).local_policy
    block = {"name": "Block RDP", "action": "block", "protocol": "tcp", "ports": "3389"}

    with pytest.raises(ValidationError) as caught:
        services.save_object(obj=FirewallRule(policy=xp, **block))

    assert "action" in caught.value.message_dict
    services.save_object(obj=FirewallRule(policy=advanced_local_policy(), **block))
    assert FirewallRule.objects.get().action == "block"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"protocol": "tcp", "ports": "0"}, "ports"),
        ({"protocol": "tcp", "ports": "70000"}, "ports"),
        ({"protocol": "tcp", "ports": "90-80"}, "ports"),
        ({"protocol": "", "ports": "80"}, "protocol"),
        ({"kind": "program", "program_path": "notepad.exe"}, "program_path"),
        ({"kind": "program", "program_path": "C:\\a\\b|c.exe"}, "program_path"),
        ({"kind": "program", "program_path": "C:/Program Files/x.exe"}, "program_path"),
        ({"kind": "icmp", "icmp_type": 300}, "icmp_type"),
        ({"kind": "icmp"}, "icmp_type"),
        ({"kind": "predefined"}, "predefined_group"),
        ({"protocol": "tcp", "ports": "80", "profiles": "domain,office"}, "profiles"),
        ({"protocol": "tcp", "ports": "80", "name": "two\nlines"}, "name"),
    ],
)
def test_bad_rule_fields_are_refused_on_the_field(fields, field):
    policy = advanced_local_policy()
    values = {"name": "Rule", "scope": "*", **fields}

    with pytest.raises(ValidationError) as caught:
        services.save_object(obj=FirewallRule(policy=policy, **values))

    assert field in caught.value.message_dict
    assert not FirewallRule.objects.exists()


def test_xp_icmp_setting_has_no_scope():
    xp = services.create_server(name="OLD01", era=Era.XP).local_policy

    with pytest.raises(ValidationError) as caught:
        services.save_object(
            obj=FirewallRule(
                policy=xp, name="Ping", kind="icmp", icmp_type=8, scope="LocalSubnet"
            )
        )

    assert "no scope" in caught.value.message_dict["scope"][0]


def test_profiles_are_stored_in_canonical_order():
    policy = advanced_local_policy()

    rule = services.save_object(
        obj=FirewallRule(
            policy=policy,
            name="R",
            protocol="tcp",
            ports="80",
            profiles="Public, domain",
        )
    )

    assert rule.profiles == "domain,public"


def test_bypass_rule_naming_users_but_no_computer_is_refused_fc21():
    policy = advanced_local_policy()
    rule = BypassRule(policy=policy, name="RDP bypass", protocol="tcp", ports="3389")

    with pytest.raises(ValidationError) as caught:
        services.save_bypass_rule(
            rule=rule,
            entries=[{"sid": f"{DOMAIN_SID}-1200", "name": "Helpdesk", "role": "user"}],
        )

    assert "computer" in " ".join(caught.value.messages)
    assert not BypassRule.objects.exists()
    assert not BypassEntry.objects.exists()


def test_bypass_rule_with_computers_users_and_exceptions_is_saved():
    policy = advanced_local_policy()
    rule = BypassRule(policy=policy, name="RDP bypass", protocol="tcp", ports="3389")

    services.save_bypass_rule(
        rule=rule,
        entries=[
            {"sid": f"{DOMAIN_SID}-1100", "name": "FW-Bypass-App01"},
            {"sid": f"{DOMAIN_SID}-1101", "name": "WS-Lost", "deny": True},
            {"sid": f"{DOMAIN_SID}-1200", "name": "Helpdesk", "role": "user"},
        ],
    )

    assert rule.entries.count() == 3


def test_removing_the_last_computer_of_a_bypass_rule_is_refused():
    policy = advanced_local_policy()
    rule = services.save_bypass_rule(
        rule=BypassRule(policy=policy, name="B"),
        entries=[
            {"sid": f"{DOMAIN_SID}-1100", "name": "Computers"},
            {"sid": f"{DOMAIN_SID}-1200", "name": "Helpdesk", "role": "user"},
        ],
    )
    computer_entry = rule.entries.get(role="machine")

    with pytest.raises(ValidationError, match="computer"):
        services.delete_object(obj=computer_entry)

    assert rule.entries.count() == 2


def test_xp_bypass_list_covers_every_port_and_holds_computers_only():
    xp = services.create_server(name="OLD01", era=Era.XP).local_policy

    with pytest.raises(ValidationError) as caught:
        services.save_bypass_rule(
            rule=BypassRule(policy=xp, name="B", protocol="tcp", ports="445"),
            entries=[{"sid": f"{DOMAIN_SID}-1100"}],
        )
    assert "ports" in caught.value.message_dict

    with pytest.raises(ValidationError, match="computers"):
        services.save_bypass_rule(
            rule=BypassRule(policy=xp, name="B"),
            entries=[
                {"sid": f"{DOMAIN_SID}-1100"},
                {"sid": f"{DOMAIN_SID}-1200", "role": "user"},
            ],
        )


def test_xp_policy_holds_one_bypass_list():
    xp = services.create_server(name="OLD01", era=Era.XP).local_policy
    services.save_bypass_rule(
        rule=BypassRule(policy=xp, name="B1"), entries=[{"sid": f"{DOMAIN_SID}-1100"}]
    )

    with pytest.raises(ValidationError, match="one bypass list"):
        services.save_bypass_rule(
            rule=BypassRule(policy=xp, name="B2"),
            entries=[{"sid": f"{DOMAIN_SID}-1101"}],
        )


def test_entry_with_a_sid_that_does_not_parse_is_refused():
    policy = advanced_local_policy()

    with pytest.raises(ValidationError, match="not a SID"):
        services.save_bypass_rule(
            rule=BypassRule(policy=policy, name="B"),
            entries=[{"sid": "S-1-5-21-x", "name": "Broken"}],
        )

    assert not BypassRule.objects.exists()


def test_user_account_is_refused_as_an_authorized_computer():
    jroe = PrincipalFactory(kind=DirectoryObject.Kind.USER, name="jroe")
    policy = advanced_local_policy()

    with pytest.raises(ValidationError, match="user account"):
        services.save_bypass_rule(
            rule=BypassRule(policy=policy, name="B"),
            entries=[{"sid": jroe.sid, "name": "jroe"}],
        )


def test_saving_the_same_entries_again_records_no_history():
    policy = advanced_local_policy()
    entries = [{"sid": f"{DOMAIN_SID}-1100", "name": "Computers"}]
    rule = services.save_bypass_rule(
        rule=BypassRule(policy=policy, name="B"), entries=entries
    )
    before = LogEntry.objects.count()

    services.save_bypass_rule(rule=BypassRule.objects.get(pk=rule.pk), entries=entries)

    assert LogEntry.objects.count() == before


def test_address_with_a_prefix_too_long_for_its_family_is_refused():
    server = services.create_server(name="APP01")

    with pytest.raises(ValidationError) as caught:
        services.set_server_addresses(server=server, addresses=[("10.0.0.1", 33)])

    assert "prefix_length" in caught.value.message_dict
    services.set_server_addresses(server=server, addresses=[("2001:db8::1", 64)])
    assert ServerAddress.objects.get().prefix_length == 64


def test_changing_era_is_refused_while_the_local_policy_holds_block_rules():
    server = services.create_server(name="APP01", era=Era.ADVANCED)
    services.save_object(
        obj=FirewallRule(
            policy=server.local_policy,
            name="Block",
            action="block",
            protocol="tcp",
            ports="3389",
        )
    )

    with pytest.raises(ValidationError) as caught:
        services.update_server(server=server, era=Era.XP, active_profile="domain")

    assert "Block" in caught.value.message_dict["era"][0]
    assert Server.objects.get().era == Era.ADVANCED


def test_renaming_a_server_renames_its_local_policy():
    server = services.create_server(name="APP01")

    services.update_server(server=server, name="APP02")

    assert Policy.objects.get(local_server=server).name == "local:APP02"


def test_policy_links_only_to_servers_of_its_era():
    policy = PolicyFactory(era=Era.ADVANCED)
    xp_server = ServerFactory(era=Era.XP)

    with pytest.raises(ValidationError) as caught:
        services.link_servers(policy=policy, servers=[xp_server])

    assert "servers" in caught.value.message_dict
    assert not policy.servers.exists()


def test_each_link_change_is_logged_with_the_server_it_names():
    policy = PolicyFactory(era=Era.XP)
    first, second = ServerFactory(), ServerFactory()

    services.link_servers(policy=policy, servers=[first, second])
    services.link_servers(policy=policy, servers=[second])

    entries = LogEntry.objects.filter(object_pk=str(policy.pk)).order_by("pk")
    linked = [
        (entry.changes_dict["servers"]["operation"], entry.additional_data["server"])
        for entry in entries
        if "servers" in entry.changes_dict
    ]
    assert sorted(linked[:2]) == sorted([("add", first.pk), ("add", second.pk)])
    assert linked[2:] == [("delete", first.pk)]


def test_shared_policy_name_may_not_look_local():
    with pytest.raises(ValidationError) as caught:
        services.save_policy(policy=Policy(name="local:APP01"))

    assert "name" in caught.value.message_dict


def test_deleting_a_local_policy_is_refused():
    server = services.create_server(name="APP01")

    with pytest.raises(ValidationError):
        services.delete_object(obj=server.local_policy)


def test_rule_factory_builds_a_valid_rule():
    rule = RuleFactory()
    rule.full_clean()
    entry = BypassEntryFactory(rule=BypassRuleFactory(policy=rule.policy))
    entry.full_clean()
