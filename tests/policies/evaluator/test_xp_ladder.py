"""The XP SP2 / Server 2003 ladder, rung by rung: an allowed and a denied case each.

Each case builds its situation, asks one query, and names the verdict and the
rung that must have decided it.
"""

from datetime import timedelta

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


def accounting(w, *, member=True):
    """The seed's example: Accounting Computers on the bypass list, Accounting
    users required by the share."""
    server = w.server(era=Era.XP)
    gpo = w.policy(server)
    machines = w.group("Accounting Computers")
    staff = w.group("Accounting")
    ws = w.computer("ACC-WS01")
    if member:
        w.add(ws, machines)
    w.bypass(gpo, machines)
    w.requirement(server, staff)
    return ws, staff


@case("allowed", ["bypass", "user"])
def seed_right_user_on_member_machine(w):
    ws, staff = accounting(w)
    alice = w.user("alice")
    w.add(alice, staff)
    return w.ask(ws, user=alice, assume_ipsec=True)


@case("denied", ["default"])
def seed_right_user_on_machine_outside_accounting_computers(w):
    ws, staff = accounting(w, member=False)
    alice = w.user("alice")
    w.add(alice, staff)
    return w.ask(ws, user=alice, assume_ipsec=True)


@case("denied", ["user"])
def seed_wrong_user_on_member_machine(w):
    ws, _ = accounting(w)
    return w.ask(ws, user=w.user("mallory"), assume_ipsec=True)


@case("allowed", ["bypass"])
def ipsec_request_mode_kerberos_negotiated_from_the_policy(w):
    server = w.server()
    machines = w.group("Bypass")
    ws = w.computer("WS1")
    w.add(ws, machines)
    w.bypass(w.policy(server), machines)
    w.ipsec(server, machines, mode="request")
    return w.ask(ws)


@case("denied", ["ipsec"])
def ipsec_require_mode_and_the_client_holds_no_policy(w):
    server = w.server()
    holders = w.group("IPsec clients")
    w.ipsec(server, holders, mode="require")
    gpo = w.policy(server)
    w.port(gpo, "SMB", "445")
    return w.ask(w.computer("WS1"), ip="10.20.1.50")


@case("denied", ["ipsec"])
def ipsec_require_mode_and_the_query_assumes_no_ipsec(w):
    server = w.server()
    w.ipsec(server, mode="require")
    w.port(w.policy(server), "SMB", "445")
    return w.ask(w.computer("WS1"), ip="10.20.1.50", assume_ipsec=False)


@case("allowed", ["state"])
def firewall_off_for_the_active_profile(w):
    server = w.server(profile="standard")
    w.policy(server, state_standard=FirewallState.OFF)
    return w.ask(ip="203.0.113.5")


@case("denied", ["default"])
def firewall_on_and_nothing_open(w):
    server = w.server()
    w.policy(server, state_domain=FirewallState.ON, state_standard=FirewallState.OFF)
    return w.ask(ip="203.0.113.5")


@case("allowed", ["bypass"])
def bypass_through_nested_and_primary_groups(w):
    server = w.server()
    listed = w.group("FW-Bypass")
    site = w.group("Site-Workstations")
    primary = w.group("Kiosk Computers")
    w.add(site, listed)
    w.add(primary, site)
    kiosk = w.computer("KIOSK1")
    w.add(kiosk, primary, primary=True)
    w.bypass(w.policy(server), listed)
    return w.ask(kiosk, assume_ipsec=True)


@case("denied", ["default"])
def bypass_does_not_apply_to_a_disabled_computer(w):
    server = w.server()
    listed = w.group("FW-Bypass")
    ws = w.computer("WS-DISABLED", enabled=False)
    w.add(ws, listed)
    w.bypass(w.policy(server), listed)
    return w.ask(ws, assume_ipsec=True)


@case("denied", ["default"])
def bypass_needs_kerberos_not_a_certificate(w):
    server = w.server()
    listed = w.group("FW-Bypass")
    ws = w.computer("WS1")
    w.add(ws, listed)
    w.bypass(w.policy(server), listed)
    w.ipsec(server, listed, authentication="certificate")
    return w.ask(ws)


@case("denied", ["default"])
def bypass_needs_kerberos_not_a_preshared_key(w):
    server = w.server()
    listed = w.group("FW-Bypass")
    ws = w.computer("WS1")
    w.add(ws, listed)
    w.bypass(w.policy(server), listed)
    w.ipsec(server, listed, authentication="psk")
    return w.ask(ws)


@case("denied", ["default"])
def bypass_needs_ipsec(w):
    server = w.server()
    listed = w.group("FW-Bypass")
    ws = w.computer("WS1")
    w.add(ws, listed)
    w.bypass(w.policy(server), listed)
    return w.ask(ws, ip="10.9.9.9")


@case("allowed", ["exceptions"])
def shield_off_lets_exceptions_count(w):
    server = w.server()
    w.port(w.policy(server, state_domain=FirewallState.ON), "SMB", "445")
    return w.ask(ip="203.0.113.5")


