"""The Vista / Server 2008 and later ladder, rung by rung: an allowed and a denied
case each, with the rung that must have decided it."""

import pytest

from policies.evaluator.verdict import Outcome
from policies.models import Era, FirewallState
from tests.policies.evaluator.world import World

pytestmark = pytest.mark.django_db

CASES = []


def case(verdict, deciding):
    def register(function):
        CASES.append(pytest.param(function, verdict, deciding, id=function.__name__))
        return function

    return register


def rdp_server(w, **states):
    """FC-21's shape: block RDP, bypass for admins' machines and helpdesk users."""
    server = w.server(era=Era.ADVANCED)
    gpo = w.policy(server, **states)
    machines = w.group("FW-Bypass-App01")
    helpdesk = w.group("Helpdesk")
    w.port(gpo, "Block RDP", "3389", action="block")
    w.port(gpo, "RDP from local subnet", "3389", scope="LocalSubnet")
    w.port(gpo, "HTTPS", "443")
    return server, gpo, machines, helpdesk


@case("allowed", ["bypass"])
def override_bypass_beats_the_block_rule(w):
    _, gpo, machines, helpdesk = rdp_server(w)
    w.bypass(gpo, machines, users=[helpdesk], protocol="tcp", ports="3389")
    ws, jane = w.computer("WS1"), w.user("jroe")
    w.add(ws, machines)
    w.add(jane, helpdesk)
    return w.ask(ws, user=jane, service="tcp/3389", assume_ipsec=True)


@case("denied", ["block"])
def block_rule_beats_the_ordinary_local_subnet_allow(w):
    rdp_server(w)
    return w.ask(ip="10.20.1.50", service="tcp/3389")


@case("denied", ["block"])
def authorized_user_but_unauthorized_machine(w):
    _, gpo, machines, helpdesk = rdp_server(w)
    w.bypass(gpo, machines, users=[helpdesk], protocol="tcp", ports="3389")
    jane = w.user("jroe")
    w.add(jane, helpdesk)
    return w.ask(w.computer("WS2"), user=jane, service="tcp/3389", assume_ipsec=True)


@case("denied", ["block"])
def authorized_machine_without_an_authenticated_user(w):
    _, gpo, machines, helpdesk = rdp_server(w)
    w.bypass(gpo, machines, users=[helpdesk], protocol="tcp", ports="3389")
    ws = w.computer("WS1")
    w.add(ws, machines)
    return w.ask(ws, service="tcp/3389", assume_ipsec=True)


@case("denied", ["block"])
def an_xp_client_cannot_authenticate_the_user(w):
    _, gpo, machines, helpdesk = rdp_server(w)
    w.bypass(gpo, machines, users=[helpdesk], protocol="tcp", ports="3389")
    ws, jane = w.computer("WS-XP", os="Windows XP Professional"), w.user("jroe")
    w.add(ws, machines)
    w.add(jane, helpdesk)
    return w.ask(ws, user=jane, service="tcp/3389", assume_ipsec=True)


@case("allowed", ["bypass"])
def pretending_the_xp_client_were_of_the_later_era(w):
    _, gpo, machines, helpdesk = rdp_server(w)
    w.bypass(gpo, machines, users=[helpdesk], protocol="tcp", ports="3389")
    ws, jane = w.computer("WS-XP", os="Windows XP Professional"), w.user("jroe")
    w.add(ws, machines)
    w.add(jane, helpdesk)
    return w.ask(
        ws, user=jane, service="tcp/3389", assume_ipsec=True, other_client_era=True
    )


@case("denied", ["block"])
def a_deny_entry_beats_the_allow_entry(w):
    _, gpo, machines, _ = rdp_server(w)
    quarantined = w.group("Quarantine")
    w.bypass(gpo, machines, deny=[quarantined], protocol="tcp", ports="3389")
    ws = w.computer("WS1")
    w.add(ws, machines)
    w.add(ws, quarantined)
    return w.ask(ws, service="tcp/3389", assume_ipsec=True)


@case("denied", ["block"])
def a_user_deny_entry_beats_the_user_allow_entry(w):
    _, gpo, machines, helpdesk = rdp_server(w)
    contractors = w.group("Contractors")
    w.bypass(
        gpo,
        machines,
        users=[helpdesk],
        user_deny=[contractors],
        protocol="tcp",
        ports="3389",
    )
    ws, jane = w.computer("WS1"), w.user("jroe")
    w.add(ws, machines)
    w.add(jane, helpdesk)
    w.add(jane, contractors)
    return w.ask(ws, user=jane, service="tcp/3389", assume_ipsec=True)


