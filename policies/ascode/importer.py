"""Apply a policy file: make the database hold exactly what the file says.

The file is read and checked first (policies.ascode.reader); with any problem
nothing is written. A clean file is applied in one transaction through the
services, touching only what differs, so importing an export changes nothing
and records no history. A preview runs the same steps and rolls them back.
"""

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from policies import services
from policies.ascode import serialize
from policies.ascode.reader import ImportProblem, Reader
from policies.ascode.yamlio import load
from policies.models import BypassRule, FirewallRule

logger = logging.getLogger(__name__)

SERVER_FIELDS = ("name", "fqdn", "era", "active_profile", "owner", "notes")
STATE_FIELDS = services.STATE_FIELDS


@dataclass(frozen=True)
class Change:
    action: str  # create, update, delete
    kind: str
    label: str
    detail: str = ""

    def __str__(self):
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.action} {self.kind} {self.label}{detail}"


@dataclass
class ImportReport:
    problems: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self):
        return not self.problems


class _Rollback(Exception):
    """Raised inside the transaction to undo a preview."""


def import_text(text, *, apply=True):
    """Check a policy file and, when it is clean and ``apply``, apply it.

    Returns an ImportReport: every problem with its line, or the changes made
    (or that would be made, for a preview).
    """
    data, yaml_problems = load(text)
    report = ImportReport(
        problems=[ImportProblem(item.line, item.message) for item in yaml_problems]
    )
    if data is None:
        return report
    reader = Reader()
    policy_set = reader.read(data)
    report.problems = sorted(report.problems + reader.problems)
    if report.problems:
        return report

    try:
        with transaction.atomic():
            applier = _Applier(policy_set)
            try:
                applier.run()
            except ValidationError as error:
                report.problems = [
                    ImportProblem(applier.line, message) for message in error.messages
                ]
                raise _Rollback from None
            report.changes = applier.changes
            if not apply:
                raise _Rollback
    except _Rollback:
        return report
    report.applied = True
    logger.info("Policy import applied %s changes", len(report.changes))
    return report


def _copy_fields(target, source, names):
    changed = []
    for name in names:
        value = getattr(source, name)
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed.append(name)
    return changed


def _model_fields(model, skip):
    return [
        item.name
        for item in model._meta.concrete_fields
        if not item.primary_key and item.name not in skip
    ]


RULE_FIELDS = _model_fields(FirewallRule, {"policy"})
BYPASS_FIELDS = _model_fields(BypassRule, {"policy"})
REQUIREMENT_FIELDS = ["protocol", "ports", "description"]
POLICY_FIELDS = ["era", "precedence", "description", *STATE_FIELDS]
IPSEC_FIELDS = [
    "description",
    "enabled",
    "client_addresses",
    "authentication",
    "protection",
    "server_mode",
    "user_authentication",
]


def _entry_dicts(rows, kind_field):
    return [
        {
            "sid": row.sid,
            "name": row.name,
            "deny": row.deny,
            kind_field: getattr(row, kind_field),
        }
        for row in rows
    ]


