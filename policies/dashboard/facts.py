"""What the dashboard reads from the directory, taken from the what-if snapshot.

The what-if evaluator keeps one in-memory snapshot of the directory and the
policies per process (policies.evaluator.snapshot), reloaded only when the
stored data changes. The dashboard builds its ``DirectoryFacts`` from that
same snapshot, adding only what the evaluator does not need: the computers'
last logon. Every account (users and deleted objects included) is in the
snapshot, so naming the accounts of a list page reads nothing more.
"""

import bisect
import functools
import logging
import socket
from collections import Counter
from dataclasses import dataclass, field

from directory.models import DirectoryObject

logger = logging.getLogger(__name__)

COMPUTER = DirectoryObject.Kind.COMPUTER
GROUP = DirectoryObject.Kind.GROUP

# Operating systems that cannot authenticate a user at the IPsec layer: AuthIP
# arrived with Vista / Server 2008, so XP, Server 2003 and older only ever
# authenticate the machine.
NO_AUTHIP_MARKERS = ("windows xp", "server 2003", "windows 2000", "windows nt")


@functools.cache
def lacks_authip(operating_system):
    """Whether a client with this operatingSystem value cannot do AuthIP."""
    text = (operating_system or "").casefold()
    return any(marker in text for marker in NO_AUTHIP_MARKERS)


@dataclass(frozen=True)
class ComputerFacts:
    """A live computer account, reduced to what the dashboard needs.

    ``inactive``: its last logon lies before the inactivity limit (an account
    with no recorded last logon is not called inactive).
    """

    pk: int
    label: str
    enabled: bool
    inactive: bool
    operating_system: str


@dataclass(frozen=True)
class Principal:
    """A directory object a policy names by SID."""

    pk: int
    sid: str
    kind: str
    label: str
    deleted: bool


def parse_address(text):
    """Return (IP version, integer value) of an address, or None if it is none.

    The C parser of the socket module reads tens of thousands of addresses in
    a fraction of the time ipaddress or netaddr take.
    """
    text = str(text).strip()
    for family, version in ((socket.AF_INET, 4), (socket.AF_INET6, 6)):
        try:
            return version, int.from_bytes(socket.inet_pton(family, text), "big")
        except OSError:
            continue
    return None


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
                parsed = parse_address(text)
                if parsed is None:
                    logger.warning(
                        "Ignoring address %r of computer %s", text, machine_id
                    )
                    continue
                values.add(parsed)
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
        positions = set()
        for version, first, last in ranges:
            positions.update(self._positions(version, first, last))
        hits = Counter(self._machines[index] for index in positions)
        return {
            machine_id
            for machine_id, count in hits.items()
            if count == self._address_count[machine_id]
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
    """The directory as the dashboard sees it: the snapshot plus last logons."""

    snapshot: object
    computers: dict
    addresses: AddressIndex
    _members: dict = field(default_factory=dict)
    _nested: dict = field(default_factory=dict)
    _principals: dict = field(default_factory=dict)

    @property
    def graph(self):
        return self.snapshot.graph

    @property
    def accounts(self):
        return self.snapshot.accounts

    @property
    def enabled_computer_ids(self):
        return {pk for pk, facts in self.computers.items() if facts.enabled}

    def label(self, pk):
        """Return the display label of any directory object ('' if unknown)."""
        account = self.accounts.get(pk)
        return account.label if account is not None else ""

    def labels_for(self, ids):
        """Return {pk: label} for directory objects."""
        return {pk: self.label(pk) for pk in ids}

    def principal(self, sid):
        """Return the live (or, failing that, deleted) object with this SID."""
        if sid not in self._principals:
            found = None
            for pk in sorted(self.snapshot.by_sid.get(sid, ())):
                account = self.accounts[pk]
                if found is None or (found.deleted and not account.deleted):
                    found = Principal(
                        pk=account.pk,
                        sid=sid,
                        kind=account.kind,
                        label=account.label,
                        deleted=account.deleted,
                    )
            self._principals[sid] = found
        return self._principals[sid]

    def member_ids(self, group_id):
        """Return the ids of the group's members at any depth (cached)."""
        if group_id not in self._members:
            self._members[group_id] = frozenset(self.graph.member_ids(group_id))
        return self._members[group_id]

    def nested_group_ids(self, group_id):
        """Return the group and the groups nested in it at any depth (cached)."""
        if group_id not in self._nested:
            self._nested[group_id] = frozenset(self.graph.nested_group_ids(group_id))
        return self._nested[group_id]

    def chain(self, member_id, group_id):
        """Return how a member reaches a group (a Chain), or None."""
        return self.graph.chain_to(member_id, group_id)

    def accounts_in(self, group_id):
        """Return the ids of accounts (not nested groups) in the group, at any depth."""
        return self.member_ids(group_id) - self.graph.group_ids

    def computers_in(self, principal):
        """Return the live computers a listed principal stands for."""
        if principal is None or principal.deleted:
            return set()
        if principal.kind == COMPUTER:
            return {principal.pk} & self.computers.keys()
        # A distribution group is in no Kerberos token: listed, it admits no one.
        if principal.kind != GROUP or principal.pk in self.graph.distribution_group_ids:
            return set()
        return self.member_ids(principal.pk) & self.computers.keys()


def directory_facts(snapshot, inactive_before):
    """Build the dashboard's facts from a what-if snapshot (one query).

    Only the ids of computers whose last logon lies before ``inactive_before``
    are read: the findings need no more, and reading every computer's logon
    time would cost more than all the rest.
    """
    inactive = set(
        DirectoryObject.objects.filter(
            kind=COMPUTER, deleted_at__isnull=True, last_logon__lt=inactive_before
        ).values_list("pk", flat=True)
    )
    computers = {}
    addresses = []
    for account in snapshot.accounts.values():
        if not account.is_computer or account.deleted:
            continue
        computers[account.pk] = ComputerFacts(
            pk=account.pk,
            label=account.label,
            enabled=account.enabled,
            inactive=account.pk in inactive,
            operating_system=account.operating_system,
        )
        if account.addresses:
            addresses.append((account.pk, account.addresses))
    return DirectoryFacts(
        snapshot=snapshot, computers=computers, addresses=AddressIndex(addresses)
    )
