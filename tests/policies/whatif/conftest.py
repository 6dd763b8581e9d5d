"""Fixtures of the what-if interface tests: FC-21's situation, fresh snapshots."""

import pytest

from policies.evaluator import forget_snapshot
from policies.models import Era
from tests.policies.evaluator.world import World


@pytest.fixture(autouse=True)
def fresh_snapshot():
    forget_snapshot()
    yield
    forget_snapshot()


@pytest.fixture
def rdp(db):
    """APP01 blocks RDP; bypass for FW-Bypass-App01 machines and Helpdesk users."""
    w = World()
    server = w.server(era=Era.ADVANCED)
    gpo = w.policy(server)
    machines, helpdesk = w.group("FW-Bypass-App01"), w.group("Helpdesk")
    w.port(gpo, "Block RDP", "3389", action="block")
    w.port(gpo, "HTTPS", "443")
    w.bypass(gpo, machines, users=[helpdesk], protocol="tcp", ports="3389")
    ws1 = w.computer("WS2101", addresses=["10.30.21.1"])
    w.computer("WS2102", addresses=["10.30.21.2"])
    jroe = w.user("jroe")
    w.user("ssample")
    w.add(ws1, machines)
    w.add(jroe, helpdesk)
    return w