@case("denied", ["shield"])
def shield_on_drops_what_an_exception_would_allow(w):
    server = w.server()
    w.port(w.policy(server, state_domain=FirewallState.SHIELDED), "SMB", "445")
    return w.ask(ip="203.0.113.5")


@case("indeterminate", ["bypass"])
def shield_on_and_a_bypass_hit_is_a_documented_conflict(w):
    server = w.server()
    listed = w.group("FW-Bypass")
    ws = w.computer("WS1")
    w.add(ws, listed)
    w.bypass(w.policy(server, state_domain=FirewallState.SHIELDED), listed)
    return w.ask(ws, assume_ipsec=True)


@case("allowed", ["exceptions"])
def port_exception_scope_admits(w):
    server = w.server()
    w.port(w.policy(server), "SQL", "1433", scope="10.0.0.0/255.0.0.0")
    return w.ask(ip="10.99.1.5", service="tcp/1433")


@case("denied", ["default"])
def port_exception_scope_excludes(w):
    server = w.server()
    w.port(w.policy(server), "SQL", "1433", scope="10.0.0.0/255.0.0.0")
    return w.ask(ip="11.0.0.1", service="tcp/1433")


@case("denied", ["default"])
def disabled_port_entry_beats_an_enabled_one(w):
    server = w.server()
    gpo = w.policy(server)
    w.port(gpo, "SMB open", "445")
    w.port(gpo, "SMB closed", "445", enabled=False)
    return w.ask(ip="203.0.113.5")


@case("allowed", ["exceptions"])
def enabled_port_entry_alone_opens(w):
    server = w.server()
    gpo = w.policy(server)
    w.port(gpo, "SMB open", "445")
    w.port(gpo, "Other closed", "446", enabled=False)
    return w.ask(ip="203.0.113.5")


@case("allowed", ["exceptions"])
def program_exception_opens_the_port_the_program_listens_on(w):
    server = w.server()
    w.listening(server, r"C:\App\app.exe", "8080")
    w.program(w.policy(server), "App", r"C:\App\app.exe")
    return w.ask(ip="203.0.113.5", service="tcp/8080")


@case("denied", ["default"])
def program_exception_does_not_open_other_ports(w):
    server = w.server()
    w.listening(server, r"C:\App\app.exe", "8080")
    w.program(w.policy(server), "App", r"C:\App\app.exe")
    return w.ask(ip="203.0.113.5", service="tcp/8081")


@case("allowed", ["exceptions"])
def program_exception_beats_a_disabled_port_entry(w):
    server = w.server()
    gpo = w.policy(server)
    w.listening(server, r"C:\App\app.exe", "8080")
    w.program(gpo, "App", r"C:\App\app.exe")
    w.port(gpo, "8080 closed", "8080", enabled=False)
    return w.ask(ip="203.0.113.5", service="tcp/8080")


@case("allowed", ["exceptions"])
def local_subnet_on_the_second_interface_of_a_multi_homed_server(w):
    server = w.server(addresses=("10.20.1.10/24", "192.168.50.10/26"))
    w.port(w.policy(server), "SQL", "1433", scope="LocalSubnet")
    return w.ask(ip="192.168.50.62", service="tcp/1433")


@case("denied", ["default"])
def local_subnet_uses_each_interfaces_own_prefix(w):
    server = w.server(addresses=("10.20.1.10/24", "192.168.50.10/26"))
    w.port(w.policy(server), "SQL", "1433", scope="LocalSubnet")
    return w.ask(ip="192.168.50.70", service="tcp/1433")


@case("allowed", ["exceptions"])
def file_and_printer_sharing_opens_netbios_datagram(w):
    server = w.server()
    w.predefined(w.policy(server), "file_and_printer")
    return w.ask(ip="203.0.113.5", service="udp/138")


@case("denied", ["default"])
def remote_desktop_group_opens_only_3389(w):
    server = w.server()
    w.predefined(w.policy(server), "remote_desktop")
    return w.ask(ip="203.0.113.5", service="tcp/3390")


@case("indeterminate", ["exceptions", "default"])
def remote_administration_and_an_rpc_dynamic_port(w):
    server = w.server()
    w.predefined(w.policy(server), "remote_admin")
    return w.ask(ip="203.0.113.5", service="tcp/1100")


@case("allowed", ["exceptions"])
def icmp_setting_allows_echo_without_scope(w):
    server = w.server()
    w.icmp(w.policy(server), 8)
    return w.ask(ip="203.0.113.5", service="icmp/8")


@case("allowed", ["exceptions"])
def opening_tcp_445_also_admits_echo(w):
    server = w.server()
    w.port(w.policy(server), "SMB", "445", scope="LocalSubnet")
    return w.ask(ip="10.20.1.77", service="icmp:echo-request")


@case("denied", ["default"])
def echo_is_dropped_when_nothing_opens_it(w):
    server = w.server()
    w.port(w.policy(server), "Web", "443")
    return w.ask(ip="10.20.1.77", service="icmp/8")


