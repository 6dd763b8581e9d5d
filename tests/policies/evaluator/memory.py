"""Snapshots built in memory, without the database, for property tests.

The evaluator is a pure function of a Snapshot; these builders make one from
plain values (unsaved model instances with primary keys for the policy side),
so hypothesis can try thousands of situations quickly.
"""

import itertools
from dataclasses import dataclass, field, replace

from django.utils import timezone
from netaddr import IPNetwork

from directory.graph import MembershipGraph
from directory.models import DirectoryObject, Membership
from policies.effective import BypassRuleSettings, PolicySettings, resolve
from policies.evaluator.snapshot import (
    Account,
    ServerInfo,
    Snapshot,
    SourceInfo,
)
from policies.models import (
    BypassEntry,
    BypassRule,
    FirewallRule,
    Policy,
    Server,
)

DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"
_ids = itertools.count(1)


def next_id():
    return next(_ids)


def account(kind, name, *, enabled=True, os="Windows 10 Enterprise", addresses=()):
    pk = next_id()
    sam = f"{name}$" if kind == DirectoryObject.Kind.COMPUTER else name
    return Account(
        pk=pk,
        kind=kind,
        source_id=1,
        sid=f"{DOMAIN_SID}-{10000 + pk}",
        dn=f"CN={name},OU=Test,DC=corp,DC=example,DC=test",
        name=name,
        sam_account_name=sam,
        lookup_name=name.casefold(),
        display_name="",
        dns_host_name="",
        user_principal_name="",
        enabled=enabled,
        deleted=False,
        operating_system=os if kind == DirectoryObject.Kind.COMPUTER else "",
        addresses=tuple(addresses),
        in_scope=True,
        warnings=(),
    )


@dataclass
class MemoryWorld:
    """Accounts, edges and one server with its policies, all in memory."""

    era: str
    profile: str = "domain"
    interfaces: tuple = ("10.20.1.10/24", "192.168.50.10/26")
    accounts: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)
    incomplete: set = field(default_factory=set)
    policies: list = field(default_factory=list)
    synced_hours_ago: float = 1

    def add_account(self, item):
        self.accounts[item.pk] = item
        return item

    def add_edge(self, member, group, *, primary=False):
        via = Membership.Via.PRIMARY_GROUP if primary else Membership.Via.MEMBER
        self.edges.append((member.pk, group.pk, via))

    def server(self):
        return Server(pk=1, name="APP01", era=self.era, active_profile=self.profile)

    def snapshot(self, policies=None):
        now = timezone.now()
        source = SourceInfo(
            pk=1,
            name="corp",
            base_dn="DC=corp,DC=example,DC=test",
            dns_domain="corp.example.test",
            netbios_name="CORP",
            domain_sid=DOMAIN_SID,
            staleness_limit_hours=24,
            last_success_at=now - timezone.timedelta(hours=self.synced_hours_ago),
        )
        groups = [a.pk for a in self.accounts.values() if a.is_group]
        graph = MembershipGraph(
            self.edges, group_ids=groups, incomplete_group_ids=self.incomplete
        )
        server = self.server()
        settings = self.policies if policies is None else policies
        info = ServerInfo(
            server=server,
            config=resolve(server, settings),
            interfaces=[IPNetwork(text) for text in self.interfaces],
            listening=[],
            requirements=[],
            ipsec=[],
        )
        return Snapshot(
            version=(),
            taken_at=now,
            accounts=dict(self.accounts),
            sources={1: source},
            graph=graph,
            servers={server.pk: info},
        ).index()


def policy(name, *, precedence=10, **states):
    return Policy(pk=next_id(), name=name, precedence=precedence, **states)


def rule(policy_obj, name, **fields):
    return FirewallRule(pk=next_id(), policy_id=policy_obj.pk, name=name, **fields)


def bypass_rule(policy_obj, name, entries, **fields):
    item = BypassRule(pk=next_id(), policy_id=policy_obj.pk, name=name, **fields)
    built = tuple(
        BypassEntry(
            pk=next_id(), rule_id=item.pk, sid=sid, name=label, role=role, deny=deny
        )
        for sid, label, role, deny in entries
    )
    return BypassRuleSettings(item, built)


def settings(policy_obj, *, rules=(), bypass=()):
    return PolicySettings(
        policy=policy_obj, rules=tuple(rules), bypass_rules=tuple(bypass)
    )


def with_state(item, profile, state):
    """A copy of a PolicySettings whose policy has another state for a profile."""
    changed = Policy(**{**_fields(item.policy), f"state_{profile}": state})
    return replace(item, policy=changed)


def _fields(policy_obj):
    return {
        f.attname: getattr(policy_obj, f.attname) for f in Policy._meta.concrete_fields
    }
