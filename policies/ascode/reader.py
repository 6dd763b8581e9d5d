"""Read a policy file into unsaved model objects, collecting every problem
with the line it is on.

Nothing here writes: each object is checked with its model's own
``full_clean`` (parents assigned but unsaved), and the checks that span
objects (names, links between policies and servers, bypass entries as a
whole) run over the file as a whole.
"""

from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from directory.models import DirectoryObject
from policies.ascode.serialize import FORMAT, PRINCIPAL_LISTS
from policies.ascode.yamlio import LineDict, LineList
from policies.models import (
    LOCAL_POLICY_PREFIX,
    AccessRequirement,
    AccessRequirementGroup,
    AuthorizationEntry,
    BypassEntry,
    BypassRule,
    Era,
    FirewallRule,
    FirewallState,
    IPsecClient,
    IPsecPolicy,
    ListeningProgram,
    Policy,
    Profile,
    Server,
    ServerAddress,
)
from policies.validators import PREFIX_LENGTH_RE

# Model field name -> key in the file, where they differ.
FIELD_KEYS = {
    "program_path": "program",
    "predefined_group": "group",
    "local_server": "name",
    "computer": "computer",
}


@dataclass(frozen=True, order=True)
class ImportProblem:
    line: int
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}"


@dataclass
class PolicySpec:
    policy: Policy
    line: int
    server_names: list = field(default_factory=list)
    rules: list = field(default_factory=list)
    bypass_rules: list = field(default_factory=list)  # (rule, entries)
    authorization: list = field(default_factory=list)


@dataclass
class ServerSpec:
    server: Server
    line: int
    computer: DirectoryObject | None = None
    addresses: list = field(default_factory=list)  # "a.b.c.d/nn"
    programs: list = field(default_factory=list)
    local: PolicySpec | None = None
    requirements: list = field(default_factory=list)  # (requirement, groups)


@dataclass
class IPsecSpec:
    policy: IPsecPolicy
    line: int
    server_names: list = field(default_factory=list)
    clients: list = field(default_factory=list)


@dataclass
class PolicySet:
    servers: list = field(default_factory=list)
    policies: list = field(default_factory=list)
    ipsec_policies: list = field(default_factory=list)


def _at(line):
    """An empty mapping whose every key reports the given line."""
    data = LineDict()
    data.line = line
    return data


