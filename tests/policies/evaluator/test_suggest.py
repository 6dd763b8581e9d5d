"""Suggestions on a denial: each one, applied for real, flips the verdict."""

from contextlib import contextmanager

import pytest
from django.db import transaction

from directory.models import DirectoryObject, Membership
from policies.evaluator import build_query, evaluate, load_snapshot
from policies.evaluator.suggest import suggest
from policies.models import BypassEntry, Era, FirewallRule, FirewallState, Policy
from tests.policies.evaluator.world import World

pytestmark = pytest.mark.django_db


def apply_step(step):
    """Make a suggested change in the database, as an editor (or AD) would."""
    kind = step["kind"]
    if kind == "add_member":
        member = DirectoryObject.objects.get(pk=step["member_id"])
        Membership.objects.create(
            group_id=step["group_id"],
            member=member,
            member_dn=member.dn,
            member_key=member.dn_key,
            member_sid=member.sid,
        )
    elif kind == "delete_rule":
        FirewallRule.objects.filter(pk=step["rule_id"]).delete()
    elif kind == "change_rule":
        FirewallRule.objects.filter(pk=step["rule_id"]).update(**step["fields"])
    elif kind == "add_rule":
        FirewallRule.objects.create(policy_id=step["policy_id"], **step["fields"])
    elif kind == "set_state":
        Policy.objects.filter(pk=step["policy_id"]).update(
            **{f"state_{step['profile']}": step["state"]}
        )
    elif kind == "add_bypass_entry":
        BypassEntry.objects.create(
            rule_id=step["rule_id"], sid=step["sid"], name=step["name"]
        )
    else:
        raise AssertionError(f"unknown step {kind}")


def ask(inputs):
    snapshot = load_snapshot()
    query = build_query(snapshot, **inputs)
    return snapshot, query, evaluate(snapshot, query)


def check_every_suggestion_flips(inputs, *, expected_titles=()):
    snapshot, query, evaluation = ask(inputs)
    assert str(evaluation.verdict) != "allowed"
    suggestions = suggest(snapshot, query)
    assert suggestions, evaluation.summary
    titles = [s.title for s in suggestions]
    for expected in expected_titles:
        assert any(expected in title for title in titles), titles
    assert [s.objects for s in suggestions] == sorted(s.objects for s in suggestions)
    for suggestion in suggestions:
        with _savepoint():
            for step in suggestion.steps:
                apply_step(step)
            _, _, after = ask(inputs)
            assert str(after.verdict) == "allowed", (suggestion.title, after.summary)
    return suggestions


@contextmanager
def _savepoint():
    """Undo one suggestion's changes before trying the next."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def test_machine_outside_the_listed_group_gets_add_to_group_first():
    w = World()
    server = w.server(era=Era.XP)
    listed, site = w.group("FW-Bypass"), w.group("Site")
    w.bypass(w.policy(server), listed)
    ws = w.computer("WS1", addresses=["10.30.0.5"])
    w.add(ws, site)
    for name in ("WS2", "WS3"):
        w.add(w.computer(name), site)
    suggestions = check_every_suggestion_flips(
        {
            "client": "WS1",
            "server": "APP01",
            "service": "tcp/445",
            "assume_ipsec": True,
        },
        expected_titles=[
            "Add WS1 to group FW-Bypass",
            "List group Site on bypass rule",
        ],
    )
    first = suggestions[0]
    assert first.title.startswith("Add WS1 to group FW-Bypass")
    assert first.others == 0
    listing = next(s for s in suggestions if "List group Site" in s.title)
    assert listing.others == 2
    assert sorted(listing.others_of) == ["WS2", "WS3"]


def test_scope_that_excludes_the_client_can_be_widened():
    w = World()
    server = w.server(era=Era.XP)
    w.port(w.policy(server), "SQL", "1433", scope="10.20.1.0/24")
    check_every_suggestion_flips(
        {"ip": "10.30.0.5", "server": "APP01", "service": "tcp/1433"},
        expected_titles=["Widen the scope of SQL", "Add an exception for TCP 1433"],
    )


def test_disabled_port_entry_can_be_removed_or_enabled():
    w = World()
    server = w.server(era=Era.XP)
    gpo = w.policy(server)
    w.port(gpo, "Open", "445")
    w.port(gpo, "Closed", "445", enabled=False)
    check_every_suggestion_flips(
        {"ip": "10.30.0.5", "server": "APP01", "service": "tcp/445"},
        expected_titles=["Remove the disabled port entry Closed"],
    )


def test_dont_allow_exceptions_can_be_turned_off():
    w = World()
    server = w.server(era=Era.XP)
    w.port(w.policy(server, state_domain=FirewallState.SHIELDED), "SMB", "445")
    check_every_suggestion_flips(
        {"ip": "10.30.0.5", "server": "APP01", "service": "tcp/445"},
        expected_titles=["Allow exceptions again on the domain profile"],
    )


def test_wrong_user_on_a_member_machine_gets_add_user_to_group():
    w = World()
    server = w.server(era=Era.XP)
    machines, staff = w.group("Accounting Computers"), w.group("Accounting")
    ws = w.computer("ACC-WS01")
    w.add(ws, machines)
    w.bypass(w.policy(server), machines)
    w.requirement(server, staff)
    w.user("mallory")
    check_every_suggestion_flips(
        {
            "client": "ACC-WS01",
            "user": "mallory",
            "server": "APP01",
            "service": "tcp/445",
            "assume_ipsec": True,
        },
        expected_titles=["Add user mallory to group Accounting"],
    )


def test_later_era_needs_machine_and_user_so_pairs_are_offered():
    w = World()
    server = w.server(era=Era.ADVANCED)
    gpo = w.policy(server)
    w.port(gpo, "Block RDP", "3389", action="block")
    machines, helpdesk = w.group("FW-Bypass-App01"), w.group("Helpdesk")
    w.bypass(gpo, machines, users=[helpdesk], protocol="tcp", ports="3389")
    w.computer("WS2", addresses=["10.30.0.5"])
    w.user("ssample")
    suggestions = check_every_suggestion_flips(
        {
            "client": "WS2",
            "user": "ssample",
            "server": "APP01",
            "service": "tcp/3389",
            "assume_ipsec": True,
        },
        expected_titles=["Remove block rule Block RDP"],
    )
    pair = next(s for s in suggestions if s.objects == 2)
    assert "FW-Bypass-App01" in pair.title and "Helpdesk" in pair.title


def test_an_allowed_query_gets_no_suggestion():
    w = World()
    server = w.server(era=Era.XP)
    w.port(w.policy(server), "SMB", "445")
    snapshot, query, _ = ask(
        {"ip": "10.30.0.5", "server": "APP01", "service": "tcp/445"}
    )
    assert suggest(snapshot, query) == []
