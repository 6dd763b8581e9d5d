"""Effective configuration: which policy wins each setting of a server."""

import pytest

from policies.effective import (
    BYPASS,
    ICMP_SETTINGS,
    PORT_EXCEPTIONS,
    PREDEFINED_GROUP_SERVICES,
    PROGRAM_EXCEPTIONS,
    STATE,
    PolicySettings,
    effective_configuration,
    effective_configurations,
    resolve,
)
from policies.models import (
    AuthorizationEntry,
    BypassEntry,
    BypassRule,
    Era,
    FirewallRule,
    FirewallState,
    Policy,
    Server,
)

pytestmark = pytest.mark.django_db

SID = "S-1-5-21-3623811015-3361044348-30300820-"


def shared(name, precedence, *servers, **states):
    policy = Policy.objects.create(name=name, precedence=precedence, **states)
    policy.servers.add(*servers)
    return policy


def local(server, **states):
    return Policy.objects.create(
        name=f"local:{server.name}", precedence=1, local_server=server, **states
    )


def port_rule(policy, name, ports, protocol="tcp", **fields):
    return FirewallRule.objects.create(
        policy=policy, name=name, kind="port", protocol=protocol, ports=ports, **fields
    )


def bypass(policy, name, *rids, role="machine", **fields):
    rule = BypassRule.objects.create(policy=policy, name=name, **fields)
    for rid in rids:
        BypassEntry.objects.create(
            rule=rule, sid=f"{SID}{rid}", name=f"G{rid}", role=role
        )
    return rule


@pytest.fixture
def xp_server():
    return Server.objects.create(name="APP01", era=Era.XP)


@pytest.fixture
def wfas_server():
    return Server.objects.create(name="APP02", era=Era.ADVANCED)


def test_highest_precedence_policy_wins_a_list_setting(xp_server):
    low = shared("Baseline", 20, xp_server)
    high = shared("Accounting", 5, xp_server)
    port_rule(low, "SMB", "445")
    port_rule(high, "HTTPS", "443")
    config = effective_configuration(xp_server)
    setting = config.exceptions(PORT_EXCEPTIONS, "domain")
    assert setting.policy == high
    assert [rule.name for rule in setting.value] == ["HTTPS"]
    assert setting.overridden == (low,)


def test_precedence_ties_are_broken_by_name(xp_server):
    beta = shared("Beta", 10, xp_server)
    alpha = shared("Alpha", 10, xp_server)
    port_rule(beta, "B", "80")
    port_rule(alpha, "A", "81")
    assert (
        effective_configuration(xp_server).exceptions(PORT_EXCEPTIONS, "domain").policy
        == alpha
    )


def test_local_policy_counts_only_where_no_shared_policy_defines_the_setting(
    xp_server,
):
    own = local(xp_server, state_domain=FirewallState.OFF)
    port_rule(own, "Local SMB", "445")
    FirewallRule.objects.create(
        policy=own, name="Local app", kind="program", program_path=r"C:\app.exe"
    )
    gpo = shared("GPO", 50, xp_server, state_domain=FirewallState.ON)
    port_rule(gpo, "GPO RDP", "3389")

    config = effective_configuration(xp_server)
    assert config.state("domain").policy == gpo
    assert config.state("domain").value == FirewallState.ON
    assert config.exceptions(PORT_EXCEPTIONS, "domain").policy == gpo
    programs = config.exceptions(PROGRAM_EXCEPTIONS, "domain")
    assert programs.policy == own
    assert [rule.name for rule in programs.value] == ["Local app"]
    assert config.policies[-1] == own


def test_local_policy_loses_even_with_precedence_one(xp_server):
    own = local(xp_server)
    port_rule(own, "L", "1")
    gpo = shared("GPO", 999, xp_server)
    port_rule(gpo, "G", "2")
    assert (
        effective_configuration(xp_server).exceptions(PORT_EXCEPTIONS, "domain").policy
        == gpo
    )


