"""Risk findings: what in the bypass lists and rules deserves a second look.

Each finding kind turns the dashboard's data into rows of one list page; the
dashboard shows how many rows each kind has. The kinds:

broad-groups
    A bypass list names a group that admits nearly everybody: Domain
    Computers (RID 515) or Domain Users (RID 513), Everyone, Authenticated
    Users, or any group with more accounts (at any depth) than the size an
    administrator set.
stale-members
    A computer account that is disabled, deleted, or has not logged on for
    longer than the inactivity limit is still inside a group (or listed
    directly) on a bypass list. Disabled and deleted accounts cannot
    authenticate, but one re-enable or restore brings the bypass back.
    Accounts with no recorded last logon are not called inactive: LDAP and
    LDIF sources often carry no such attribute.
unresolved-sids
    A domain SID on a bypass list, authorization list, IPsec policy or access
    requirement matches no live account of any synced source (well-known SIDs
    such as Everyone are not domain accounts and are not reported).
redundant-exceptions
    An exception whose scope lists only addresses that all belong to machines
    the server's bypass already admits: it opens nothing the bypass does not
    (as long as those machines negotiate IPsec with the server).
bypass-firewall-off
    A server keeps a bypass list while its firewall is off in its active
    profile: the list protects nothing and hides that everything is open.
user-auth-no-authip
    A later-era bypass rule requires authorized users, and its authorized
    computers include XP / Server 2003 clients, which cannot authenticate a
    user at the IPsec layer (no AuthIP), so their users can never match.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone

from directory.models import DirectoryObject, Membership
from policies.dashboard.exposure import CUSTOM
from policies.dashboard.facts import lacks_authip
from policies.dashboard.listing import Link
from policies.models import BypassEntry, Era, FirewallState
from policies.scopes import ScopeError, parse_scope

BROAD_WELL_KNOWN = {
    "S-1-1-0": "Everyone",
    "S-1-5-11": "Authenticated Users",
}
BROAD_RIDS = {515: "Domain Computers", 513: "Domain Users"}
DOMAIN_SID_PREFIX = "S-1-5-21-"


@dataclass(frozen=True)
class FindingKind:
    slug: str
    title: str
    short: str
    description: str
    columns: tuple[str, ...]


KINDS = (
    FindingKind(
        "broad-groups",
        "Broad groups in bypass lists",
        "Broad groups",
        "Bypass entries that admit nearly every machine or user.",
        ("Group", "Why", "Accounts", "Rule", "Policy", "In force on"),
    ),
    FindingKind(
        "stale-members",
        "Disabled, deleted or inactive computers in bypass groups",
        "Stale memberships",
        "Computer accounts still inside a group (or listed directly) on a bypass "
        "list although they are disabled, deleted or long inactive; one row, and "
        "one count, per computer and listed group.",
        ("Computer", "Problem", "Since", "Listed group", "Membership chain"),
    ),
    FindingKind(
        "unresolved-sids",
        "Listed SIDs that resolve to nothing",
        "Unresolved SIDs",
        "Domain SIDs on policy lists that match no live account of any synced "
        "source, or name a distribution group, which no Kerberos token carries.",
        ("SID", "Name when chosen", "Problem", "List", "Where"),
    ),
    FindingKind(
        "redundant-exceptions",
        "Exceptions made redundant by a bypass",
        "Redundant exceptions",
        "Exceptions whose every address belongs to a machine the server's bypass "
        "already admits.",
        ("Server", "Exception", "Scope", "Machines", "Policy", "Bypass from"),
    ),
    FindingKind(
        "bypass-firewall-off",
        "Bypass lists on servers whose firewall is off",
        "Bypass, firewall off",
        "The firewall is off in the server's active profile, so its bypass list "
        "protects nothing.",
        ("Server", "Profile", "Firewall off by", "Bypass entries", "Bypass from"),
    ),
    FindingKind(
        "user-auth-no-authip",
        "User authorization required from clients without AuthIP",
        "Users without AuthIP",
        "Later-era bypass rules that authorize users, for authorized computers "
        "running XP or Server 2003, which cannot authenticate a user (no AuthIP).",
        ("Client", "Operating system", "Server", "Rule", "Policy", "Listed as"),
    ),
)
KINDS_BY_SLUG = {kind.slug: kind for kind in KINDS}


@dataclass
class References:
    """Every SID the policies name, with the rows that name it."""

    bypass_entries: list = field(default_factory=list)
    authorization_entries: list = field(default_factory=list)
    ipsec_clients: list = field(default_factory=list)
    access_groups: list = field(default_factory=list)

    def sids(self):
        rows = (
            self.bypass_entries
            + self.authorization_entries
            + self.ipsec_clients
            + self.access_groups
        )
        return {row.sid for row in rows if row.sid}


@dataclass
class RiskContext:
    """What the findings read: servers, configurations, exposure, directory."""

    servers: list
    configs: dict
    exposures: list
    facts: object
    references: References
    thresholds: object
    now: object = None

    def __post_init__(self):
        self.now = self.now or timezone.now()
        self._servers_by_rule = None

    def servers_by_rule(self):
        """Map each bypass rule's pk to the servers where it is in force."""
        if self._servers_by_rule is None:
            found = {}
            for server in self.servers:
                for rule in _bypass_rules_in_force(self.configs[server.pk]):
                    found.setdefault(rule.pk, []).append(server)
            self._servers_by_rule = found
        return self._servers_by_rule


