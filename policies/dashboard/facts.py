"""What the dashboard reads from the directory, loaded once per page.

Every figure is computed from one ``DirectoryFacts``: the membership graph (the
cached one the evaluator uses), the live computer accounts with the few fields
the findings need, an index of their known addresses, and the accounts that
the policies name by SID. Loading takes a fixed number of queries whatever
the size of the directory.
"""

import bisect
import logging
from dataclasses import dataclass

from netaddr import AddrFormatError, IPAddress

from directory.graph import current_graph
from directory.models import DirectoryObject

logger = logging.getLogger(__name__)

COMPUTER = DirectoryObject.Kind.COMPUTER

# Operating systems that cannot authenticate a user at the IPsec layer: AuthIP
# arrived with Vista / Server 2008, so XP, Server 2003 and older only ever
# authenticate the machine.
NO_AUTHIP_MARKERS = ("windows xp", "server 2003", "windows 2000", "windows nt")


def lacks_authip(operating_system):
    """Whether a client with this operatingSystem value cannot do AuthIP."""
    text = (operating_system or "").casefold()
    return any(marker in text for marker in NO_AUTHIP_MARKERS)


@dataclass(frozen=True)
class ComputerFacts:
    """A live computer account, reduced to what the dashboard needs."""

    pk: int
    label: str
    enabled: bool
    last_logon: object
    operating_system: str


@dataclass(frozen=True)
class Principal:
    """A directory object a policy names by SID."""

    pk: int
    sid: str
    kind: str
    label: str
    deleted: bool


class AddressIndex:
    """Known client addresses, sorted, so that a subnet or range is a bisection.

    A machine counts as inside a set of addresses only when every address it
    has is inside: with one address in and one out, whether a scope admits it
    depends on which address it uses (the what-if calls that unknown).
    """

    def __init__(self, addresses_by_machine):
        entries = []
        self._address_count = {}
        for machine_id, addresses in addresses_by_machine:
            values = set()
            for text in addresses or ():
                try:
                    address = IPAddress(str(text))
                except (AddrFormatError, ValueError, TypeError):
                    logger.warning(
                        "Ignoring address %r of computer %s", text, machine_id
                    )
                    continue
                values.add((address.version, int(address)))
            for version, value in values:
                entries.append((version, value, machine_id))
            if values:
                self._address_count[machine_id] = len(values)
        entries.sort()
        self._keys = [(version, value) for version, value, _ in entries]
        self._machines = [machine_id for _, _, machine_id in entries]

    def __len__(self):
        return len(self._keys)

    def _positions(self, version, first, last):
        start = bisect.bisect_left(self._keys, (version, first))
        end = bisect.bisect_right(self._keys, (version, last))
        return range(start, end)

    def addresses_between(self, version, first, last):
        """Return (address value, machine id) pairs with an address in [first, last]."""
        return [
            (self._keys[index][1], self._machines[index])
            for index in self._positions(version, first, last)
        ]

    def machines_within(self, ranges):
        """Return the machines all of whose addresses lie in the (version, first,
        last) ranges."""
        hits = {}
        for version, first, last in ranges:
            for index in self._positions(version, first, last):
                hits.setdefault(self._machines[index], set()).add(index)
        return {
            machine_id
            for machine_id, positions in hits.items()
            if len(positions) == self._address_count[machine_id]
        }

    def machines_in(self, ipset):
        """Return the machines all of whose addresses are in a netaddr IPSet."""
        return self.machines_within(
            (item.version, item.first, item.last) for item in ipset.iter_ipranges()
        )

    def machines_on(self, networks):
        """Return the machines all of whose addresses are on the networks."""
        return self.machines_within(
            (network.version, network.first, network.last) for network in networks
        )