@case("denied", ["state"])
def block_all_connections_ignores_even_bypass_rules(w):
    _, gpo, machines, _ = rdp_server(w, state_domain=FirewallState.SHIELDED)
    w.bypass(gpo, machines)
    ws = w.computer("WS1")
    w.add(ws, machines)
    return w.ask(ws, service="tcp/3389", assume_ipsec=True)


@case("allowed", ["state"])
def firewall_off_allows(w):
    rdp_server(w, state_domain=FirewallState.OFF)
    return w.ask(ip="203.0.113.5", service="tcp/3389")


@case("allowed", ["allow"])
def allow_rule_when_no_block_rule_matches(w):
    rdp_server(w)
    return w.ask(ip="203.0.113.5", service="tcp/443")


@case("allowed", ["allow"])
def a_block_rule_whose_scope_excludes_the_client_does_not_block(w):
    server = w.server(era=Era.ADVANCED)
    gpo = w.policy(server)
    w.port(gpo, "Block outsiders", "8080", action="block", scope="203.0.113.0/24")
    w.port(gpo, "App", "8080")
    return w.ask(ip="10.1.2.3", service="tcp/8080")


@case("allowed", ["allow"])
def allow_rule_with_a_later_era_range_and_ipv6(w):
    server = w.server(era=Era.ADVANCED)
    w.port(w.policy(server), "App", "8080", scope="10.30.4.1-10.30.4.9,2001:db8::/32")
    return w.ask(ip="2001:db8::42", service="tcp/8080")


@case("denied", ["default"])
def nothing_allows_so_the_profile_default_blocks(w):
    rdp_server(w)
    return w.ask(ip="203.0.113.5", service="tcp/445")


@case("indeterminate", ["allow", "default"])
def a_keyword_scope_the_console_cannot_decide(w):
    server = w.server(era=Era.ADVANCED)
    w.port(w.policy(server), "DNS servers", "53", protocol="udp", scope="DNS")
    return w.ask(ip="10.1.1.1", service="udp/53")


@case("allowed", ["bypass"])
def authorization_list_admits_then_the_bypass_applies(w):
    server = w.server(era=Era.ADVANCED)
    gpo = w.policy(server)
    admins = w.group("Admin machines")
    ws = w.computer("WS1")
    w.add(ws, admins)
    w.authorization(gpo, "machine", admins)
    w.bypass(gpo, admins)
    return w.ask(ws, assume_ipsec=True)


@case("denied", ["authorization"])
def authorization_list_refuses_an_unlisted_machine(w):
    server = w.server(era=Era.ADVANCED)
    gpo = w.policy(server)
    w.authorization(gpo, "machine", w.group("Admin machines"))
    w.port(gpo, "SMB", "445")
    return w.ask(w.computer("WS9"), assume_ipsec=True)


@case("denied", ["ipsec"])
def require_mode_without_a_client_policy(w):
    server = w.server(era=Era.ADVANCED)
    w.ipsec(server, w.group("IPsec holders"), mode="require")
    w.port(w.policy(server), "SMB", "445")
    return w.ask(w.computer("WS1"), ip="10.1.1.1")


@case("indeterminate", ["bypass", "default"])
def certificate_authentication_without_a_recorded_account_mapping(w):
    server = w.server(era=Era.ADVANCED)
    admins = w.group("Admins")
    ws = w.computer("WS1")
    w.add(ws, admins)
    w.ipsec(server, admins, authentication="certificate")
    w.bypass(w.policy(server), admins)
    return w.ask(ws)


@case("denied", ["default"])
def preshared_key_authentication_proves_no_machine(w):
    server = w.server(era=Era.ADVANCED)
    admins = w.group("Admins")
    ws = w.computer("WS1")
    w.add(ws, admins)
    w.ipsec(server, admins, authentication="psk")
    w.bypass(w.policy(server), admins)
    return w.ask(ws)


