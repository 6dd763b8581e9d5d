"""The policy set as data: one function per object, used both to write the
file and to compare a file's objects with the database's (equal data means
nothing to change).

Layout (every key optional unless the importer says otherwise)::

    format: fwconsole-policy/1
    servers:
      - name, fqdn, era, active_profile, computer {name, sid}, owner, notes,
        addresses [a.b.c.d/nn], listening_programs [{program, protocol, ports}],
        local_settings {firewall_state, rules, bypass_rules, authorization},
        access_requirements [{name, protocol, ports, description, groups}]
    policies:
      - name, era, precedence, description, servers [names], firewall_state,
        rules, bypass_rules, authorization
    ipsec_policies:
      - name, description, enabled, servers, clients, client_addresses,
        authentication, protection, server_mode, user_authentication

Directory principals appear as ``{name: ..., sid: ...}``: the SID is what
counts, the name is the one stored with it (what it was called when chosen).
"""

import ipaddress

from policies.ascode.yamlio import Flow, FlowList, dump
from policies.models import (
    AccessRequirement,
    AccessRequirementGroup,
    AuthorizationEntry,
    BypassEntry,
    BypassRule,
    FirewallRule,
    IPsecClient,
    IPsecPolicy,
    ListeningProgram,
    Policy,
    Profile,
    Server,
    ServerAddress,
)

FORMAT = "fwconsole-policy/1"

PRINCIPAL_LISTS = {
    # key: (role or list kind, deny)
    "computers": ("machine", False),
    "computer_exceptions": ("machine", True),
    "users": ("user", False),
    "user_exceptions": ("user", True),
}


def _put(data, key, value):
    """Add a key unless its value is empty ('' , None, [] or {})."""
    if value in ("", None) or (isinstance(value, list | dict) and not value):
        return
    data[key] = value


def principal(reference):
    return Flow(name=reference.name, sid=reference.sid)


def principals(references):
    return [
        principal(reference)
        for reference in sorted(references, key=lambda item: (item.name, item.sid))
    ]


def firewall_state(policy):
    state = {}
    for profile in Profile.values:
        value = policy.state_for(profile)
        if value:
            state[profile] = value
    return state


def rule_data(rule):
    data = {"name": rule.name, "kind": rule.kind, "action": rule.action}
    _put(data, "protocol", rule.protocol)
    _put(data, "ports", rule.ports)
    _put(data, "program", rule.program_path)
    _put(data, "icmp_type", rule.icmp_type)
    _put(data, "group", rule.predefined_group)
    data["scope"] = rule.scope
    _put(data, "profiles", FlowList(rule.profile_list))
    data["enabled"] = rule.enabled
    _put(data, "description", rule.description)
    return data


def entry_lists(entries, kind_attribute):
    """Split principal entries into computers / users, allowed / excepted."""
    lists = {}
    for key, (kind, deny) in PRINCIPAL_LISTS.items():
        chosen = [
            entry
            for entry in entries
            if getattr(entry, kind_attribute) == kind and entry.deny == deny
        ]
        _put(lists, key, principals(chosen))
    return lists


def bypass_rule_data(rule, entries):
    data = {"name": rule.name}
    _put(data, "protocol", rule.protocol)
    _put(data, "ports", rule.ports)
    data["security"] = rule.security
    data["enabled"] = rule.enabled
    _put(data, "description", rule.description)
    data.update(entry_lists(entries, "role"))
    return data


def policy_contents(data, rules, bypass_rules, authorization):
    """Add a policy's rules, bypass rules and authorization lists to data.

    ``bypass_rules`` holds (rule, entries) pairs.
    """
    _put(
        data,
        "rules",
        [rule_data(rule) for rule in sorted(rules, key=lambda item: item.name)],
    )
    _put(
        data,
        "bypass_rules",
        [
            bypass_rule_data(rule, entries)
            for rule, entries in sorted(bypass_rules, key=lambda item: item[0].name)
        ],
    )
    _put(data, "authorization", entry_lists(authorization, "list_kind"))
    return data


def server_fields(server, computer=None):
    data = {"name": server.name}
    _put(data, "fqdn", server.fqdn)
    data["era"] = server.era
    data["active_profile"] = server.active_profile
    if computer is not None:
        data["computer"] = Flow(name=computer.display_label, sid=computer.sid)
    _put(data, "owner", server.owner)
    _put(data, "notes", server.notes)
    return data


def address_sort_key(text):
    address, _, prefix = text.partition("/")
    parsed = ipaddress.ip_address(address)
    return (parsed.version, int(parsed), int(prefix or 0))


def program_data(program):
    return Flow(
        program=program.program_path, protocol=program.protocol, ports=program.ports
    )


def requirement_data(requirement, groups):
    data = {"name": requirement.name}
    _put(data, "protocol", requirement.protocol)
    _put(data, "ports", requirement.ports)
    _put(data, "description", requirement.description)
    _put(data, "groups", principals(groups))
    return data


