"""Reverse queries agree with the single-query evaluator on every pair."""

import pytest

from policies.evaluator import evaluate, load_snapshot
from policies.evaluator.query import Query
from policies.evaluator.reverse import port_segments, what_can_reach, who_can_reach
from policies.evaluator.verdict import Verdict
from policies.ports import parse_service
from tests.policies.evaluator.generated import build_estate

pytestmark = pytest.mark.django_db

SERVICES = [
    "tcp/445",
    "tcp/3389",
    "tcp/1433",
    "udp/137",
    "icmp/8",
    "tcp/1100",
    "tcp/50000",
]
# Half the checks assume IPsec so that bypass paths are exercised too.
ASSUMPTIONS = [None, True, None, True, None, True, None]


@pytest.fixture
def estate():
    groups, users, machines, servers = build_estate(computers=300)
    return load_snapshot(), users, servers


def single(snapshot, server_id, service, client_id, user_id=None, assume_ipsec=None):
    query = Query(
        server_id=server_id,
        service=service,
        client_id=client_id,
        user_id=user_id,
        assume_ipsec=assume_ipsec,
    )
    return evaluate(snapshot, query)


def test_who_can_reach_agrees_with_the_evaluator_on_every_machine_and_server(estate):
    snapshot, users, servers = estate
    verdicts = set()
    compared = 0
    for server in servers:
        for text, assume in zip(SERVICES, ASSUMPTIONS, strict=True):
            service = parse_service(text)
            report = who_can_reach(snapshot, server.pk, service, assume_ipsec=assume)
            assert len(report.rows) == len(snapshot.computers())
            for row in report.rows:
                expected = single(
                    snapshot, server.pk, service, row.account.pk, assume_ipsec=assume
                )
                assert (row.verdict, row.path) == (expected.verdict, expected.path), (
                    server.name,
                    text,
                    row.account.label,
                    expected.summary,
                )
                verdicts.add(row.verdict)
                compared += 1
    assert compared == len(servers) * len(SERVICES) * len(snapshot.computers())
    assert verdicts == {Verdict.ALLOWED, Verdict.DENIED, Verdict.INDETERMINATE}


def test_who_can_reach_with_a_user_agrees_too(estate):
    snapshot, users, servers = estate
    service = parse_service("tcp/445")
    for server in servers:
        report = who_can_reach(snapshot, server.pk, service, user_id=users[0].pk)
        for row in report.rows:
            expected = single(snapshot, server.pk, service, row.account.pk, users[0].pk)
            assert row.verdict == expected.verdict


def test_who_can_reach_groups_machines_by_the_path_that_admits_them(estate):
    snapshot, _, servers = estate
    paths = set()
    for server in servers:
        for text, assume in (("tcp/445", True), ("tcp/1433", None), ("tcp/3389", None)):
            report = who_can_reach(
                snapshot, server.pk, parse_service(text), assume_ipsec=assume
            )
            for path, rows in report.by_path.items():
                assert rows
                assert all(row.path == path or path == "Indeterminate" for row in rows)
                paths.add(path.split(" ")[0])
            assert report.classes < len(report.rows)
    assert {"Bypass", "Exceptions:", "Allow"} <= paths, paths


def test_what_can_reach_agrees_with_the_evaluator_on_every_server(estate):
    snapshot, _, servers = estate
    machines = snapshot.computers()[::10]
    for machine in machines:
        reachable = what_can_reach(snapshot, machine.pk)
        for server in servers:
            info = snapshot.servers[server.pk]
            segments = {(p, s, e) for p, s, e in port_segments(snapshot, info)}
            for text in SERVICES:
                service = parse_service(text)
                expected = single(snapshot, server.pk, service, machine.pk)
                found = _reported(reachable, server, service, segments)
                assert found == expected.verdict, (machine.label, server.name, text)


def _reported(reachable, server, service, segments):
    for item in reachable:
        if item.server.pk != server.pk:
            continue
        if (
            service.is_icmp
            and item.service.is_icmp
            and item.service.icmp_type == service.icmp_type
        ):
            return item.verdict
        if (
            service.is_port
            and item.service.is_port
            and item.service.protocol == service.protocol
        ):
            for protocol, start, end in segments:
                if (
                    protocol == service.protocol
                    and start == item.service.port
                    and start <= service.port <= end
                ):
                    return item.verdict
    return Verdict.DENIED