@case("allowed", ["allow", "user"])
def user_access_requirement_met_by_nested_membership(w):
    server = w.server(era=Era.ADVANCED)
    w.port(w.policy(server), "SQL", "1433")
    readers, finance = w.group("DB Readers"), w.group("Finance")
    w.add(finance, readers)
    bob = w.user("bob")
    w.add(bob, finance)
    w.requirement(server, readers, protocol="tcp", ports="1433")
    return w.ask(ip="10.1.1.1", user=bob, service="tcp/1433")


@case("denied", ["user"])
def user_access_requirement_refuses_a_disabled_user(w):
    server = w.server(era=Era.ADVANCED)
    w.port(w.policy(server), "SQL", "1433")
    readers = w.group("DB Readers")
    bob = w.user("bob", enabled=False)
    w.add(bob, readers)
    w.requirement(server, readers)
    return w.ask(ip="10.1.1.1", user=bob, service="tcp/1433")


@case("indeterminate", ["allow", "user"])
def user_access_requirement_without_a_user(w):
    server = w.server(era=Era.ADVANCED)
    w.port(w.policy(server), "SQL", "1433")
    w.requirement(server, w.group("DB Readers"))
    return w.ask(ip="10.1.1.1", service="tcp/1433")


@case("denied", ["default"])
def a_rule_requiring_encryption_refuses_ah_only_ipsec(w):
    server = w.server(era=Era.ADVANCED)
    admins = w.group("Admins")
    ws = w.computer("WS1")
    w.add(ws, admins)
    w.ipsec(server, admins, protection="ah")
    rule = w.bypass(w.policy(server), admins)
    rule.security = "authenc"
    rule.save()
    return w.ask(ws)


@case("allowed", ["bypass"])
def a_rule_requiring_encryption_accepts_esp(w):
    server = w.server(era=Era.ADVANCED)
    admins = w.group("Admins")
    ws = w.computer("WS1")
    w.add(ws, admins)
    w.ipsec(server, admins, protection="esp")
    rule = w.bypass(w.policy(server), admins)
    rule.security = "authenc"
    rule.save()
    return w.ask(ws)


@pytest.mark.parametrize(("build", "verdict", "deciding"), CASES)
def test_advanced_ladder(build, verdict, deciding):
    evaluation = build(World())
    assert str(evaluation.verdict) == verdict, evaluation.summary
    assert evaluation.deciding == deciding, evaluation.as_dict()
    assert evaluation.summary


def test_later_era_rungs_come_in_order():
    evaluation = nothing_allows_so_the_profile_default_blocks(World())
    assert [r.key for r in evaluation.rungs] == [
        "ipsec",
        "authorization",
        "state",
        "bypass",
        "block",
        "allow",
        "default",
        "user",
    ]
    assert evaluation.rung("user").outcome == Outcome.SKIPPED


def test_bypass_chains_show_both_the_machine_and_the_user():
    evaluation = override_bypass_beats_the_block_rule(World())
    chains = [chain.text for chain in evaluation.rung("bypass").chains]
    assert chains == ["WS1 → FW-Bypass-App01", "jroe → Helpdesk"]


def test_pretending_group_membership_changes_the_answer_and_is_noted():
    w = World()
    _, gpo, machines, _ = rdp_server(w)
    w.bypass(gpo, machines)
    ws = w.computer("WS1")
    before = w.ask(ws, service="tcp/3389", assume_ipsec=True)
    after = w.ask(
        ws, service="tcp/3389", assume_ipsec=True, as_member=["FW-Bypass-App01"]
    )
    assert str(before.verdict) == "denied"
    assert str(after.verdict) == "allowed"
    assert after.facts.overrides == [
        "client pretended in FW-Bypass-App01",
        "IPsec assumed negotiated",
    ]
    (chain,) = after.rung("bypass").chains
    assert chain.steps[0].via == "pretended"


def test_pretending_a_machine_out_of_a_group_takes_its_bypass_away():
    w = World()
    _, gpo, machines, _ = rdp_server(w)
    site = w.group("Site workstations")
    w.add(site, machines)
    ws = w.computer("WS1")
    w.add(ws, site)
    w.bypass(gpo, machines)
    assert str(w.ask(ws, service="tcp/3389", assume_ipsec=True).verdict) == "allowed"
    evaluation = w.ask(
        ws, service="tcp/3389", assume_ipsec=True, not_member=["Site workstations"]
    )
    assert str(evaluation.verdict) == "denied"
    assert evaluation.deciding == ["block"]