def test_unconfigured_state_is_windows_default_on(xp_server):
    shared("Empty", 1, xp_server)
    state = effective_configuration(xp_server).state("standard")
    assert state.policy is None
    assert state.value == FirewallState.ON
    assert state.source_label == "Windows default"


def test_state_is_defined_per_profile(xp_server):
    high = shared("High", 1, xp_server, state_standard=FirewallState.SHIELDED)
    low = shared("Low", 2, xp_server, state_domain=FirewallState.OFF)
    config = effective_configuration(xp_server)
    assert config.state("domain").policy == low
    assert config.state("standard").policy == high
    assert config.state("standard").value == FirewallState.SHIELDED


def test_xp_exceptions_are_per_profile(xp_server):
    high = shared("High", 1, xp_server)
    low = shared("Low", 2, xp_server)
    port_rule(high, "Standard only", "80", profiles="standard")
    port_rule(low, "Both", "443")
    config = effective_configuration(xp_server)
    assert config.exceptions(PORT_EXCEPTIONS, "standard").policy == high
    assert config.exceptions(PORT_EXCEPTIONS, "domain").policy == low


def test_xp_bypass_list_comes_whole_from_one_policy(xp_server):
    low = shared("Low", 9, xp_server)
    high = shared("High", 1, xp_server)
    bypass(low, "Bypass", 1101, 1102)
    bypass(high, "Bypass", 1201)
    empty_rule_policy = shared("Higher but empty", 0, xp_server)
    BypassRule.objects.create(policy=empty_rule_policy, name="No entries")

    setting = effective_configuration(xp_server).bypass()
    assert setting.policy == high
    sids = [entry.sid for rule in setting.value for entry in rule.entries]
    assert sids == [f"{SID}1201"]
    assert setting.overridden == (low,)


def test_each_predefined_group_is_its_own_setting(xp_server):
    high = shared("High", 1, xp_server)
    low = shared("Low", 2, xp_server)
    FirewallRule.objects.create(
        policy=high, name="RDP", kind="predefined", predefined_group="remote_desktop"
    )
    FirewallRule.objects.create(
        policy=low, name="FPS", kind="predefined", predefined_group="file_and_printer"
    )
    config = effective_configuration(xp_server)
    assert config.predefined("remote_desktop", "domain").policy == high
    assert config.predefined("file_and_printer", "domain").policy == low
    assert config.predefined("remote_admin", "domain").policy is None


def test_icmp_settings_are_a_setting_of_their_own(xp_server):
    gpo = shared("GPO", 1, xp_server)
    FirewallRule.objects.create(policy=gpo, name="Echo", kind="icmp", icmp_type=8)
    setting = effective_configuration(xp_server).exceptions(ICMP_SETTINGS, "domain")
    assert setting.policy == gpo


def test_predefined_groups_open_their_documented_ports():
    fps = PREDEFINED_GROUP_SERVICES["file_and_printer"]
    assert str(fps.tcp) == "139,445"
    assert str(fps.udp) == "137-138"
    assert fps.icmp_types == {8}
    assert str(PREDEFINED_GROUP_SERVICES["remote_desktop"].tcp) == "3389"
    admin = PREDEFINED_GROUP_SERVICES["remote_admin"]
    assert str(admin.tcp) == "135,445"
    assert admin.rpc_dynamic


def test_later_era_rules_merge_across_policies_and_same_name_replaces(wfas_server):
    high = shared("High", 1, wfas_server)
    low = shared("Low", 2, wfas_server)
    own = local(wfas_server)
    port_rule(high, "Web", "443")
    port_rule(low, "Web", "80")
    port_rule(low, "SMB", "445")
    port_rule(own, "Agent", "9000")
    port_rule(own, "SMB", "139")

    config = effective_configuration(wfas_server)
    by_name = {item.rule.name: item for item in config.rules}
    assert set(by_name) == {"Web", "SMB", "Agent"}
    assert by_name["Web"].policy == high
    assert by_name["Web"].rule.ports == "443"
    assert [(rule.ports, policy) for rule, policy in by_name["Web"].replaced] == [
        ("80", low)
    ]
    assert by_name["SMB"].policy == low
    assert by_name["Agent"].policy == own