class _Applier:
    """Applies a checked PolicySet; ``changes`` lists what it did."""

    def __init__(self, policy_set):
        self.wanted = policy_set
        self.changes = []
        self.line = 1
        self.snapshot = serialize.Snapshot()
        self.servers = {server.name: server for server in self.snapshot.servers}
        self.shared = {
            policy.name: policy for policy in self.snapshot.shared_policies()
        }
        self.ipsec = {policy.name: policy for policy in self.snapshot.ipsec}

    def note(self, action, kind, label, detail=""):
        self.changes.append(Change(action, kind, label, detail))

    def run(self):
        wanted_servers = {spec.server.name: spec for spec in self.wanted.servers}
        wanted_policies = {spec.policy.name: spec for spec in self.wanted.policies}
        wanted_ipsec = {spec.policy.name: spec for spec in self.wanted.ipsec_policies}

        for name, policy in self.ipsec.items():
            if name not in wanted_ipsec:
                services.delete_object(obj=policy)
                self.note("delete", "IPsec policy", name)
        for name, policy in self.shared.items():
            if name not in wanted_policies:
                services.delete_policy(policy=policy)
                self.note("delete", "policy", name)
        for name, server in self.servers.items():
            if name not in wanted_servers:
                services.delete_server(server=server)
                self.note("delete", "server", name)

        original_links = self.loosen_links(
            wanted_servers, wanted_policies, wanted_ipsec
        )

        servers = {}
        for spec in self.wanted.servers:
            self.line = spec.line
            servers[spec.server.name] = self.apply_server(spec)
        policies = {}
        for spec in self.wanted.policies:
            self.line = spec.line
            policies[spec.policy.name] = self.apply_policy(spec)
        ipsec = {}
        for spec in self.wanted.ipsec_policies:
            self.line = spec.line
            ipsec[spec.policy.name] = self.apply_ipsec(spec)

        for kind, specs, targets in (
            ("policy", self.wanted.policies, policies),
            ("IPsec policy", self.wanted.ipsec_policies, ipsec),
        ):
            for spec in specs:
                self.line = spec.line
                target = targets[spec.policy.name]
                names = sorted(name for name, _line in spec.server_names)
                services.link_servers(
                    policy=target, servers=[servers[name] for name in names]
                )
                before = original_links.get((kind, spec.policy.name), [])
                if names != before:
                    self.note(
                        "update", kind, spec.policy.name, "servers: " + ", ".join(names)
                    )

    def loosen_links(self, wanted_servers, wanted_policies, wanted_ipsec):
        """Drop links that would stand in the way of era changes; remember all."""
        original = {}
        changing = {
            name
            for name, server in self.servers.items()
            if name in wanted_servers and wanted_servers[name].server.era != server.era
        }
        for kind, current, wanted in (
            ("policy", self.shared, wanted_policies),
            ("IPsec policy", self.ipsec, wanted_ipsec),
        ):
            for name, policy in current.items():
                if name not in wanted:
                    continue
                links = list(policy.servers.all())
                original[(kind, name)] = sorted(server.name for server in links)
                spec = wanted[name]
                era_changes = kind == "policy" and spec.policy.era != policy.era
                keep_names = {item for item, _line in spec.server_names}
                keep = [
                    server
                    for server in links
                    if server.name in keep_names
                    and not era_changes
                    and (kind != "policy" or server.name not in changing)
                ]
                if len(keep) != len(links):
                    services.link_servers(policy=policy, servers=keep)
        return original

    # -- servers ---------------------------------------------------------

    def apply_server(self, spec):
        wanted = spec.server
        states = {name: getattr(spec.local.policy, name) for name in STATE_FIELDS}
        current = self.servers.get(wanted.name)
        if current is None:
            server = services.create_server(
                states=states,
                addresses=[_split_address(text) for text in spec.addresses],
                computer=spec.computer,
                **{name: getattr(wanted, name) for name in SERVER_FIELDS},
            )
            self.note("create", "server", wanted.name)
            local = server.local_policy
            self.sync_contents(local, spec.local, f"{wanted.name} (local)", fresh=True)
        else:
            server = current
            local = services.ensure_local_policy(server=server)
            if wanted.era != server.era:
                self.clear_contents(local)
            changed = [
                name
                for name in SERVER_FIELDS
                if getattr(server, name) != getattr(wanted, name)
            ]
            if (server.computer.sid if server.computer else None) != (
                spec.computer.sid if spec.computer else None
            ):
                changed.append("computer")
            changed += [
                name for name in STATE_FIELDS if getattr(local, name) != states[name]
            ]
            if changed:
                services.update_server(
                    server=server,
                    states=states,
                    computer=spec.computer,
                    **{name: getattr(wanted, name) for name in SERVER_FIELDS},
                )
                self.note("update", "server", wanted.name, ", ".join(changed))
            current_addresses = sorted(
                (str(item) for item in self.snapshot.addresses.get(server.pk, [])),
                key=serialize.address_sort_key,
            )
            wanted_addresses = sorted(spec.addresses, key=serialize.address_sort_key)
            if current_addresses != wanted_addresses:
                services.set_server_addresses(
                    server=server,
                    addresses=[_split_address(text) for text in wanted_addresses],
                )
                self.note("update", "server", wanted.name, "addresses")
            self.sync_contents(local, spec.local, f"{wanted.name} (local)")

        self.sync_programs(server, spec.programs)
        self.sync_requirements(server, spec.requirements)
        return server

    def sync_programs(self, server, programs):
        def key(program):
            return (program.program_path, program.protocol, program.ports)

        current = {
            key(item): item for item in self.snapshot.programs.get(server.pk, [])
        }
        for program in programs:
            if current.pop(key(program), None) is None:
                program.server = server
                services.save_object(obj=program)
                self.note("create", "listening program", f"{server.name} {program}")
        for program in current.values():
            services.delete_object(obj=program)
            self.note("delete", "listening program", f"{server.name} {program}")

    def sync_requirements(self, server, requirements):
        current = {
            item.name: item for item in self.snapshot.requirements.get(server.pk, [])
        }
        for requirement, groups in requirements:
            label = f"{server.name} / {requirement.name}"
            existing = current.pop(requirement.name, None)
            if existing is None:
                requirement.server = server
                services.save_access_requirement(requirement=requirement, groups=groups)
                self.note("create", "access requirement", label)
                continue
            before = serialize.requirement_data(
                existing, self.snapshot.requirement_groups.get(existing.pk, [])
            )
            if before == serialize.requirement_data(requirement, groups):
                continue
            _copy_fields(existing, requirement, REQUIREMENT_FIELDS)
            services.save_access_requirement(requirement=existing, groups=groups)
            self.note("update", "access requirement", label)
        for existing in current.values():
            services.delete_object(obj=existing)
            self.note(
                "delete", "access requirement", f"{server.name} / {existing.name}"
            )

    # -- policies --------------------------------------------------------

    def apply_policy(self, spec):
        wanted = spec.policy
        current = self.shared.get(wanted.name)
        if current is None:
            wanted.pk = None
            services.save_policy(policy=wanted)
            self.note("create", "policy", wanted.name)
            self.sync_contents(wanted, spec, wanted.name, fresh=True)
            return wanted
        if wanted.era != current.era:
            self.clear_contents(current)
        changed = _copy_fields(current, wanted, POLICY_FIELDS)
        if changed:
            services.save_policy(policy=current)
            self.note("update", "policy", wanted.name, ", ".join(changed))
        self.sync_contents(current, spec, wanted.name)
        return current

    def clear_contents(self, policy):
        """Delete a policy's rows before its era changes (they are re-created)."""
        for row in (
            *policy.rules.all(),
            *policy.bypass_rules.all(),
            *policy.authorization_entries.all(),
        ):
            services.delete_object(obj=row)
        self.snapshot.rules.pop(policy.pk, None)
        self.snapshot.bypass_rules.pop(policy.pk, None)
        self.snapshot.authorization.pop(policy.pk, None)

    def sync_contents(self, policy, spec, label, fresh=False):
        """Make a policy's rules, bypass rules and authorization lists match."""
        snapshot = self.snapshot
        current_rules = (
            {} if fresh else {r.name: r for r in snapshot.rules.get(policy.pk, [])}
        )
        for rule in spec.rules:
            existing = current_rules.pop(rule.name, None)
            if existing is None:
                rule.policy = policy
                services.save_object(obj=rule)
                self.note("create", "rule", f"{label} / {rule.name}")
            elif serialize.rule_data(existing) != serialize.rule_data(rule):
                changed = _copy_fields(existing, rule, RULE_FIELDS)
                services.save_object(obj=existing)
                self.note(
                    "update", "rule", f"{label} / {rule.name}", ", ".join(changed)
                )
        for existing in current_rules.values():
            services.delete_object(obj=existing)
            self.note("delete", "rule", f"{label} / {existing.name}")

        current_bypass = (
            {}
            if fresh
            else {r.name: r for r in snapshot.bypass_rules.get(policy.pk, [])}
        )
        for rule, entries in spec.bypass_rules:
            existing = current_bypass.pop(rule.name, None)
            wanted_entries = _entry_dicts(entries, "role")
            if existing is None:
                rule.policy = policy
                services.save_bypass_rule(rule=rule, entries=wanted_entries)
                self.note("create", "bypass rule", f"{label} / {rule.name}")
                continue
            before = serialize.bypass_rule_data(
                existing, snapshot.entries.get(existing.pk, [])
            )
            if before == serialize.bypass_rule_data(rule, entries):
                continue
            _copy_fields(existing, rule, BYPASS_FIELDS)
            services.save_bypass_rule(rule=existing, entries=wanted_entries)
            self.note("update", "bypass rule", f"{label} / {rule.name}")
        for existing in current_bypass.values():
            services.delete_object(obj=existing)
            self.note("delete", "bypass rule", f"{label} / {existing.name}")

        current_authorization = (
            [] if fresh else snapshot.authorization.get(policy.pk, [])
        )
        before = serialize.entry_lists(current_authorization, "list_kind")
        after = serialize.entry_lists(spec.authorization, "list_kind")
        if before != after:
            services.save_policy(
                policy=policy,
                authorization=_entry_dicts(spec.authorization, "list_kind"),
            )
            self.note("update", "policy", label, "authorization lists")

    # -- IPsec -----------------------------------------------------------

    def apply_ipsec(self, spec):
        wanted = spec.policy
        current = self.ipsec.get(wanted.name)
        if current is None:
            services.save_ipsec_policy(policy=wanted, clients=spec.clients)
            self.note("create", "IPsec policy", wanted.name)
            return wanted
        before = serialize.ipsec_data(
            current, [], self.snapshot.ipsec_clients.get(current.pk, [])
        )
        if before == serialize.ipsec_data(wanted, [], spec.clients):
            return current
        changed = _copy_fields(current, wanted, IPSEC_FIELDS)
        services.save_ipsec_policy(policy=current, clients=spec.clients)
        self.note(
            "update", "IPsec policy", wanted.name, ", ".join(changed) or "clients"
        )
        return current


def _split_address(text):
    address, _, prefix = text.partition("/")
    return (address, int(prefix))