def _bypass_rules_in_force(config):
    if config.era == Era.XP:
        return [item.rule for item in config.bypass().value]
    return [item.rule for item in config.bypass_rules]


def _object_link(principal, fallback):
    if principal is None:
        return fallback
    return Link(
        principal.label, reverse("directory:object_detail", args=[principal.pk])
    )


def _server_link(server):
    return Link(server.name, server.get_absolute_url())


def policy_url(policy):
    """The page of a policy; a local policy's page is its server's (no query)."""
    if policy.local_server_id:
        return reverse("policies:server_detail", args=[policy.local_server_id])
    return policy.get_absolute_url()


def _policy_link(policy):
    if policy is None:
        return "Windows default"
    return Link(str(policy), policy_url(policy))


def _servers_text(servers):
    return ", ".join(server.name for server in servers) or "none"


def _computer_link(pk, label):
    return Link(label, reverse("directory:object_detail", args=[pk]))


@dataclass(frozen=True)
class BroadEntry:
    entry: object
    principal: object
    why: str
    size: int | None
    servers: tuple


def find_broad_groups(context):
    """Bypass entries naming very broad groups."""
    facts = context.facts
    limit = context.thresholds.broad_group_size
    servers_by_rule = context.servers_by_rule()
    found = []
    for entry in context.references.bypass_entries:
        if entry.deny:
            continue
        principal = facts.principal(entry.sid)
        size = None
        live = principal is not None and not principal.deleted
        if live and principal.kind == DirectoryObject.Kind.GROUP:
            size = len(facts.accounts_in(principal.pk))
        why = broad_reason(entry.sid, size, limit)
        if why:
            servers = tuple(servers_by_rule.get(entry.rule_id, ()))
            found.append(BroadEntry(entry, principal, why, size, servers))
    return found


def render_broad_groups(items):
    return [
        [
            _object_link(item.principal, item.entry.name or item.entry.sid),
            item.why,
            item.size,
            item.entry.rule.name,
            _policy_link(item.entry.rule.policy),
            _servers_text(item.servers),
        ]
        for item in items
    ]


def broad_reason(sid, size, limit):
    """Return why a listed SID counts as broad, or ''."""
    if sid in BROAD_WELL_KNOWN:
        return f"{BROAD_WELL_KNOWN[sid]} (well-known SID)"
    if sid.startswith(DOMAIN_SID_PREFIX):
        rid = int(sid.rsplit("-", 1)[1])
        if rid in BROAD_RIDS:
            return f"{BROAD_RIDS[rid]} (RID {rid})"
    if size is not None and size > limit:
        return f"{size} accounts, above the limit of {limit}"
    return ""


@dataclass(frozen=True)
class StaleMember:
    """A computer that should not be in a bypass group, and how it is there.

    ``via_group_id`` is the group whose stored edge still names a deleted
    computer (the graph no longer walks through deleted accounts).
    """

    computer_id: int
    problem: str
    since: object
    listed: object
    via_group_id: int | None = None


def find_stale_members(context):
    """Disabled, deleted or inactive computers inside bypass groups."""
    facts = context.facts
    listed = {}
    for entry in context.references.bypass_entries:
        if entry.role == BypassEntry.Role.MACHINE and not entry.deny:
            principal = facts.principal(entry.sid)
            if principal is not None:
                listed[entry.sid] = principal

    problems = {}
    for pk, computer in facts.computers.items():
        problem = _computer_problem(computer)
        if problem:
            problems[pk] = problem

    found = {}
    for sid, principal in sorted(listed.items()):
        if principal.deleted:
            continue
        if principal.kind == DirectoryObject.Kind.COMPUTER:
            members = {principal.pk}
        else:
            members = facts.member_ids(principal.pk)
        for member_id in members & problems.keys():
            problem = problems[member_id]
            found[(member_id, sid)] = StaleMember(member_id, problem, None, principal)
    for item in _deleted_members(facts, listed):
        found.setdefault((item.computer_id, item.listed.sid), item)
    sort_labels = {}
    for item in found.values():
        if item.computer_id not in sort_labels:
            sort_labels[item.computer_id] = facts.label(item.computer_id).casefold()
    return sorted(
        found.values(),
        key=lambda item: (sort_labels[item.computer_id], item.listed.label.casefold()),
    )


