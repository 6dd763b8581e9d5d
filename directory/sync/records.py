"""Directory entries turned into records shaped like DirectoryObject rows.

An entry from the LDAP reader and an entry from an LDIF file go through the
same ``object_record``: identity, names, account state, group type and the
group's member DNs (with ranged ``member;range=lo-hi`` chunks put together).
"""

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from directory.ldap import values
from directory.ldap.dn import dn_key, rdn_value
from directory.ldap.schema import COMPUTER, GROUP

ACCOUNT_DISABLE = 0x2

GROUP_TYPE_BUILTIN = 0x1
GROUP_TYPE_GLOBAL = 0x2
GROUP_TYPE_DOMAIN_LOCAL = 0x4
GROUP_TYPE_UNIVERSAL = 0x8
GROUP_TYPE_SECURITY = 0x80000000

_RANGE = re.compile(r"^member;range=(\d+)-(\d+|\*)$")
# groupOfUniqueNames values may carry an optional unique identifier: DN#'0101'B
_UNIQUE_SUFFIX = re.compile(r"#'[01]*'B$")

# Fields compared between a record and its stored row; a difference is an update.
COMPARED_FIELDS = (
    "kind",
    "sid",
    "dn",
    "dn_key",
    "name",
    "sam_account_name",
    "lookup_name",
    "display_name",
    "description",
    "enabled",
    "user_account_control",
    "primary_group_id",
    "when_changed",
    "in_scope",
    "dns_host_name",
    "operating_system",
    "operating_system_version",
    "last_logon",
    "addresses",
    "user_principal_name",
    "group_type",
    "group_scope",
    "is_security",
    "members_complete",
    "warnings",
)


@dataclass(slots=True)
class ObjectRecord:
    """What the directory says about one computer, user or group."""

    kind: str
    guid: str
    dn: str
    dn_key: str
    name: str
    sid: str = ""
    sam_account_name: str = ""
    lookup_name: str = ""
    display_name: str = ""
    description: str = ""
    enabled: bool = True
    user_account_control: int | None = None
    primary_group_id: int | None = None
    when_changed: datetime | None = None
    in_scope: bool = True
    dns_host_name: str = ""
    operating_system: str = ""
    operating_system_version: str = ""
    last_logon: datetime | None = None
    addresses: list = field(default_factory=list)
    user_principal_name: str = ""
    group_type: int | None = None
    group_scope: str = ""
    is_security: bool = True
    members_complete: bool = True
    warnings: list = field(default_factory=list)
    members: list = field(default_factory=list)


def identity(entry, key):
    """Return the object's identity: objectGUID, entryUUID, or a stand-in.

    Exports made without objectGUID still need a key; the SID (stable across
    renames) comes next, and the DN last, with a warning that renames of such
    objects will look like new objects.
    """
    raw_guid = entry.first("objectguid")
    if raw_guid is not None:
        if len(raw_guid) == 16:
            return values.guid_text(raw_guid), None
        # Some exports write the GUID as text instead of 16 bytes, in braces,
        # upper case or without hyphens: one canonical form, or a later
        # binary read would look like a new object.
        written = raw_guid.decode("ascii", errors="replace").strip()
        try:
            return str(uuid.UUID(written)), None
        except ValueError:
            return written.lower(), None
    entry_uuid = entry.first("entryuuid")
    if entry_uuid is not None:
        return entry_uuid.decode("ascii", errors="replace").strip(), None
    raw_sid = entry.first("objectsid")
    if raw_sid is not None:
        return "sid:" + values.sid_text(raw_sid), "no objectGUID: identified by SID"
    digest = hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()
    return (
        "dn:" + digest,
        "no objectGUID or SID: identified by DN, a rename will look new",
    )


def group_scope(group_type):
    if group_type is None:
        return ""
    if group_type & GROUP_TYPE_BUILTIN:
        return "builtin"
    if group_type & GROUP_TYPE_GLOBAL:
        return "global"
    if group_type & GROUP_TYPE_DOMAIN_LOCAL:
        return "domain_local"
    if group_type & GROUP_TYPE_UNIVERSAL:
        return "universal"
    return ""