@dataclass
class DirectoryFacts:
    """The directory as the dashboard sees it for one page."""

    graph: object
    computers: dict
    group_labels: dict
    addresses: AddressIndex
    principals: dict

    @property
    def enabled_computer_ids(self):
        return {pk for pk, facts in self.computers.items() if facts.enabled}

    def label(self, pk):
        """Return the display label of a live computer or group ('' if unknown)."""
        computer = self.computers.get(pk)
        if computer is not None:
            return computer.label
        return self.group_labels.get(pk, "")

    def labels_for(self, ids):
        """Return {pk: label} for objects, reading those not loaded (users, deleted)."""
        labels = {pk: self.label(pk) for pk in ids}
        missing = [pk for pk, label in labels.items() if not label]
        labels.update(object_labels(missing))
        return labels

    def principal(self, sid):
        """Return the live (or, failing that, deleted) object with this SID."""
        return self.principals.get(sid)

    def __post_init__(self):
        self._members = {}

    def members(self, group_id):
        """Return {member id: Chain} of the group at any depth (cached)."""
        if group_id not in self._members:
            self._members[group_id] = self.graph.members_of(group_id)
        return self._members[group_id]

    def accounts_in(self, group_id):
        """Return the ids of accounts (not nested groups) in the group, at any depth."""
        return {pk for pk in self.members(group_id) if pk not in self.graph.group_ids}

    def computers_in(self, principal):
        """Return the live computers a listed principal stands for."""
        if principal is None or principal.deleted:
            return set()
        if principal.kind == COMPUTER:
            return {principal.pk} & self.computers.keys()
        if principal.kind != DirectoryObject.Kind.GROUP:
            return set()
        return self.members(principal.pk).keys() & self.computers.keys()


def load_directory_facts(sids):
    """Load the graph, the live computers and the objects named by these SIDs."""
    graph = current_graph()

    computers = {}
    addresses = []
    rows = DirectoryObject.objects.filter(
        kind=COMPUTER, deleted_at__isnull=True
    ).values_list(
        "pk",
        "name",
        "sam_account_name",
        "enabled",
        "last_logon",
        "operating_system",
        "addresses",
    )
    for pk, name, sam_account_name, enabled, last_logon, system, known in rows:
        label = sam_account_name.removesuffix("$") or name
        computers[pk] = ComputerFacts(pk, label, enabled, last_logon, system)
        if known:
            addresses.append((pk, known))

    groups = DirectoryObject.objects.filter(
        kind=DirectoryObject.Kind.GROUP, deleted_at__isnull=True
    ).values_list("pk", "name", "sam_account_name")
    return DirectoryFacts(
        graph=graph,
        computers=computers,
        group_labels={pk: sam or name for pk, name, sam in groups},
        addresses=AddressIndex(addresses),
        principals=load_principals(sids),
    )


def display_label(kind, name, sam_account_name):
    """Return how the console names an account: sAMAccountName without $, or RDN."""
    if kind == COMPUTER:
        return sam_account_name.removesuffix("$") or name
    return sam_account_name or name


# Above this many ids one query reads every object instead of passing the ids
# as parameters (SQLite caps the number of parameters of one statement).
LABELS_BY_ID_LIMIT = 5000


def object_labels(ids):
    """Return {pk: label} for the given directory objects (one query)."""
    ids = set(ids)
    if not ids:
        return {}
    rows = DirectoryObject.objects.all()
    if len(ids) <= LABELS_BY_ID_LIMIT:
        rows = rows.filter(pk__in=list(ids))
    rows = rows.values_list("pk", "kind", "name", "sam_account_name")
    return {
        pk: display_label(kind, name, sam)
        for pk, kind, name, sam in rows.iterator(chunk_size=5000)
        if pk in ids
    }


def load_principals(sids):
    """Return {sid: Principal}, preferring a live object over a deleted one."""
    principals = {}
    rows = (
        DirectoryObject.objects.filter(sid__in=set(sids))
        .order_by("pk")
        .values_list("pk", "sid", "kind", "name", "sam_account_name", "deleted_at")
    )
    for pk, sid, kind, name, sam_account_name, deleted_at in rows:
        if sid in principals and not principals[sid].deleted:
            continue
        principals[sid] = Principal(
            pk=pk,
            sid=sid,
            kind=kind,
            label=display_label(kind, name, sam_account_name),
            deleted=deleted_at is not None,
        )
    return principals
