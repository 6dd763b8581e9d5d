"""From entries to the complete picture a sync applies: objects and edges.

The objects found by the source's searches are *in scope*. Every member a
group lists is then looked up: a member outside the searched bases is read
on its own (a base-scope search, or the LDIF file's index) and kept with
``in_scope=False``, and if it is a group its members are followed in turn,
so that a chain through a group outside the group base still counts (FC-04).
Foreign security principals become ``foreign`` edges carrying the SID; a
member that names nothing is kept as ``unresolved`` (FC-10). Primary groups
become ``primary`` edges: the group whose SID is the member's domain SID plus
``-<primaryGroupID>`` (FC-03).
"""

import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from directory.ldap import values
from directory.ldap.dn import InvalidDN, dn_key, parse_dn
from directory.ldap.schema import FOREIGN, GROUP, classify
from directory.sync.records import object_record

logger = logging.getLogger(__name__)

RESOLVED = "resolved"
OUT_OF_SCOPE = "out_of_scope"
FOREIGN_STATE = "foreign"
UNRESOLVED = "unresolved"
VIA_MEMBER = "member"
VIA_PRIMARY = "primary"

_SID = re.compile(r"^S-1-\d+(-\d+)+$", re.IGNORECASE)
_LOOKUP_BATCH = 200


@dataclass(slots=True)
class EdgeRecord:
    """A direct member of a group as the directory states it."""

    group_guid: str
    member_key: str
    via: str
    state: str
    member_guid: str | None = None
    member_dn: str = ""
    member_sid: str = ""


@dataclass
class Snapshot:
    """Everything one read of a source found, ready to be compared and applied."""

    records: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    domain_sid: str = ""
    dns_domain: str = ""
    netbios_name: str = ""

    @property
    def in_scope_count(self):
        return sum(1 for record in self.records.values() if record.in_scope)


def foreign_sid(dn):
    """Return the SID of a ``CN=<SID>,CN=ForeignSecurityPrincipals,...`` DN."""
    try:
        rdns = parse_dn(dn)
    except InvalidDN:
        return None
    if len(rdns) < 2:
        return None
    (first_type, first_value), *_ = rdns[0]
    (second_type, second_value), *_ = rdns[1]
    if (
        first_type.lower() == "cn"
        and _SID.match(first_value)
        and second_type.lower() == "cn"
        and second_value.lower() == "foreignsecurityprincipals"
    ):
        return first_value.upper()
    return None