def member_values(entry):
    """Return (member DNs, complete, warnings) of a group entry.

    Ranged chunks (``member;range=0-1499``) are joined in order. The list is
    complete only when the chunks start at 0, follow each other and the last
    one ends in ``*``; an export that stopped at the first chunk keeps the
    members it has and says which chunk it ended with.
    """
    members = list(entry.texts("member"))
    members.extend(
        _UNIQUE_SUFFIX.sub("", value) for value in entry.texts("uniquemember")
    )
    chunks = []
    for name in entry.attrs:
        match = _RANGE.match(name)
        if match:
            chunks.append((int(match.group(1)), match.group(2), name))
    if not chunks:
        return members, True, []
    chunks.sort()
    expected_low = 0
    complete = False
    last_name = chunks[-1][2]
    for low, high, name in chunks:
        if low != expected_low:
            break
        members.extend(entry.texts(name))
        if high == "*":
            complete = True
            break
        expected_low = int(high) + 1
    if complete:
        return members, True, []
    warning = (
        f"{entry.dn}: members given only as {last_name} (the upper bound is not '*'); "
        f"{len(members)} members kept, the rest were not in the source"
    )
    return members, False, [warning]


def object_record(entry, kind, *, in_scope=True, dns_domain=""):
    """Return the ObjectRecord of an entry already classified as ``kind``."""
    key = dn_key(entry.dn)
    guid, identity_warning = identity(entry, key)
    name = rdn_value(entry.dn)
    sam = entry.text("samaccountname")
    uid = entry.text("uid")
    lookup = sam or uid or entry.text("cn") or name
    if kind == COMPUTER:
        lookup = lookup.removesuffix("$")
    uac = entry.integer("useraccountcontrol")
    raw_sid = entry.first("objectsid")
    record = ObjectRecord(
        kind=kind,
        guid=guid,
        dn=entry.dn,
        dn_key=key,
        name=name,
        sid=values.sid_text(raw_sid) if raw_sid else "",
        sam_account_name=sam,
        lookup_name=lookup.casefold(),
        display_name=entry.text("displayname"),
        description=entry.text("description"),
        enabled=uac is None or not uac & ACCOUNT_DISABLE,
        user_account_control=uac,
        primary_group_id=entry.integer("primarygroupid"),
        when_changed=values.generalized_time(
            entry.first("whenchanged") or entry.first("modifytimestamp")
        ),
        in_scope=in_scope,
        user_principal_name=entry.text("userprincipalname") or entry.text("mail"),
    )
    if identity_warning:
        record.warnings.append(f"{name}: {identity_warning}")
    if kind == COMPUTER:
        _computer_fields(record, entry, dns_domain)
    elif kind == GROUP:
        _group_fields(record, entry)
    return record


def _computer_fields(record, entry, dns_domain):
    record.dns_host_name = entry.text("dnshostname").strip().rstrip(".").lower()
    record.operating_system = entry.text("operatingsystem")
    record.operating_system_version = entry.text("operatingsystemversion")
    record.last_logon = values.filetime(entry.first("lastlogontimestamp"))
    record.addresses = sorted(set(entry.texts("iphostnumber")))
    label = record.sam_account_name.removesuffix("$") or record.name
    if not record.dns_host_name:
        if record.sam_account_name:
            record.warnings.append(f"{label} has no dNSHostName")
        return
    host, _, suffix = record.dns_host_name.partition(".")
    if dns_domain and suffix and suffix != dns_domain:
        record.warnings.append(
            f"{label} dNSHostName suffix {suffix} differs from {dns_domain}"
        )
    if record.sam_account_name and host != label.lower():
        record.warnings.append(
            f"{label} dNSHostName {record.dns_host_name} names another host"
        )


def _group_fields(record, entry):
    group_type = entry.integer("grouptype")
    record.group_type = group_type
    record.group_scope = group_scope(group_type)
    record.is_security = group_type is None or bool(group_type & GROUP_TYPE_SECURITY)
    members, complete, warnings = member_values(entry)
    record.members = members
    record.members_complete = complete
    record.warnings.extend(warnings)