def ipsec_data(policy, server_names, clients):
    data = {"name": policy.name}
    _put(data, "description", policy.description)
    data["enabled"] = policy.enabled
    _put(data, "servers", FlowList(sorted(server_names)))
    _put(data, "clients", principals(clients))
    _put(data, "client_addresses", policy.client_addresses)
    data["authentication"] = policy.authentication
    data["protection"] = policy.protection
    data["server_mode"] = policy.server_mode
    data["user_authentication"] = policy.user_authentication
    return data


class Snapshot:
    """Every policy row loaded at once, grouped by owner (a fixed number of queries)."""

    def __init__(self):
        self.servers = list(Server.objects.select_related("computer").order_by("name"))
        self.addresses = _group(ServerAddress.objects.all(), "server_id")
        self.programs = _group(ListeningProgram.objects.all(), "server_id")
        self.policies = list(Policy.objects.select_related("local_server"))
        self.links = _group(Policy.servers.through.objects.all(), "policy_id")
        self.rules = _group(FirewallRule.objects.all(), "policy_id")
        self.bypass_rules = _group(BypassRule.objects.all(), "policy_id")
        self.entries = _group(BypassEntry.objects.all(), "rule_id")
        self.authorization = _group(AuthorizationEntry.objects.all(), "policy_id")
        self.requirements = _group(AccessRequirement.objects.all(), "server_id")
        self.requirement_groups = _group(
            AccessRequirementGroup.objects.all(), "requirement_id"
        )
        self.ipsec = list(IPsecPolicy.objects.order_by("name"))
        self.ipsec_links = _group(
            IPsecPolicy.servers.through.objects.all(), "ipsecpolicy_id"
        )
        self.ipsec_clients = _group(IPsecClient.objects.all(), "policy_id")
        self.server_names = {server.pk: server.name for server in self.servers}

    def local_policy(self, server):
        for policy in self.policies:
            if policy.local_server_id == server.pk:
                return policy
        return None

    def shared_policies(self):
        shared = [policy for policy in self.policies if policy.local_server_id is None]
        return sorted(shared, key=lambda policy: (policy.precedence, policy.name))

    def contents(self, data, policy):
        bypass = [
            (rule, self.entries.get(rule.pk, []))
            for rule in self.bypass_rules.get(policy.pk, [])
        ]
        return policy_contents(
            data,
            self.rules.get(policy.pk, []),
            bypass,
            self.authorization.get(policy.pk, []),
        )

    def server_data(self, server):
        data = server_fields(server, server.computer)
        addresses = [str(item) for item in self.addresses.get(server.pk, [])]
        _put(data, "addresses", FlowList(sorted(addresses, key=address_sort_key)))
        programs = sorted(
            self.programs.get(server.pk, []),
            key=lambda item: (item.program_path, item.protocol, item.ports),
        )
        _put(data, "listening_programs", [program_data(item) for item in programs])
        local = self.local_policy(server)
        if local is not None:
            settings = {}
            _put(settings, "firewall_state", firewall_state(local))
            self.contents(settings, local)
            _put(data, "local_settings", settings)
        requirements = sorted(
            self.requirements.get(server.pk, []), key=lambda item: item.name
        )
        _put(
            data,
            "access_requirements",
            [
                requirement_data(item, self.requirement_groups.get(item.pk, []))
                for item in requirements
            ],
        )
        return data

    def policy_data(self, policy):
        data = {"name": policy.name, "era": policy.era, "precedence": policy.precedence}
        _put(data, "description", policy.description)
        names = [
            self.server_names[link.server_id] for link in self.links.get(policy.pk, [])
        ]
        _put(data, "servers", FlowList(sorted(names)))
        _put(data, "firewall_state", firewall_state(policy))
        return self.contents(data, policy)

    def ipsec_data(self, policy):
        names = [
            self.server_names[link.server_id]
            for link in self.ipsec_links.get(policy.pk, [])
        ]
        return ipsec_data(policy, names, self.ipsec_clients.get(policy.pk, []))


def _group(queryset, attribute):
    grouped = {}
    for row in queryset.order_by("pk"):
        grouped.setdefault(getattr(row, attribute), []).append(row)
    return grouped


def export_data():
    """Return the whole policy set as plain data, in a stable order."""
    snapshot = Snapshot()
    return {
        "format": FORMAT,
        "servers": [snapshot.server_data(server) for server in snapshot.servers],
        "policies": [
            snapshot.policy_data(policy) for policy in snapshot.shared_policies()
        ],
        "ipsec_policies": [snapshot.ipsec_data(policy) for policy in snapshot.ipsec],
    }


def export_text():
    """Return the whole policy set as YAML text."""
    header = (
        "# fwconsole policy set. Import it with `manage.py policy import FILE` or\n"
        "# on the Policies page; objects missing from the file are deleted.\n"
    )
    return header + dump(export_data())
