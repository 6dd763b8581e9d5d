"""One sync: read everything, check the answer is believable, then apply.

Nothing is written before the whole directory has been read. A read that
fails half-way raises before any transaction starts, and an answer with far
fewer objects than the stored directory is refused, so the last good state
stays exactly as it was (FC-14).
"""

import logging
import socket
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from django.db import transaction
from django.utils import timezone

from directory.ldap import values
from directory.ldap.connection import open_connection
from directory.ldap.dn import dns_domain_of
from directory.ldap.errors import DirectoryAnswerRefused
from directory.ldap.reader import LdapEntrySource
from directory.ldif import LdifEntrySource
from directory.models import DirectoryObject, DirectorySource
from directory.sync.apply import Applier
from directory.sync.collect import Collector

logger = logging.getLogger(__name__)

_DNS_WORKERS = 16
_MAX_RUN_WARNINGS = 500


def read_ldap_snapshot(source, *, progress=None):
    """Read the source's directory over LDAP into a Snapshot."""
    connection = open_connection(source)
    try:
        reader = LdapEntrySource(
            source,
            connection,
            progress=progress,
            connect=lambda: open_connection(source),
        )
        domain_sid, dns_domain, netbios_name = reader.domain_info()
        snapshot = Collector(reader, dns_domain=dns_domain).collect()
    finally:
        try:
            connection.unbind()
        except Exception:  # noqa: BLE001, S110 - the read already has its answer
            pass
    snapshot.domain_sid = domain_sid
    snapshot.netbios_name = netbios_name
    if source.resolve_addresses:
        resolve_addresses(snapshot)
    return snapshot


def read_ldif_snapshot(source, entries):
    """Turn the entries of an LDIF file into a Snapshot for the source."""
    dns_domain = dns_domain_of(source.base_dn)
    snapshot = Collector(
        LdifEntrySource(source, entries), dns_domain=dns_domain
    ).collect()
    snapshot.domain_sid = _domain_sid_of(entries, source)
    return snapshot


def _domain_sid_of(entries, source):
    for entry in entries:
        classes = {value.lower() for value in entry.texts("objectclass")}
        if "domaindns" in classes and entry.first("objectsid"):
            return values.sid_text(entry.first("objectsid"))
    prefixes = Counter()
    for entry in entries:
        raw = entry.first("objectsid")
        if raw and "foreignsecurityprincipal" not in entry.text("objectclass").lower():
            sid = values.sid_text(raw)
            if sid.startswith("S-1-5-21-"):
                prefixes[values.sid_domain(sid)] += 1
    if prefixes:
        return prefixes.most_common(1)[0][0]
    return source.domain_sid


def resolve_addresses(snapshot):
    """Look up the computers' dNSHostName in DNS, in parallel."""
    computers = [
        r for r in snapshot.records.values() if r.kind == "computer" and r.dns_host_name
    ]

    def lookup(record):
        try:
            infos = socket.getaddrinfo(
                record.dns_host_name, None, type=socket.SOCK_STREAM
            )
        except OSError:
            return record, None
        return record, sorted({info[4][0] for info in infos})

    unresolved = 0
    with ThreadPoolExecutor(max_workers=_DNS_WORKERS) as pool:
        for record, addresses in pool.map(lookup, computers):
            if addresses is None:
                unresolved += 1
                continue
            record.addresses = sorted(set(record.addresses) | set(addresses))
    if unresolved:
        snapshot.warnings.append(
            f"{unresolved} computers' dNSHostName did not resolve in DNS"
        )
    logger.info(
        "resolved addresses of %d of %d computers",
        len(computers) - unresolved,
        len(computers),
    )


def check_shrink(run, snapshot):
    """Refuse a snapshot with far fewer objects than the stored directory."""
    source = run.source
    stored = DirectoryObject.objects.filter(
        source=source, deleted_at__isnull=True, in_scope=True
    ).count()
    read = snapshot.in_scope_count
    if not stored or read >= stored or run.allow_shrink:
        if stored and read < stored:
            logger.warning(
                "read %d objects where %d are stored; applying (allowed for this run)",
                read,
                stored,
            )
        return
    lost_percent = (stored - read) * 100 / stored
    if lost_percent >= source.shrink_threshold_percent:
        raise DirectoryAnswerRefused(
            f"source {source.name} answered with {read} objects where the last "
            f"good run left {stored} ({lost_percent:.0f}% fewer, the limit is "
            f"{source.shrink_threshold_percent}%); nothing was changed. If the "
            "directory really shrank, an admin can allow it for one run."
        )


def object_warnings(snapshot):
    """Return the snapshot's warnings and its objects' warnings, capped."""
    warnings = list(snapshot.warnings)
    for record in snapshot.records.values():
        warnings.extend(record.warnings)
    if len(warnings) > _MAX_RUN_WARNINGS:
        more = len(warnings) - _MAX_RUN_WARNINGS
        warnings = warnings[:_MAX_RUN_WARNINGS] + [f"... and {more} more warnings"]
    return warnings


def apply_snapshot(run, snapshot):
    """Apply the snapshot in one transaction; return the run's counts."""
    now = timezone.now()
    with transaction.atomic():
        check_shrink(run, snapshot)
        counts = Applier(run, snapshot, now=now).apply()
        updates = {"last_success_at": now, "updated_at": now}
        if snapshot.domain_sid:
            updates["domain_sid"] = snapshot.domain_sid
        if snapshot.dns_domain:
            updates["dns_domain"] = snapshot.dns_domain
        if snapshot.netbios_name:
            updates["netbios_name"] = snapshot.netbios_name
        DirectorySource.objects.filter(pk=run.source_id).update(**updates)
    read = Counter(
        record.kind for record in snapshot.records.values() if record.in_scope
    )
    counts.update(
        {
            "computers": read["computer"],
            "users": read["user"],
            "groups": read["group"],
            "out_of_scope": sum(1 for r in snapshot.records.values() if not r.in_scope),
            "edges": len(snapshot.edges),
            "edges_foreign": snapshot.counts["edges_foreign"],
            "edges_unresolved": snapshot.counts["edges_unresolved"],
            "edges_out_of_scope": snapshot.counts["edges_out_of_scope"],
        }
    )
    return dict(counts)
