"""A small LDIF loader for the field cases, used until the sync engine's
``directory.services.ldif_import`` is available.

It stores what a good sync stores for the cases' inputs: objects keyed by
GUID (little-endian objectGUID, or one derived from the DN when the file
leaves it out), SIDs, enabled state from bit 0x2, tombstones as deleted,
``member`` and ``member;range=lo-hi`` values (a range not ending in ``*``
marks the group incomplete), primaryGroupID links, foreign security
principals by SID, dangling members as unresolved and members outside the
computer base as out of scope. Each call is one successful run.
"""

import uuid

import ldap.dn
import ldif
from django.utils import timezone
from ldap3.protocol.formatters.formatters import format_sid

from directory.models import DirectoryObject, DirectorySource, Membership, SyncRun

FSP_CONTAINER = "cn=foreignsecurityprincipals"


def dn_key(dn):
    """The DN parsed, case-folded and written back with canonical escaping."""
    return ldap.dn.dn2str(
        [
            [
                (attribute.casefold(), value.casefold(), flags)
                for attribute, value, flags in rdn
            ]
            for rdn in ldap.dn.str2dn(dn)
        ]
    )


def _text(entry, name):
    for key, values in entry.items():
        if key.lower() == name.lower() and values:
            return values[0].decode("utf-8")
    return ""


def _classes(entry):
    return {value.decode().lower() for value in entry.get("objectClass", [])}


def _kind(entry):
    classes = _classes(entry)
    if "foreignsecurityprincipal" in classes:
        return "fsp"
    if "computer" in classes:
        return DirectoryObject.Kind.COMPUTER
    if "group" in classes or "groupofnames" in classes:
        return DirectoryObject.Kind.GROUP
    if classes & {"user", "person", "inetorgperson"}:
        return DirectoryObject.Kind.USER
    if _text(entry, "sAMAccountName").endswith("$"):
        return DirectoryObject.Kind.COMPUTER
    if "member" in {key.split(";")[0].lower() for key in entry}:
        return DirectoryObject.Kind.GROUP
    return DirectoryObject.Kind.USER


def _members(entry):
    """Return (member DNs, complete?, warning)."""
    members = []
    complete = True
    warning = ""
    for key, values in entry.items():
        base, _, option = key.partition(";")
        if base.lower() != "member":
            continue
        members += [value.decode("utf-8") for value in values]
        if option.lower().startswith("range="):
            upper = option.split("-")[-1]
            if upper != "*":
                complete = False
                warning = f"{key} ends at {upper}, not *: the member list is truncated"
    return members, complete, warning


def _guid(entry, dn):
    raw = entry.get("objectGUID")
    if raw:
        return str(uuid.UUID(bytes_le=raw[0]))
    uuid_text = _text(entry, "entryUUID")
    if uuid_text:
        return uuid_text
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "ldap:" + dn_key(dn)))


def _rdn_value(dn):
    return ldap.dn.str2dn(dn)[0][0][1]