@case("indeterminate", ["bypass", "default"])
def stale_membership_makes_a_non_member_indeterminate(w):
    w.source.last_success_at -= timedelta(hours=48)
    w.source.save()
    server = w.server()
    w.bypass(w.policy(server), w.group("FW-Bypass"))
    return w.ask(w.computer("WS1"), assume_ipsec=True)


@case("indeterminate", ["bypass", "default"])
def stale_membership_makes_a_member_indeterminate(w):
    w.source.last_success_at -= timedelta(hours=48)
    w.source.save()
    server = w.server()
    listed = w.group("FW-Bypass")
    ws = w.computer("WS1")
    w.add(ws, listed)
    w.bypass(w.policy(server), listed)
    w.port(w.policy(server, "Other"), "Nothing", "9")
    return w.ask(ws, assume_ipsec=True)


@case("indeterminate", ["exceptions", "default"])
def scope_needs_an_address_the_client_has_none_of(w):
    server = w.server()
    w.port(w.policy(server), "SMB", "445", scope="10.0.0.0/8")
    return w.ask(w.computer("WS-NOADDR"))


@case("indeterminate", ["bypass", "default"])
def a_group_read_incompletely_cannot_deny(w):
    server = w.server()
    listed = w.group("FW-Bypass", complete=False)
    w.bypass(w.policy(server), listed)
    return w.ask(w.computer("WS1"), assume_ipsec=True)


@case("indeterminate", ["bypass", "default"])
def a_listed_sid_that_resolves_to_nothing(w):
    server = w.server()
    w.bypass(w.policy(server), "S-1-5-21-1-2-3-4444")
    return w.ask(w.computer("WS1"), assume_ipsec=True)


@case("indeterminate", ["bypass", "default"])
def a_dangling_member_of_the_listed_group(w):
    server = w.server()
    listed = w.group("FW-Bypass")
    w.dangling(listed, "CN=Gone,OU=Workstations,DC=corp,DC=example,DC=test")
    w.bypass(w.policy(server), listed)
    return w.ask(w.computer("WS1"), assume_ipsec=True)


@case("denied", ["default"])
def the_inbound_default_drops(w):
    w.server()
    return w.ask(ip="203.0.113.5", service="udp/53")


@pytest.mark.parametrize(("build", "verdict", "deciding"), CASES)
def test_xp_ladder(build, verdict, deciding):
    evaluation = build(World())
    assert str(evaluation.verdict) == verdict, evaluation.summary
    assert evaluation.deciding == deciding, evaluation.as_dict()
    for key in deciding:
        assert evaluation.rung(key).outcome in (
            Outcome.DECIDED,
            Outcome.UNKNOWN,
            Outcome.PASSED,
        )
    assert evaluation.summary


def test_the_rungs_come_in_ladder_order_with_the_unreached_ones_skipped():
    w = World()
    server = w.server()
    w.policy(server, state_domain=FirewallState.OFF)
    evaluation = w.ask(ip="203.0.113.5")
    assert [r.key for r in evaluation.rungs] == [
        "ipsec",
        "state",
        "bypass",
        "shield",
        "exceptions",
        "default",
        "user",
    ]
    outcomes = [r.outcome for r in evaluation.rungs]
    assert outcomes[:2] == [Outcome.PASSED, Outcome.DECIDED]
    assert set(outcomes[2:6]) == {Outcome.SKIPPED}
    for rung in evaluation.rungs[2:6]:
        assert (
            rung.summary
            == 'Not reached: the ladder stopped at "Profile and firewall state".'
        )


def test_a_group_hit_shows_the_chain_with_the_primary_group_marked():
    w = World()
    server = w.server()
    listed = w.group("FW-Bypass")
    primary = w.group("Kiosk Computers")
    w.add(primary, listed)
    kiosk = w.computer("KIOSK1")
    w.add(kiosk, primary, primary=True)
    w.bypass(w.policy(server), listed)
    evaluation = w.ask(kiosk, assume_ipsec=True)
    (chain,) = evaluation.rung("bypass").chains
    assert [step.label for step in chain.steps] == [
        "KIOSK1",
        "Kiosk Computers",
        "FW-Bypass",
    ]
    assert chain.steps[0].is_primary and not chain.steps[1].is_primary
    assert chain.text == "KIOSK1 →(primary group) Kiosk Computers → FW-Bypass"
    assert chain.steps[0].url.endswith(f"/{kiosk.pk}/")


def test_the_conflict_names_both_microsoft_texts():
    evaluation = shield_on_and_a_bypass_hit_is_a_documented_conflict(World())
    assert "conflict" in evaluation.summary
    assert any("Don't allow exceptions" in reason for reason in evaluation.reasons)


def test_stale_data_names_the_source_and_its_age():
    evaluation = stale_membership_makes_a_non_member_indeterminate(World())
    assert any("source corp is 49 h old" in reason for reason in evaluation.reasons)
    assert evaluation.facts.data_age_hours["corp"] > 48


def test_the_user_plays_no_part_in_the_xp_bypass():
    evaluation = seed_wrong_user_on_member_machine(World())
    assert evaluation.rung("bypass").outcome == Outcome.DECIDED
    assert any("machines only" in d for d in evaluation.rung("bypass").details)