class Collector:
    """Builds a Snapshot from an entry source (LDAP reader or LDIF file)."""

    def __init__(self, entry_source, *, dns_domain=""):
        self.entry_source = entry_source
        self.dns_domain = dns_domain
        self.snapshot = Snapshot(dns_domain=dns_domain)
        self.by_key = {}
        self.foreign_by_key = {}
        self.missing = {}

    def collect(self):
        """Read the source and return the Snapshot."""
        for kind, entry in self.entry_source.scoped_entries():
            self._add_entry(entry, kind, in_scope=True)
        self._follow_members()
        self._build_edges()
        return self.snapshot

    def _add_entry(self, entry, searched_kind, *, in_scope):
        kind = classify(entry)
        counts = self.snapshot.counts
        if kind is None:
            counts["skipped"] += 1
            return None
        if kind == FOREIGN:
            raw_sid = entry.first("objectsid")
            sid = values.sid_text(raw_sid) if raw_sid else foreign_sid(entry.dn)
            self.foreign_by_key[dn_key(entry.dn)] = (sid or "", entry.dn)
            return None
        if searched_kind and kind != searched_kind and in_scope:
            counts["kind_mismatch"] += 1
        record = object_record(
            entry, kind, in_scope=in_scope, dns_domain=self.dns_domain
        )
        existing = self.snapshot.records.get(record.guid)
        if existing is not None:
            # The same object found by two searches (an admin's filters overlap).
            return existing
        self.snapshot.records[record.guid] = record
        self.by_key[record.dn_key] = record
        return record

    def _follow_members(self):
        looked_up = set()
        pending = self._unknown_members(
            record for record in self.snapshot.records.values() if record.kind == GROUP
        )
        while pending:
            batch = [dn for key, dn in pending.items() if key not in looked_up]
            if not batch:
                break
            looked_up.update(pending)
            found_groups = []
            for start in range(0, len(batch), _LOOKUP_BATCH):
                chunk = batch[start : start + _LOOKUP_BATCH]
                for dn, entry in self.entry_source.lookup(chunk).items():
                    if entry is None:
                        self.missing[dn_key(dn)] = dn
                        continue
                    record = self._add_entry(entry, None, in_scope=False)
                    if record is None:
                        if dn_key(dn) not in self.foreign_by_key:
                            self.missing[dn_key(dn)] = dn
                        continue
                    # The lookup may have returned the entry under its own spelling.
                    self.by_key.setdefault(dn_key(dn), record)
                    if record.kind == GROUP:
                        found_groups.append(record)
            pending = self._unknown_members(found_groups)

    def _unknown_members(self, groups):
        unknown = {}
        for group in groups:
            for member_dn in group.members:
                try:
                    key = dn_key(member_dn)
                except InvalidDN:
                    continue
                if key in self.by_key or key in self.foreign_by_key:
                    continue
                if foreign_sid(member_dn):
                    continue
                unknown[key] = member_dn
        return unknown

    def _build_edges(self):
        snapshot = self.snapshot
        counts = snapshot.counts
        groups_by_sid = {}
        for record in snapshot.records.values():
            if record.kind == GROUP and record.sid:
                groups_by_sid[record.sid.upper()] = record
        for group in list(snapshot.records.values()):
            if group.kind == GROUP:
                self._member_edges(group)
        for record in snapshot.records.values():
            if record.primary_group_id is None or not record.sid:
                continue
            group_sid = (
                f"{values.sid_domain(record.sid)}-{record.primary_group_id}".upper()
            )
            group = groups_by_sid.get(group_sid)
            if group is None:
                counts["primary_group_not_read"] += 1
                continue
            snapshot.edges.append(
                EdgeRecord(
                    group_guid=group.guid,
                    member_key=record.dn_key,
                    via=VIA_PRIMARY,
                    state=RESOLVED if record.in_scope else OUT_OF_SCOPE,
                    member_guid=record.guid,
                    member_dn=record.dn,
                    member_sid=record.sid,
                )
            )
        for edge in snapshot.edges:
            counts[f"edges_{edge.state}"] += 1
        if counts["primary_group_not_read"]:
            logger.info(
                "%d accounts have a primary group outside the synced groups",
                counts["primary_group_not_read"],
            )

    def _member_edges(self, group):
        snapshot = self.snapshot
        seen = set()
        for member_dn in group.members:
            try:
                key = dn_key(member_dn)
            except InvalidDN as exc:
                snapshot.warnings.append(f"{group.dn}: member value is not a DN: {exc}")
                continue
            record = self.by_key.get(key)
            if record is not None:
                edge_key = record.dn_key
            else:
                edge_key = key
            if edge_key in seen:
                continue
            seen.add(edge_key)
            if record is not None:
                edge = EdgeRecord(
                    group_guid=group.guid,
                    member_key=record.dn_key,
                    via=VIA_MEMBER,
                    state=RESOLVED if record.in_scope else OUT_OF_SCOPE,
                    member_guid=record.guid,
                    member_dn=record.dn,
                    member_sid=record.sid,
                )
            elif key in self.foreign_by_key or foreign_sid(member_dn):
                sid = self.foreign_by_key.get(key, ("", ""))[0] or foreign_sid(
                    member_dn
                )
                edge = EdgeRecord(
                    group_guid=group.guid,
                    member_key=key,
                    via=VIA_MEMBER,
                    state=FOREIGN_STATE,
                    member_dn=member_dn,
                    member_sid=sid or "",
                )
            else:
                edge = EdgeRecord(
                    group_guid=group.guid,
                    member_key=key,
                    via=VIA_MEMBER,
                    state=UNRESOLVED,
                    member_dn=member_dn,
                )
            snapshot.edges.append(edge)
