"""The dashboard's set-wise exposure agrees with the what-if evaluator.

For every server of a generated data set and every TCP port the policies
mention (and one they do not), the machines the dashboard counts as reaching
the server are exactly those the evaluator's reverse query ("who can reach
server S on P") allows.
"""

import pytest

from directory.models import DirectoryObject
from policies.dashboard.selectors import dashboard_data
from policies.evaluator import Verdict, load_snapshot
from policies.evaluator.reverse import who_can_reach
from policies.ports import Service, parse_ports
from tests.policies.dashboard.generate import TCP_PORTS, generate
from tests.policies.evaluator.world import World

pytestmark = pytest.mark.django_db


def _opens(rule, port):
    if rule.kind != rule.Kind.PORT or rule.protocol not in ("", "tcp"):
        return False
    return port in parse_ports(rule.ports, blank_means_every_port=True)


def dashboard_reach(exposure, port):
    """The machines the dashboard says reach the server on a TCP port."""
    reach = set(exposure.open_ids) | set(exposure.bypass_ids)
    for item in exposure.exceptions:
        if _opens(item.rule, port):
            for ids in item.machine_ids.values():
                reach |= ids
    return reach


def test_exposure_matches_the_evaluators_reverse_query():
    directory, servers = generate(80)
    user = directory["users"][0]
    snapshot = load_snapshot()
    data = dashboard_data()
    machines = set(data.facts.computers)

    mismatches = []
    for exposure in data.exposures:
        for port in TCP_PORTS:
            report = who_can_reach(
                snapshot, exposure.server.pk, Service.tcp(port), user_id=user.pk
            )
            assert {row.account.pk for row in report.rows} == machines
            allowed = {
                row.account.pk for row in report.rows if row.verdict == Verdict.ALLOWED
            }
            mine = dashboard_reach(exposure, port)
            if mine != allowed:
                mismatches.append(
                    (
                        exposure.server.name,
                        port,
                        sorted(mine - allowed),
                        sorted(allowed - mine),
                    )
                )

    assert len(data.exposures) == len(servers)
    assert mismatches == []


def test_the_generated_data_reaches_through_every_path():
    generate(80)
    data = dashboard_data()

    by_name = {e.server.name: e for e in data.exposures}
    assert by_name["S0-xp"].bypass_count > 0
    assert by_name["S0-xp"].any_count == len(data.facts.computers)
    assert by_name["S0-xp"].local_subnet_count > 0
    assert by_name["S0-xp"].custom_count > 0
    assert by_name["S1-xp-off"].open_count > 0
    assert by_name["S2-xp"].dropped_ids
    assert by_name["S3-adv"].bypass_count > 0
    assert by_name["S4-adv-users"].bypass_count > 0
    assert by_name["S5-adv-block"].bypass_count == 0
    assert by_name["S6-xp-shielded"].exception_total == 0
    assert by_name["S6-xp-shielded"].conflict_count > 0


def test_a_listed_distribution_group_admits_no_one_here_either():
    w = World()
    server = w.server()
    gpo = w.policy(server)
    ws1 = w.computer("WS1")
    admins = w.group("Admins", ws1)
    newsletter = w.group("Newsletter", w.computer("WS2"))
    DirectoryObject.objects.filter(pk=newsletter.pk).update(is_security=False)
    w.bypass(gpo, admins, newsletter)
    w.ipsec(server, admins, newsletter, mode="require")

    exposure = dashboard_data().exposures[0]
    report = who_can_reach(load_snapshot(), server.pk, Service.tcp(445))

    allowed = {row.account.pk for row in report.rows if row.verdict == Verdict.ALLOWED}
    assert allowed == {ws1.pk}
    assert set(exposure.bypass_ids) == allowed