def _computer_problem(computer):
    if not computer.enabled:
        return "Disabled"
    if computer.inactive:
        return "Inactive"
    return ""


def _deleted_members(facts, listed):
    """Deleted computers listed directly, or whose membership edges remain."""
    found = []
    listed_by_group = {}
    deleted_ids = {}
    for principal in listed.values():
        if principal.kind == DirectoryObject.Kind.COMPUTER and principal.deleted:
            deleted_ids[principal.pk] = principal
        elif principal.kind == DirectoryObject.Kind.GROUP and not principal.deleted:
            for group_id in facts.nested_group_ids(principal.pk):
                listed_by_group.setdefault(group_id, []).append(principal)

    when_deleted = dict(
        DirectoryObject.objects.filter(pk__in=list(deleted_ids)).values_list(
            "pk", "deleted_at"
        )
    )
    for pk, principal in deleted_ids.items():
        found.append(StaleMember(pk, "Deleted", when_deleted.get(pk), principal))

    edges = Membership.objects.filter(
        group_id__in=list(listed_by_group),
        member__kind=DirectoryObject.Kind.COMPUTER,
        member__deleted_at__isnull=False,
    ).values_list("member_id", "group_id", "member__deleted_at")
    for member_id, group_id, deleted_at in edges:
        for principal in listed_by_group[group_id]:
            found.append(
                StaleMember(member_id, "Deleted", deleted_at, principal, group_id)
            )
    return found


def _stale_path(facts, item):
    """The ids from the computer up to the listed principal."""
    if item.listed.pk == item.computer_id:
        return [item.computer_id]
    if item.via_group_id is not None:
        chain = facts.chain(item.via_group_id, item.listed.pk)
        return [item.computer_id, *(chain.object_ids() if chain else [])]
    chain = facts.chain(item.computer_id, item.listed.pk)
    return chain.object_ids() if chain else [item.computer_id]


def make_stale_renderer(facts):
    def render(items):
        # The inactive ones' last logon is read for the rows shown only.
        inactive = [item.computer_id for item in items if item.problem == "Inactive"]
        last_logons = dict(
            DirectoryObject.objects.filter(pk__in=inactive).values_list(
                "pk", "last_logon"
            )
        )
        rows = []
        for item in items:
            path = _stale_path(facts, item)
            rows.append(
                [
                    _computer_link(item.computer_id, facts.label(item.computer_id)),
                    item.problem,
                    last_logons.get(item.computer_id, item.since),
                    _object_link(item.listed, item.listed.sid),
                    " → ".join(facts.label(pk) or str(pk) for pk in path),
                ]
            )
        return rows

    return render


def find_unresolved_sids(context):
    """Domain SIDs on policy lists that match no live account: row cells."""
    facts = context.facts
    refs = context.references
    places = []
    for entry in refs.bypass_entries:
        places.append(
            (entry, f"Bypass rule {entry.rule.name}", _policy_link(entry.rule.policy))
        )
    for entry in refs.authorization_entries:
        label = f"IPsec authorization ({entry.get_list_kind_display()})"
        places.append((entry, label, _policy_link(entry.policy)))
    for client in refs.ipsec_clients:
        link = Link(str(client.policy), client.policy.get_absolute_url())
        places.append((client, "IPsec policy clients", link))
    for group in refs.access_groups:
        server = group.requirement.server
        label = f"Access requirement {group.requirement.name}"
        places.append((group, label, _server_link(server)))

    rows = []
    for reference, list_label, where in places:
        if not reference.sid.startswith(DOMAIN_SID_PREFIX):
            continue
        principal = facts.principal(reference.sid)
        if principal is None:
            problem = "No synced account has this SID"
        elif principal.deleted:
            problem = "The account was deleted"
        elif principal.pk in facts.graph.distribution_group_ids:
            problem = "A distribution group: no token carries it, so it matches no one"
        else:
            continue
        rows.append((reference.sid, reference.name, problem, list_label, where))
    return rows


