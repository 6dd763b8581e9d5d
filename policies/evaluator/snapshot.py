"""A read-only, in-memory snapshot of the directory and the policies.

The evaluator is a pure function of a snapshot and a query. ``load_snapshot``
reads everything it needs in a fixed number of queries (about twenty, whatever
the size of the directory); ``current_snapshot`` keeps one per process and
reloads it only when ``snapshot_version`` changes (a sync run, a membership
change, a policy edit).
"""

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from netaddr import IPNetwork

from directory.graph import MembershipGraph
from directory.models import DirectoryObject, DirectorySource, Membership, SyncRun
from policies import models as policy_models
from policies.effective import load_policy_settings, policies_by_server, resolve
from policies.ports import PortSpecError, parse_ports
from policies.scopes import ScopeError, parse_scope

logger = logging.getLogger(__name__)

_ACCOUNT_FIELDS = (
    "pk",
    "kind",
    "source_id",
    "sid",
    "dn",
    "name",
    "sam_account_name",
    "lookup_name",
    "display_name",
    "dns_host_name",
    "user_principal_name",
    "enabled",
    "deleted_at",
    "operating_system",
    "addresses",
    "in_scope",
    "warnings",
)


def safe_url(name, *args):
    """Reverse a URL name, or '' when the page does not exist (yet)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@dataclass(slots=True)
class Account:
    """A directory object as the evaluator needs it."""

    pk: int
    kind: str
    source_id: int
    sid: str
    dn: str
    name: str
    sam_account_name: str
    lookup_name: str
    display_name: str
    dns_host_name: str
    user_principal_name: str
    enabled: bool
    deleted: bool
    operating_system: str
    addresses: tuple
    in_scope: bool
    warnings: tuple

    @property
    def label(self):
        if self.kind == DirectoryObject.Kind.COMPUTER:
            return self.sam_account_name.removesuffix("$") or self.name
        return self.sam_account_name or self.name

    @property
    def url(self):
        return safe_url("directory:object_detail", self.pk)

    @property
    def is_computer(self):
        return self.kind == DirectoryObject.Kind.COMPUTER

    @property
    def is_group(self):
        return self.kind == DirectoryObject.Kind.GROUP

    @property
    def domain_sid(self):
        return self.sid.rsplit("-", 1)[0] if self.sid.count("-") > 3 else ""


@dataclass(slots=True)
class SourceInfo:
    """A directory source: its names, and how fresh its data is."""

    pk: int
    name: str
    base_dn: str
    dns_domain: str
    netbios_name: str
    domain_sid: str
    staleness_limit_hours: int
    last_success_at: object

    @property
    def domain_names(self):
        """Lower-case names by which ``DOMAIN\\name`` may qualify an account."""
        names = {self.netbios_name.casefold(), self.name.casefold()}
        dns = self.dns_domain_name
        if dns:
            names |= {dns, dns.split(".")[0]}
        return {name for name in names if name}

    @property
    def dns_domain_name(self):
        """The source's DNS domain, or one derived from its base DN's DC parts."""
        if self.dns_domain:
            return self.dns_domain.casefold().rstrip(".")
        parts = [
            part.split("=", 1)[1].strip()
            for part in self.base_dn.split(",")
            if part.strip().lower().startswith("dc=")
        ]
        return ".".join(parts).casefold()

    def age_hours(self, now):
        if self.last_success_at is None:
            return None
        return (now - self.last_success_at).total_seconds() / 3600

    def is_stale(self, now):
        age = self.age_hours(now)
        return age is None or age > self.staleness_limit_hours


@dataclass(frozen=True)
class ListeningInfo:
    """A program on a server and the ports it listens on."""

    program_path: str
    protocol: str
    ports: object


@dataclass(frozen=True)
class RequirementInfo:
    """An access requirement: the service it guards and the groups it accepts."""

    requirement: object
    protocol: str
    ports: object
    groups: tuple


@dataclass(frozen=True)
class IPsecInfo:
    """An enabled IPsec policy for a server, with the clients it covers."""

    policy: object
    scope: object
    scope_error: str
    clients: tuple


@dataclass
class ServerInfo:
    """A server with its effective configuration and recorded facts."""

    server: object
    config: object
    interfaces: list
    listening: list
    requirements: list
    ipsec: list
    policy_settings: list = field(default_factory=list)

    @property
    def era(self):
        return self.server.era


@dataclass
class Snapshot:
    """The directory and the policies at one moment, indexed for lookups."""

    version: tuple
    taken_at: object
    accounts: dict
    sources: dict
    graph: MembershipGraph
    servers: dict
    by_sid: dict = field(default_factory=dict)
    by_name: dict = field(default_factory=dict)
    by_dns: dict = field(default_factory=dict)
    by_upn: dict = field(default_factory=dict)
    servers_by_name: dict = field(default_factory=dict)
    _scopes: dict = field(default_factory=dict)
    _ports: dict = field(default_factory=dict)

    def index(self):
        """Build the lookup indexes (called once after loading)."""
        self.by_sid = defaultdict(list)
        self.by_name = defaultdict(list)
        self.by_dns = defaultdict(list)
        self.by_upn = defaultdict(list)
        for account in self.accounts.values():
            if account.sid:
                self.by_sid[account.sid].append(account.pk)
            self.by_name[(account.kind, account.lookup_name)].append(account.pk)
            if account.dns_host_name:
                key = account.dns_host_name.casefold().rstrip(".")
                self.by_dns[key].append(account.pk)
            if account.user_principal_name:
                self.by_upn[account.user_principal_name.casefold()].append(account.pk)
        self.servers_by_name = {}
        for info in self.servers.values():
            self.servers_by_name[info.server.name.casefold()] = info
            if info.server.fqdn:
                fqdn = info.server.fqdn.casefold().rstrip(".")
                self.servers_by_name.setdefault(fqdn, info)
        return self

    def live_by_sid(self, sid):
        """Accounts (not deleted) that hold a SID, in every source."""
        return [
            self.accounts[pk]
            for pk in self.by_sid.get(sid, ())
            if not self.accounts[pk].deleted
        ]

    def computers(self, *, include_deleted=False):
        return [
            account
            for account in self.accounts.values()
            if account.is_computer and (include_deleted or not account.deleted)
        ]

    def scope(self, text, era):
        """Parse a scope once per (text, era): (Scope, '') or (None, error)."""
        key = (text, era)
        if key not in self._scopes:
            try:
                self._scopes[key] = (parse_scope(text, era), "")
            except ScopeError as error:
                self._scopes[key] = (None, str(error))
        return self._scopes[key]

    def ports(self, text, *, blank_means_every_port=False):
        """Parse a port specification once: (PortSet, '') or (None, error)."""
        key = (text, blank_means_every_port)
        if key not in self._ports:
            try:
                parsed = parse_ports(
                    text, blank_means_every_port=blank_means_every_port
                )
                self._ports[key] = (parsed, "")
            except PortSpecError as error:
                self._ports[key] = (None, str(error))
        return self._ports[key]


def _load_accounts():
    accounts = {}
    rows = DirectoryObject.objects.values_list(*_ACCOUNT_FIELDS)
    for row in rows.iterator(chunk_size=5000):
        values = dict(zip(_ACCOUNT_FIELDS, row, strict=True))
        values["deleted"] = values.pop("deleted_at") is not None
        values["addresses"] = tuple(values["addresses"] or ())
        values["warnings"] = tuple(values["warnings"] or ())
        accounts[values["pk"]] = Account(**values)
    return accounts


def _load_sources():
    return {
        source.pk: SourceInfo(
            pk=source.pk,
            name=source.name,
            base_dn=source.base_dn,
            dns_domain=source.dns_domain,
            netbios_name=source.netbios_name,
            domain_sid=source.domain_sid,
            staleness_limit_hours=source.staleness_limit_hours,
            last_success_at=source.last_success_at,
        )
        for source in DirectorySource.objects.all()
    }


def _load_servers(snapshot_ports):
    servers = list(policy_models.Server.objects.all())
    applying = policies_by_server(servers)
    policies = {p.pk: p for found in applying.values() for p in found}
    loaded = load_policy_settings(policies.values())
    settings = {
        server.pk: [loaded[p.pk] for p in applying[server.pk]] for server in servers
    }
    interfaces = defaultdict(list)
    for address in policy_models.ServerAddress.objects.order_by("pk"):
        interfaces[address.server_id].append(
            IPNetwork(f"{address.address}/{address.prefix_length}")
        )
    listening = defaultdict(list)
    for program in policy_models.ListeningProgram.objects.order_by("pk"):
        ports, _ = snapshot_ports(program.ports)
        listening[program.server_id].append(
            ListeningInfo(program.program_path, program.protocol, ports)
        )
    requirements = _load_requirements(snapshot_ports)
    ipsec = _load_ipsec()
    return {
        server.pk: ServerInfo(
            server=server,
            config=resolve(server, settings[server.pk]),
            interfaces=interfaces[server.pk],
            listening=listening[server.pk],
            requirements=requirements[server.pk],
            ipsec=ipsec[server.pk],
            policy_settings=settings[server.pk],
        )
        for server in servers
    }


def _load_requirements(snapshot_ports):
    groups = defaultdict(list)
    for group in policy_models.AccessRequirementGroup.objects.order_by("pk"):
        groups[group.requirement_id].append(group)
    requirements = defaultdict(list)
    for requirement in policy_models.AccessRequirement.objects.order_by("pk"):
        ports = None
        if requirement.ports.strip():
            ports, _ = snapshot_ports(requirement.ports)
        requirements[requirement.server_id].append(
            RequirementInfo(
                requirement=requirement,
                protocol=requirement.protocol,
                ports=ports,
                groups=tuple(groups[requirement.pk]),
            )
        )
    return requirements


def _load_ipsec():
    clients = defaultdict(list)
    for client in policy_models.IPsecClient.objects.order_by("pk"):
        clients[client.policy_id].append(client)
    policies = {
        policy.pk: policy
        for policy in policy_models.IPsecPolicy.objects.filter(enabled=True)
    }
    links = policy_models.IPsecPolicy.servers.through.objects.filter(
        ipsecpolicy_id__in=list(policies)
    ).values_list("server_id", "ipsecpolicy_id")
    by_server = defaultdict(list)
    for server_id, policy_id in links:
        policy = policies[policy_id]
        scope, error = None, ""
        if policy.client_addresses.strip():
            try:
                scope = parse_scope(policy.client_addresses, policy_models.Era.ADVANCED)
            except ScopeError as exc:
                error = str(exc)
        by_server[server_id].append(
            IPsecInfo(policy, scope, error, tuple(clients[policy_id]))
        )
    for infos in by_server.values():
        infos.sort(key=lambda info: info.policy.name)
    return by_server


def load_snapshot(version=None):
    """Read the directory and the policies into a new Snapshot."""
    version = version if version is not None else snapshot_version()
    snapshot = Snapshot(
        version=version,
        taken_at=timezone.now(),
        accounts=_load_accounts(),
        sources=_load_sources(),
        graph=MembershipGraph.load(),
        servers={},
    )
    snapshot.servers = _load_servers(snapshot.ports)
    snapshot.index()
    logger.info(
        "Loaded what-if snapshot: %d accounts, %d servers",
        len(snapshot.accounts),
        len(snapshot.servers),
    )
    return snapshot


_POLICY_TABLES = (
    policy_models.Server,
    policy_models.ServerAddress,
    policy_models.ListeningProgram,
    policy_models.Policy,
    policy_models.FirewallRule,
    policy_models.BypassRule,
    policy_models.BypassEntry,
    policy_models.AuthorizationEntry,
    policy_models.IPsecPolicy,
    policy_models.IPsecClient,
    policy_models.AccessRequirement,
    policy_models.AccessRequirementGroup,
)


def _scalar(expression, model, where=""):
    """A scalar subquery over a model's table.

    Every piece comes from the models' own table and column names, quoted by
    the database backend; nothing from outside reaches this SQL.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    return f"(SELECT {expression} FROM {table}{where})"  # noqa: S608