def test_later_era_bypass_rules_merge_by_name(wfas_server):
    high = shared("High", 1, wfas_server)
    low = shared("Low", 2, wfas_server)
    bypass(high, "Admins", 1)
    bypass(low, "Admins", 2)
    bypass(low, "Backup", 3)
    config = effective_configuration(wfas_server)
    by_name = {item.rule.name: item for item in config.bypass_rules}
    assert by_name["Admins"].policy == high
    assert [e.sid for e in by_name["Admins"].settings.entries] == [f"{SID}1"]
    assert by_name["Admins"].replaced[0][1] == low
    assert by_name["Backup"].policy == low


def test_later_era_authorization_lists_are_settings(wfas_server):
    high = shared("High", 1, wfas_server)
    low = shared("Low", 2, wfas_server)
    AuthorizationEntry.objects.create(
        policy=low, list_kind="machine", sid=f"{SID}5", name="Low machines"
    )
    AuthorizationEntry.objects.create(
        policy=high, list_kind="user", sid=f"{SID}6", name="High users"
    )
    config = effective_configuration(wfas_server)
    assert config.authorization("machine").policy == low
    assert config.authorization("user").policy == high
    assert config.state("private").value == FirewallState.ON


def test_rules_for_profile_filters_by_the_rule_profiles(wfas_server):
    gpo = shared("GPO", 1, wfas_server)
    port_rule(gpo, "Domain only", "80", profiles="domain")
    port_rule(gpo, "Everywhere", "81")
    config = effective_configuration(wfas_server)
    assert {item.rule.name for item in config.rules_for_profile("public")} == {
        "Everywhere"
    }


def test_a_policy_not_linked_to_the_server_does_not_apply(xp_server):
    other = Server.objects.create(name="OTHER", era=Era.XP)
    unrelated = shared("Unrelated", 1, other)
    port_rule(unrelated, "X", "1")
    assert (
        effective_configuration(xp_server).exceptions(PORT_EXCEPTIONS, "domain").policy
        is None
    )


def test_every_setting_is_listed_with_its_label(xp_server):
    config = effective_configuration(xp_server)
    labels = [setting.label for setting in config.all_settings()]
    assert labels[0] == "Firewall state (domain profile)"
    assert "Authenticated IPsec bypass list" in labels
    assert "Remote Desktop (standard profile)" in labels
    assert {setting.name for setting in config.all_settings()} >= {
        STATE,
        BYPASS,
        PORT_EXCEPTIONS,
    }


def test_many_servers_resolve_in_a_fixed_number_of_queries(django_assert_num_queries):
    servers = []
    for index in range(12):
        era = Era.XP if index % 2 else Era.ADVANCED
        server = Server.objects.create(name=f"SRV{index:02}", era=era)
        policy = shared(f"Policy {index}", index, server)
        port_rule(policy, "Port", str(1000 + index))
        bypass(policy, "Bypass", index + 1)
        own = local(server)
        port_rule(own, "Own", "9")
        servers.append(server)
    with django_assert_num_queries(6):
        configs = effective_configurations(servers)
    assert len(configs) == 12
    assert configs[servers[1].pk].bypass().value[0].entries[0].sid == f"{SID}2"


def test_resolve_works_from_in_memory_settings_without_queries(
    xp_server, django_assert_num_queries
):
    gpo = Policy(pk=10_001, name="In memory", precedence=1, state_domain="off")
    rule = FirewallRule(policy=gpo, name="P", kind="port", protocol="tcp", ports="1")
    with django_assert_num_queries(0):
        config = resolve(xp_server, [PolicySettings(policy=gpo, rules=(rule,))])
    assert config.state("domain").policy == gpo
    assert config.exceptions(PORT_EXCEPTIONS, "domain").value == (rule,)