def load_ldif(path, *, source_name, base_dn, computer_base="", domain_sid=""):
    """Import one LDIF file as a successful run of the named source."""
    with open(path, "rb") as handle:
        records = ldif.LDIFRecordList(handle)
        records.parse()

    dns_domain = ".".join(
        rdn[0][1] for rdn in ldap.dn.str2dn(base_dn) if rdn[0][0].lower() == "dc"
    ).lower()
    source, _ = DirectorySource.objects.get_or_create(
        name=source_name,
        defaults={
            "kind": DirectorySource.Kind.LDIF,
            "base_dn": base_dn,
            "computer_base": computer_base,
            "dns_domain": dns_domain,
            "netbios_name": dns_domain.split(".")[0].upper(),
            "domain_sid": domain_sid,
        },
    )
    now = timezone.now()
    entries = [(dn, entry) for dn, entry in records.all_records if dn]
    seen_guids = set()
    fsp_sids = {}
    group_members = {}
    primary = []
    by_key = {}

    for dn, entry in entries:
        kind = _kind(entry)
        sid = format_sid(entry["objectSid"][0]) if entry.get("objectSid") else ""
        if kind == "fsp":
            fsp_sids[dn_key(dn)] = sid or _rdn_value(dn)
            continue
        deleted = _text(entry, "isDeleted").upper() == "TRUE"
        name = _rdn_value(dn).split("\n")[0]
        sam = _text(entry, "sAMAccountName")
        uac_text = _text(entry, "userAccountControl")
        uac = int(uac_text) if uac_text else None
        members, complete, warning = _members(entry)
        key = dn_key(dn)
        in_scope = True
        if kind == DirectoryObject.Kind.COMPUTER and computer_base:
            in_scope = key.endswith(dn_key(computer_base))
        guid = _guid(entry, dn)
        seen_guids.add(guid)
        obj, _ = DirectoryObject.objects.update_or_create(
            source=source,
            guid=guid,
            defaults={
                "kind": kind,
                "sid": sid,
                "dn": dn,
                "dn_key": key,
                "name": name,
                "sam_account_name": sam,
                "lookup_name": (sam or name).removesuffix("$").casefold(),
                "enabled": uac is None or not uac & 0x2,
                "user_account_control": uac,
                "primary_group_id": int(_text(entry, "primaryGroupID") or 0) or None,
                "dns_host_name": _text(entry, "dNSHostName"),
                "operating_system": _text(entry, "operatingSystem"),
                "user_principal_name": _text(entry, "userPrincipalName"),
                "members_complete": complete,
                "warnings": [warning] if warning else [],
                "in_scope": in_scope,
                "deleted_at": now if deleted else None,
                "last_seen_at": now,
            },
        )
        if not deleted:
            by_key[key] = obj
        if kind == DirectoryObject.Kind.GROUP:
            group_members[obj] = members
        if obj.primary_group_id and not deleted:
            primary.append(obj)

    DirectoryObject.objects.filter(source=source).exclude(guid__in=seen_guids).update(
        deleted_at=now
    )
    Membership.objects.filter(group__source=source).delete()
    for group, members in group_members.items():
        for member_dn in members:
            _store_member(group, member_dn, by_key, fsp_sids)
    _store_primary(source, primary)

    source.last_success_at = now
    source.save(update_fields=["last_success_at"])
    SyncRun.objects.create(
        source=source,
        trigger=SyncRun.Trigger.IMPORT,
        status=SyncRun.Status.SUCCEEDED,
        started_at=now,
        finished_at=now,
        progress=100,
    )
    return source


def _store_member(group, member_dn, by_key, fsp_sids):
    key = dn_key(member_dn)
    member = by_key.get(key)
    if member is not None:
        state = (
            Membership.State.RESOLVED
            if member.in_scope
            else Membership.State.OUT_OF_SCOPE
        )
        Membership.objects.get_or_create(
            group=group,
            member_key=key,
            via=Membership.Via.MEMBER,
            defaults={
                "member": member,
                "member_dn": member_dn,
                "member_sid": member.sid,
                "state": state,
            },
        )
        return
    if FSP_CONTAINER in key:
        sid = fsp_sids.get(key) or _rdn_value(member_dn)
        Membership.objects.get_or_create(
            group=group,
            member_key=sid,
            via=Membership.Via.MEMBER,
            defaults={
                "member_dn": member_dn,
                "member_sid": sid,
                "state": Membership.State.FOREIGN,
            },
        )
        return
    Membership.objects.get_or_create(
        group=group,
        member_key=key,
        via=Membership.Via.MEMBER,
        defaults={"member_dn": member_dn, "state": Membership.State.UNRESOLVED},
    )


def _store_primary(source, accounts):
    groups = {
        obj.sid: obj
        for obj in DirectoryObject.objects.filter(
            source=source, kind=DirectoryObject.Kind.GROUP, deleted_at__isnull=True
        ).exclude(sid="")
    }
    for account in accounts:
        domain = account.sid.rsplit("-", 1)[0] if account.sid else source.domain_sid
        group = groups.get(f"{domain}-{account.primary_group_id}")
        if group is None:
            continue
        Membership.objects.get_or_create(
            group=group,
            member_key=account.dn_key,
            via=Membership.Via.PRIMARY_GROUP,
            defaults={
                "member": account,
                "member_dn": account.dn,
                "member_sid": account.sid,
            },
        )