def _column(model, name=None):
    field = model._meta.pk if name is None else model._meta.get_field(name)
    return connection.ops.quote_name(field.column)


def _version_sql(log_content_types):
    """One SELECT of highest ids, counts and last run times (one round trip)."""
    types = ",".join(str(int(pk)) for pk in log_content_types) or "0"
    log_filter = f" WHERE {_column(LogEntry, 'content_type')} IN ({types})"
    parts = [
        _scalar(f"MAX({_column(DirectoryObject)})", DirectoryObject),
        _scalar(f"MAX({_column(Membership)})", Membership),
        _scalar(f"MAX({_column(SyncRun)})", SyncRun),
        _scalar(f"MAX({_column(SyncRun, 'finished_at')})", SyncRun),
        _scalar("COUNT(*)", DirectorySource),
        _scalar(f"MAX({_column(DirectorySource, 'updated_at')})", DirectorySource),
        _scalar(f"MAX({_column(DirectorySource, 'last_success_at')})", DirectorySource),
        _scalar(f"MAX({_column(LogEntry)})", LogEntry, log_filter),
    ]
    for model in _POLICY_TABLES:
        parts += [_scalar("COUNT(*)", model), _scalar(f"MAX({_column(model)})", model)]
    return "SELECT " + ", ".join(parts)


def snapshot_version():
    """Return a token that changes whenever anything the evaluator reads changes.

    The directory changes through sync runs and imports (the runs, the
    sources' timestamps, the highest object and membership ids); the policies
    through edits that the change log (django-auditlog) records, and the row
    counts and highest ids of their tables catch the rest. One query of index
    lookups and small counts: this runs on every what-if request.
    """
    content_types = ContentType.objects.get_for_models(*_POLICY_TABLES).values()
    with connection.cursor() as cursor:
        cursor.execute(_version_sql(sorted(ct.pk for ct in content_types)))
        return tuple(cursor.fetchone())


_lock = threading.Lock()
_cache = {"snapshot": None}


def current_snapshot():
    """Return the cached snapshot, reloading it when the stored data changed."""
    version = snapshot_version()
    with _lock:
        cached = _cache["snapshot"]
        if cached is None or cached.version != version:
            cached = load_snapshot(version)
            _cache["snapshot"] = cached
        return cached


def forget_snapshot():
    """Drop the cached snapshot (the next call reloads)."""
    with _lock:
        _cache["snapshot"] = None