def find_redundant_exceptions(context):
    """Exceptions whose every address is a bypassed machine's: row cells."""
    addresses = context.facts.addresses
    rows = []
    for exposure in context.exposures:
        if not exposure.bypass_ids:
            continue
        for item in exposure.exceptions:
            if item.scope_kinds != (CUSTOM,):
                continue
            scope = _custom_scope(item, exposure.server)
            if scope is None or not _all_bypassed(scope, addresses, exposure):
                continue
            rows.append(
                (
                    _server_link(exposure.server),
                    item.rule.name,
                    item.rule.scope,
                    len(item.machine_ids[CUSTOM]),
                    _policy_link(item.policy),
                    _policy_link(exposure.bypass_policy),
                )
            )
    return rows


def _custom_scope(item, server):
    try:
        scope = parse_scope(item.rule.scope, server.era)
    except ScopeError:
        return None
    return scope if not (scope.any or scope.local_subnet or scope.keywords) else None


def _all_bypassed(scope, addresses, exposure):
    """Whether every address of the scope is held by a machine the bypass admits."""
    wanted = scope.addresses.size
    if wanted == 0 or wanted > len(addresses):
        return False
    covered = set()
    for address_range in scope.addresses.iter_ipranges():
        pairs = addresses.addresses_between(
            address_range.version, address_range.first, address_range.last
        )
        covered.update(
            (address_range.version, value)
            for value, machine_id in pairs
            if machine_id in exposure.bypass_ids
        )
    return len(covered) == wanted


def find_bypass_firewall_off(context):
    """Servers keeping a bypass list with the firewall off: row cells."""
    rows = []
    for server in context.servers:
        config = context.configs[server.pk]
        profile = server.active_profile
        if profile not in config.profiles:
            continue
        state = config.state(profile)
        if state.value != FirewallState.OFF:
            continue
        entries, bypass_policy = _bypass_entries(config)
        if not entries:
            continue
        rows.append(
            (
                _server_link(server),
                server.get_active_profile_display(),
                _policy_link(state.policy),
                len(entries),
                _policy_link(bypass_policy),
            )
        )
    return rows


def _bypass_entries(config):
    if config.era == Era.XP:
        setting = config.bypass()
        entries = [
            e for item in setting.value if item.rule.enabled for e in item.entries
        ]
        return entries, setting.policy
    rules = [item for item in config.bypass_rules if item.rule.enabled]
    entries = [e for item in rules for e in item.settings.entries]
    return entries, rules[0].policy if rules else None


def find_user_auth_without_authip(context):
    """XP/2003 clients authorized on later-era rules that also require a user."""
    facts = context.facts
    found = []
    for server in context.servers:
        config = context.configs[server.pk]
        if config.era != Era.ADVANCED:
            continue
        for item in config.bypass_rules:
            settings = item.settings
            if not settings.rule.enabled:
                continue
            if not settings.entries_for(BypassEntry.Role.USER):
                continue
            denied = set()
            for entry in settings.entries_for(BypassEntry.Role.MACHINE, deny=True):
                denied |= facts.computers_in(facts.principal(entry.sid))
            clients = {}
            for entry in settings.entries_for(BypassEntry.Role.MACHINE):
                principal = facts.principal(entry.sid)
                for machine_id in facts.computers_in(principal) - denied:
                    clients.setdefault(machine_id, principal)
            for machine_id, principal in clients.items():
                computer = facts.computers[machine_id]
                if lacks_authip(computer.operating_system):
                    found.append((computer, server, item, principal))
    found.sort(key=lambda row: (row[0].label.casefold(), row[1].name, row[2].rule.name))
    return found


def render_user_auth_without_authip(items):
    return [
        [
            _computer_link(computer.pk, computer.label),
            computer.operating_system,
            _server_link(server),
            item.rule.name,
            _policy_link(item.policy),
            _object_link(principal, ""),
        ]
        for computer, server, item, principal in items
    ]


def finders(facts):
    """Return {slug: (find, render)} for every finding kind."""
    return {
        "broad-groups": (find_broad_groups, render_broad_groups),
        "stale-members": (find_stale_members, make_stale_renderer(facts)),
        "unresolved-sids": (find_unresolved_sids, _rows),
        "redundant-exceptions": (find_redundant_exceptions, _rows),
        "bypass-firewall-off": (find_bypass_firewall_off, _rows),
        "user-auth-no-authip": (
            find_user_auth_without_authip,
            render_user_auth_without_authip,
        ),
    }


def _rows(items):
    return [list(item) for item in items]
