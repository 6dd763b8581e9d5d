"""Proposed changes applied to a snapshot, without touching the database.

The impact preview and the suggestions evaluate "what if this edit were
saved": each change returns a new Snapshot sharing everything unchanged with
the old one, with the affected servers' effective configurations resolved
again from the changed policy settings.
"""

import copy
from dataclasses import dataclass, replace

from policies.effective import BypassRuleSettings, resolve


def _with_policy(snapshot, policy_id, transform):
    """Return a snapshot in which ``transform`` rewrote one policy's settings."""
    changed = {}
    for server_id, info in snapshot.servers.items():
        settings = info.policy_settings
        if not any(item.policy.pk == policy_id for item in settings):
            continue
        new_settings = [
            transform(item) if item.policy.pk == policy_id else item
            for item in settings
        ]
        changed[server_id] = replace(
            info,
            config=resolve(info.server, new_settings),
            policy_settings=new_settings,
        )
    return with_servers(snapshot, changed)


def with_servers(snapshot, changed):
    """A shallow copy of the snapshot with some ServerInfo values replaced."""
    if not changed:
        return snapshot
    other = copy.copy(snapshot)
    other.servers = {**snapshot.servers, **changed}
    other.servers_by_name = {}
    for info in other.servers.values():
        other.servers_by_name[info.server.name.casefold()] = info
        if info.server.fqdn:
            fqdn = info.server.fqdn.casefold().rstrip(".")
            other.servers_by_name.setdefault(fqdn, info)
    other.version = (*snapshot.version, "proposed")
    return other


def _same(first, second):
    return first.pk is not None and first.pk == second.pk


def put_firewall_rule(snapshot, rule):
    """The snapshot with ``rule`` (new or edited, saved or not) in its policy."""

    def transform(item):
        rules = [r for r in item.rules if not _same(r, rule)]
        return replace(item, rules=(*rules, rule))

    return _with_policy(snapshot, rule.policy_id, transform)


def delete_firewall_rule(snapshot, rule):
    def transform(item):
        return replace(item, rules=tuple(r for r in item.rules if not _same(r, rule)))

    return _with_policy(snapshot, rule.policy_id, transform)


def put_bypass_rule(snapshot, rule, entries):
    """The snapshot with a bypass rule and its full proposed list of entries."""
    proposed = BypassRuleSettings(rule, tuple(entries))

    def transform(item):
        kept = [b for b in item.bypass_rules if not _same(b.rule, rule)]
        return replace(item, bypass_rules=(*kept, proposed))

    return _with_policy(snapshot, rule.policy_id, transform)


def delete_bypass_rule(snapshot, rule):
    def transform(item):
        kept = tuple(b for b in item.bypass_rules if not _same(b.rule, rule))
        return replace(item, bypass_rules=kept)

    return _with_policy(snapshot, rule.policy_id, transform)


def set_state(snapshot, policy, profile, state):
    """The snapshot with one policy's firewall state for a profile changed."""

    def transform(item):
        changed = copy.copy(item.policy)
        setattr(changed, f"state_{profile}", state)
        return replace(item, policy=changed)

    return _with_policy(snapshot, policy.pk, transform)


@dataclass(frozen=True)
class MembershipChange:
    """Pretend an account joined (``add``) or left a group."""

    member_id: int
    group_id: int
    add: bool = True