class Reader:
    """Turns the loaded YAML data into specs; ``problems`` collects errors."""

    def __init__(self):
        self.problems = []

    def problem(self, line, message):
        self.problems.append(ImportProblem(line, message))

    # -- shapes ----------------------------------------------------------

    def mapping(self, value, line, what):
        if isinstance(value, LineDict):
            return value
        self.problem(line, f"{what} must be a mapping of keys to values.")
        return None

    def sequence(self, data, key, what):
        value = data.get(key)
        if value is None:
            return LineList()
        if isinstance(value, LineList):
            return value
        self.problem(data.line_of(key), f"{what} must be a list.")
        return LineList()

    def keys(self, data, allowed, what):
        for key in data:
            if key not in allowed:
                self.problem(
                    data.line_of(key),
                    f"{what}: unknown key {key!r} (expected one of "
                    f"{', '.join(allowed)}).",
                )

    def string(self, data, key, what, default="", numbers=False):
        value = data.get(key, default)
        if value is None:
            return default
        if isinstance(value, bool):
            self.problem(data.line_of(key), f"{what}: {key} must be text.")
            return default
        if isinstance(value, int) and numbers:
            return str(value)
        if not isinstance(value, str):
            self.problem(data.line_of(key), f"{what}: {key} must be text.")
            return default
        return value

    def required(self, data, key, what):
        value = self.string(data, key, what)
        if not value:
            self.problem(data.line, f"{what} needs a {key}.")
        return value

    def boolean(self, data, key, what, default):
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problem(data.line_of(key), f"{what}: {key} must be true or false.")
            return default
        return value

    def integer(self, data, key, what, default=None):
        value = data.get(key, default)
        if value is None or value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(data.line_of(key), f"{what}: {key} must be a whole number.")
            return default
        return value

    def names(self, data, key, what):
        """A list of server names with their lines."""
        found = []
        items = self.sequence(data, key, what)
        for index, item in enumerate(items):
            if not isinstance(item, str):
                self.problem(items.line_of(index), f"{what}: server names are text.")
                continue
            found.append((item, items.line_of(index)))
        return found

    def validate(self, obj, data, what, exclude=()):
        """Run the model's own checks; file each message on its key's line."""
        try:
            obj.full_clean(
                exclude=list(exclude), validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                key = FIELD_KEYS.get(name, name)
                if name.startswith("state_"):
                    key = "firewall_state"
                line = data.line if name == NON_FIELD_ERRORS else data.line_of(key)
                for message in messages:
                    label = "" if name == NON_FIELD_ERRORS else f"{key}: "
                    self.problem(line, f"{what}: {label}{message}")
            return False
        return True

    def unique(self, items, what):
        """Report names that appear twice; items are (name, line)."""
        seen = {}
        for name, line in items:
            if name in seen:
                self.problem(
                    line, f"{what} {name!r} appears twice (first on line {seen[name]})."
                )
            else:
                seen[name] = line

    # -- principals ------------------------------------------------------

    def principal_list(self, data, key, what):
        """Return [(sid, name, line)] of a list of {name, sid} mappings."""
        found = []
        items = self.sequence(data, key, what)
        for index, item in enumerate(items):
            line = items.line_of(index)
            entry = self.mapping(item, line, f"{what} entry")
            if entry is None:
                continue
            self.keys(entry, ("name", "sid"), f"{what} entry")
            sid = self.required(entry, "sid", f"{what} entry")
            name = self.string(entry, "name", f"{what} entry")
            found.append((sid, name, line))
        return found

    def entries(self, data, what, factory, kind_field):
        """Read computers / users lists (and their exceptions) into rows."""
        rows = []
        for key, (kind, deny) in PRINCIPAL_LISTS.items():
            for sid, name, line in self.principal_list(data, key, f"{what} {key}"):
                row = factory(sid=sid, name=name, deny=deny, **{kind_field: kind})
                rows.append((row, line, key))
        return rows

    # -- objects ---------------------------------------------------------

    def read(self, data):
        result = PolicySet()
        root = self.mapping(data, 1, "The file")
        if root is None:
            return result
        self.keys(root, ("format", "servers", "policies", "ipsec_policies"), "File")
        if root.get("format") != FORMAT:
            self.problem(
                root.line_of("format"),
                f"format must be {FORMAT!r} (found {root.get('format')!r}).",
            )

        servers = self.sequence(root, "servers", "servers")
        for index, item in enumerate(servers):
            server_data = self.mapping(item, servers.line_of(index), "A server")
            if server_data is not None:
                result.servers.append(self.read_server(server_data))
        self.unique(
            [(spec.server.name, spec.line) for spec in result.servers], "Server"
        )

        policies = self.sequence(root, "policies", "policies")
        for index, item in enumerate(policies):
            policy_data = self.mapping(item, policies.line_of(index), "A policy")
            if policy_data is not None:
                result.policies.append(self.read_shared_policy(policy_data))
        self.unique(
            [(spec.policy.name, spec.line) for spec in result.policies], "Policy"
        )

        ipsec = self.sequence(root, "ipsec_policies", "ipsec_policies")
        for index, item in enumerate(ipsec):
            ipsec_data = self.mapping(item, ipsec.line_of(index), "An IPsec policy")
            if ipsec_data is not None:
                result.ipsec_policies.append(self.read_ipsec(ipsec_data))
        self.unique(
            [(spec.policy.name, spec.line) for spec in result.ipsec_policies],
            "IPsec policy",
        )

        self.check_links(result)
        return result

    def read_server(self, data):
        allowed = (
            "name fqdn era active_profile computer owner notes addresses "
            "listening_programs local_settings access_requirements"
        ).split()
        name = self.required(data, "name", "A server")
        what = f"Server {name!r}"
        self.keys(data, allowed, what)
        server = Server(
            name=name,
            fqdn=self.string(data, "fqdn", what),
            era=self.string(data, "era", what, Era.XP),
            active_profile=self.string(data, "active_profile", what, "domain"),
            owner=self.string(data, "owner", what),
            notes=self.string(data, "notes", what),
        )
        spec = ServerSpec(server=server, line=data.line)
        spec.computer = self.read_computer(data, what)
        server.computer = spec.computer
        self.validate(server, data, what)

        addresses = self.sequence(data, "addresses", f"{what} addresses")
        seen = set()
        for index, item in enumerate(addresses):
            line = addresses.line_of(index)
            address = self.read_address(item, line, what)
            if address is None:
                continue
            if address.address in seen:
                self.problem(line, f"{what}: address {address.address} appears twice.")
            seen.add(address.address)
            spec.addresses.append(str(address))

        programs = self.sequence(data, "listening_programs", f"{what} programs")
        for index, item in enumerate(programs):
            program_data = self.mapping(
                item, programs.line_of(index), f"{what} listening program"
            )
            if program_data is None:
                continue
            program_what = f"{what} listening program"
            self.keys(program_data, ("program", "protocol", "ports"), program_what)
            program = ListeningProgram(
                server=server,
                program_path=self.string(program_data, "program", program_what),
                protocol=self.string(program_data, "protocol", program_what),
                ports=self.string(program_data, "ports", program_what, numbers=True),
            )
            if self.validate(program, program_data, program_what, exclude=["server"]):
                spec.programs.append(program)

        local_data = data.get("local_settings") or LineDict()
        local_data = self.mapping(local_data, data.line_of("local_settings"), what)
        local = Policy(
            name=f"{LOCAL_POLICY_PREFIX}{name}",
            era=server.era,
            local_server=server,
            description=f"Local settings of {name}.",
        )
        spec.local = self.read_contents(
            PolicySpec(policy=local, line=data.line_of("local_settings")),
            local_data or LineDict(),
            f"{what} local settings",
            ("firewall_state", "rules", "bypass_rules", "authorization"),
        )

        requirements = self.sequence(data, "access_requirements", what)
        for index, item in enumerate(requirements):
            requirement_data = self.mapping(
                item, requirements.line_of(index), f"{what} access requirement"
            )
            if requirement_data is not None:
                spec.requirements.append(
                    self.read_requirement(requirement_data, server, what)
                )
        self.unique(
            [(req.name, line) for req, _groups, line in spec.requirements],
            f"{what}: access requirement",
        )
        spec.requirements = [(req, groups) for req, groups, _line in spec.requirements]
        return spec

    def read_computer(self, data, what):
        if "computer" not in data:
            return None
        reference = self.mapping(data["computer"], data.line_of("computer"), what)
        if reference is None:
            return None
        self.keys(reference, ("name", "sid"), f"{what} computer")
        sid = self.required(reference, "sid", f"{what} computer")
        if not sid:
            return None
        found = list(
            DirectoryObject.objects.filter(
                sid=sid, kind=DirectoryObject.Kind.COMPUTER, deleted_at__isnull=True
            )[:1]
        )
        if not found:
            self.problem(
                reference.line,
                f"{what}: no computer account with SID {sid} in the directory "
                "(sync the directory first, or remove the computer line).",
            )
            return None
        return found[0]

    def read_address(self, item, line, what):
        if not isinstance(item, str) or "/" not in item:
            self.problem(
                line,
                f"{what}: an address is written with its prefix, e.g. 10.0.0.1/24.",
            )
            return None
        address_text, _, prefix_text = item.partition("/")
        if not PREFIX_LENGTH_RE.fullmatch(prefix_text):
            self.problem(line, f"{what}: {item!r} has no numeric prefix length.")
            return None
        address = ServerAddress(address=address_text, prefix_length=int(prefix_text))
        try:
            address.full_clean(exclude=["server"], validate_unique=False)
        except ValidationError as error:
            for message in error.messages:
                self.problem(line, f"{what}: address {item!r}: {message}")
            return None
        return address

    def read_state(self, data, what):
        states = {}
        if "firewall_state" not in data:
            return states
        state_data = self.mapping(
            data["firewall_state"], data.line_of("firewall_state"), what
        )
        if state_data is None:
            return states
        self.keys(state_data, Profile.values, f"{what} firewall_state")
        for profile, value in state_data.items():
            # YAML 1.1 reads a bare on/off as true/false.
            if value is True:
                value = FirewallState.ON
            elif value is False:
                value = FirewallState.OFF
            if value not in FirewallState.values:
                self.problem(
                    state_data.line_of(profile),
                    f"{what}: firewall_state {profile} must be one of "
                    f"{', '.join(FirewallState.values)}.",
                )
                continue
            states[f"state_{profile}"] = value
        return states

    def read_shared_policy(self, data):
        name = self.required(data, "name", "A policy")
        what = f"Policy {name!r}"
        allowed = (
            "name era precedence description servers firewall_state rules "
            "bypass_rules authorization"
        ).split()
        self.keys(data, allowed, what)
        policy = Policy(
            name=name,
            era=self.string(data, "era", what, Era.XP),
            precedence=self.integer(data, "precedence", what, 100),
            description=self.string(data, "description", what),
        )
        spec = PolicySpec(policy=policy, line=data.line)
        spec.server_names = self.names(data, "servers", what)
        return self.read_contents(spec, data, what, allowed)

    def read_contents(self, spec, data, what, allowed):
        """Read firewall states, rules, bypass rules and authorization lists."""
        policy = spec.policy
        if spec.policy.local_server is not None:
            self.keys(data, allowed, what)
        for name, value in self.read_state(data, what).items():
            setattr(policy, name, value)
        self.validate(policy, data, what, exclude=["local_server"])

        rules = self.sequence(data, "rules", f"{what} rules")
        for index, item in enumerate(rules):
            rule_data = self.mapping(item, rules.line_of(index), f"{what} rule")
            if rule_data is not None:
                rule = self.read_rule(rule_data, policy, what)
                spec.rules.append((rule, rule_data.line))
        self.unique([(rule.name, line) for rule, line in spec.rules], f"{what}: rule")
        spec.rules = [rule for rule, _line in spec.rules]

        bypass = self.sequence(data, "bypass_rules", f"{what} bypass rules")
        found = []
        for index, item in enumerate(bypass):
            bypass_data = self.mapping(
                item, bypass.line_of(index), f"{what} bypass rule"
            )
            if bypass_data is not None:
                found.append(self.read_bypass(bypass_data, policy, what))
        self.unique(
            [(rule.name, line) for rule, _entries, line in found],
            f"{what}: bypass rule",
        )
        if policy.era == Era.XP and len(found) > 1:
            self.problem(
                found[1][2], f"{what}: an XP-era policy holds one bypass list."
            )
        spec.bypass_rules = [(rule, entries) for rule, entries, _line in found]

        if "authorization" in data:
            auth_data = self.mapping(
                data["authorization"], data.line_of("authorization"), what
            )
            if auth_data is not None:
                self.keys(auth_data, tuple(PRINCIPAL_LISTS), f"{what} authorization")
                for row, line, key in self.entries(
                    auth_data, f"{what} authorization", AuthorizationEntry, "list_kind"
                ):
                    row.policy = policy
                    if self.validate(
                        row,
                        _at(line),
                        f"{what} authorization {key} {row.name or row.sid}",
                        exclude=["policy"],
                    ):
                        spec.authorization.append(row)
        return spec

    def read_rule(self, data, policy, what):
        name = self.required(data, "name", f"{what}: a rule")
        rule_what = f"{what} rule {name!r}"
        allowed = (
            "name kind action protocol ports program icmp_type group scope "
            "profiles enabled description"
        ).split()
        self.keys(data, allowed, rule_what)
        profiles = data.get("profiles") or []
        if not isinstance(profiles, list) or not all(
            isinstance(item, str) for item in profiles
        ):
            self.problem(data.line_of("profiles"), f"{rule_what}: profiles is a list.")
            profiles = []
        rule = FirewallRule(
            policy=policy,
            name=name,
            kind=self.string(data, "kind", rule_what, FirewallRule.Kind.PORT),
            action=self.string(data, "action", rule_what, FirewallRule.Action.ALLOW),
            protocol=self.string(data, "protocol", rule_what),
            ports=self.string(data, "ports", rule_what, numbers=True),
            program_path=self.string(data, "program", rule_what),
            icmp_type=self.integer(data, "icmp_type", rule_what),
            predefined_group=self.string(data, "group", rule_what),
            scope=self.string(data, "scope", rule_what, "*", numbers=True),
            profiles=",".join(profiles),
            enabled=self.boolean(data, "enabled", rule_what, True),
            description=self.string(data, "description", rule_what),
        )
        self.validate(rule, data, rule_what, exclude=["policy"])
        return rule

    def read_bypass(self, data, policy, what):
        name = self.required(data, "name", f"{what}: a bypass rule")
        rule_what = f"{what} bypass rule {name!r}"
        allowed = (
            "name protocol ports security enabled description "
            + " ".join(PRINCIPAL_LISTS)
        ).split()
        self.keys(data, allowed, rule_what)
        rule = BypassRule(
            policy=policy,
            name=name,
            protocol=self.string(data, "protocol", rule_what),
            ports=self.string(data, "ports", rule_what, numbers=True),
            security=self.string(
                data, "security", rule_what, BypassRule.Security.AUTHENTICATE
            ),
            enabled=self.boolean(data, "enabled", rule_what, True),
            description=self.string(data, "description", rule_what),
        )
        self.validate(rule, data, rule_what, exclude=["policy"])
        entries = []
        keys = set()
        for row, line, key in self.entries(data, rule_what, BypassEntry, "role"):
            row.rule = rule
            label = f"{rule_what} {key} {row.name or row.sid}"
            if (row.sid, row.role, row.deny) in keys:
                self.problem(line, f"{label}: listed twice.")
                continue
            keys.add((row.sid, row.role, row.deny))
            if self.validate(row, _at(line), label, ["rule"]):
                entries.append(row)
        try:
            rule.check_entries(entries, policy.era)
        except ValidationError as error:
            for message in error.messages:
                self.problem(data.line, f"{rule_what}: {message}")
        return rule, entries, data.line

    def read_requirement(self, data, server, what):
        name = self.required(data, "name", f"{what}: an access requirement")
        req_what = f"{what} access requirement {name!r}"
        self.keys(
            data, ("name", "protocol", "ports", "description", "groups"), req_what
        )
        requirement = AccessRequirement(
            server=server,
            name=name,
            protocol=self.string(data, "protocol", req_what),
            ports=self.string(data, "ports", req_what, numbers=True),
            description=self.string(data, "description", req_what),
        )
        self.validate(requirement, data, req_what, exclude=["server"])
        groups = []
        for sid, group_name, line in self.principal_list(data, "groups", req_what):
            group = AccessRequirementGroup(
                requirement=requirement, sid=sid, name=group_name
            )
            label = f"{req_what} group {group_name or sid}"
            if self.validate(group, _at(line), label, ["requirement"]):
                groups.append(group)
        return requirement, groups, data.line

    def read_ipsec(self, data):
        name = self.required(data, "name", "An IPsec policy")
        what = f"IPsec policy {name!r}"
        allowed = (
            "name description enabled servers clients client_addresses "
            "authentication protection server_mode user_authentication"
        ).split()
        self.keys(data, allowed, what)
        policy = IPsecPolicy(
            name=name,
            description=self.string(data, "description", what),
            enabled=self.boolean(data, "enabled", what, True),
            client_addresses=self.string(data, "client_addresses", what),
            authentication=self.string(
                data, "authentication", what, IPsecPolicy.Authentication.KERBEROS
            ),
            protection=self.string(
                data, "protection", what, IPsecPolicy.Protection.ESP
            ),
            server_mode=self.string(
                data, "server_mode", what, IPsecPolicy.Mode.REQUEST
            ),
            user_authentication=self.boolean(data, "user_authentication", what, False),
        )
        self.validate(policy, data, what)
        spec = IPsecSpec(policy=policy, line=data.line)
        spec.server_names = self.names(data, "servers", what)
        for sid, client_name, line in self.principal_list(data, "clients", what):
            client = IPsecClient(policy=policy, sid=sid, name=client_name)
            label = f"{what} client {client_name or sid}"
            if self.validate(client, _at(line), label, ["policy"]):
                spec.clients.append(client)
        return spec

    # -- links -----------------------------------------------------------

    def check_links(self, result):
        servers = {spec.server.name: spec.server for spec in result.servers}
        for spec in result.policies:
            what = f"Policy {spec.policy.name!r}"
            self.unique(spec.server_names, f"{what}: server")
            for name, line in spec.server_names:
                server = servers.get(name)
                if server is None:
                    self.problem(line, f"{what}: no server named {name!r} in the file.")
                elif server.era != spec.policy.era:
                    self.problem(
                        line,
                        f"{what} is a {spec.policy.get_era_display()} policy; "
                        f"server {name!r} is of the other era.",
                    )
        for spec in result.ipsec_policies:
            what = f"IPsec policy {spec.policy.name!r}"
            self.unique(spec.server_names, f"{what}: server")
            for name, line in spec.server_names:
                if name not in servers:
                    self.problem(line, f"{what}: no server named {name!r} in the file.")
