"""The difference between a snapshot and the stored directory, applied at once.

Objects are matched by (source, GUID), never by DN: a rename or a move
updates the row and records what changed, and a new object that re-uses an
old DN is a new row with no history and no groups of its own (FC-08).
Objects not read any more are marked deleted and lose their memberships.
Membership edges are matched by (group, member object, via) for members that
are objects and by (group, member key, via) for those that are not, so a
rename moves no one in or out of a group. Every edge that appears or goes
gets a MembershipChange row. All of it happens in the caller's transaction,
with bulk statements in batches and no query per object.
"""

import logging
from collections import Counter

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from directory.ldap.dn import parent_dn, rdn_keys
from directory.models import (
    DirectoryObject,
    Membership,
    MembershipChange,
    ObjectChange,
)
from directory.sync.records import COMPARED_FIELDS

logger = logging.getLogger(__name__)

BATCH = 1000
# Fields that change on their own (every logon, every attribute write):
# stored when they change, but not worth an entry in the object's history.
_QUIET_FIELDS = {"when_changed", "last_logon"}
_NAMED_FIELDS = {"dn", "dn_key", "name", "enabled", "user_account_control"}


def _batches(items, size=BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Applier:
    """Compares a Snapshot with the stored rows of its source and writes the
    difference; ``counts`` says what changed."""

    def __init__(self, run, snapshot, *, now):
        self.run = run
        self.source = run.source
        self.snapshot = snapshot
        self.now = now
        self.counts = Counter()
        self.object_changes = []
        self.pk_by_guid = {}

    def apply(self):
        """Write the difference; call inside transaction.atomic()."""
        self._apply_objects()
        self._apply_edges()
        ObjectChange.objects.bulk_create(self.object_changes, batch_size=BATCH)
        logger.info(
            "source %s: objects +%d ~%d -%d, edges +%d ~%d -%d",
            self.source.name,
            self.counts["objects_added"],
            self.counts["objects_changed"],
            self.counts["objects_removed"],
            self.counts["edges_added"],
            self.counts["edges_changed"],
            self.counts["edges_removed"],
        )
        return self.counts

    # Objects ---------------------------------------------------------------

    def _apply_objects(self):
        stored = {
            row["guid"]: row
            for row in DirectoryObject.objects.filter(source=self.source).values(
                "id", "guid", "deleted_at", *COMPARED_FIELDS
            )
        }
        creates = []
        updates = []
        for guid, record in self.snapshot.records.items():
            row = stored.get(guid)
            if row is None:
                creates.append(self._new_object(record))
                continue
            self.pk_by_guid[guid] = row["id"]
            changed = [
                name for name in COMPARED_FIELDS if getattr(record, name) != row[name]
            ]
            if not changed and row["deleted_at"] is None:
                continue
            updates.append(self._changed_object(row, record, changed))

        for batch in _batches(creates):
            DirectoryObject.objects.bulk_create(batch)
        for obj in creates:
            self.pk_by_guid[obj.guid] = obj.pk
            self.object_changes.append(
                ObjectChange(
                    run=self.run,
                    obj=obj,
                    change=ObjectChange.Change.CREATED,
                    new_value=obj.dn,
                    at=self.now,
                )
            )
        self.counts["objects_added"] = len(creates)

        if updates:
            fields = [*COMPARED_FIELDS, "deleted_at", "last_seen_at"]
            DirectoryObject.objects.bulk_update(updates, fields, batch_size=500)
        self.counts["objects_changed"] = len(updates)

        gone = [
            row
            for guid, row in stored.items()
            if row["deleted_at"] is None and guid not in self.snapshot.records
        ]
        for batch in _batches([row["id"] for row in gone]):
            DirectoryObject.objects.filter(pk__in=batch).update(deleted_at=self.now)
        for row in gone:
            self.object_changes.append(
                ObjectChange(
                    run=self.run,
                    obj_id=row["id"],
                    change=ObjectChange.Change.DELETED,
                    old_value=row["dn"],
                    at=self.now,
                )
            )
        self.counts["objects_removed"] = len(gone)

        # Known limitation: last_seen_at moves only when a run writes the row
        # (created, changed, restored); every live object was also seen by the
        # source's last good run (DirectorySource.last_success_at). Touching
        # all rows would rewrite the whole table on every unchanged run.

    def _new_object(self, record):
        obj = DirectoryObject(
            source=self.source,
            guid=record.guid,
            first_seen_at=self.now,
            last_seen_at=self.now,
        )
        for name in COMPARED_FIELDS:
            setattr(obj, name, getattr(record, name))
        return obj

    def _changed_object(self, row, record, changed):
        obj = DirectoryObject(
            pk=row["id"],
            source=self.source,
            guid=record.guid,
            deleted_at=None,
            last_seen_at=self.now,
        )
        for name in COMPARED_FIELDS:
            setattr(obj, name, getattr(record, name))
        self._record_history(row, record, changed)
        return obj

    def _record_history(self, row, record, changed):
        def note(change, old="", new=""):
            self.object_changes.append(
                ObjectChange(
                    run=self.run,
                    obj_id=row["id"],
                    change=change,
                    old_value=old,
                    new_value=new,
                    at=self.now,
                )
            )

        if row["deleted_at"] is not None:
            note(ObjectChange.Change.RESTORED, new=record.dn)
        if "name" in changed:
            note(ObjectChange.Change.RENAMED, row["name"], record.name)
        if "dn_key" in changed and rdn_keys(row["dn"])[1:] != rdn_keys(record.dn)[1:]:
            note(ObjectChange.Change.MOVED, parent_dn(row["dn"]), parent_dn(record.dn))
        if "enabled" in changed:
            change = (
                ObjectChange.Change.ENABLED
                if record.enabled
                else ObjectChange.Change.DISABLED
            )
            note(change, str(row["enabled"]), str(record.enabled))
        others = [name for name in changed if name not in _NAMED_FIELDS | _QUIET_FIELDS]
        if others:
            note(ObjectChange.Change.UPDATED, new=", ".join(others))

    # Membership edges -------------------------------------------------------

    def _desired_edges(self):
        # Plain tuples: a model instance per edge costs more than the rest of
        # an unchanged run. Instances are made only for edges that are written.
        desired = {}
        pk_by_guid = self.pk_by_guid
        for edge in self.snapshot.edges:
            group_pk = pk_by_guid[edge.group_guid]
            member_pk = pk_by_guid.get(edge.member_guid) if edge.member_guid else None
            identity = (
                group_pk,
                edge.via,
                member_pk if member_pk else "k:" + edge.member_key,
            )
            desired[identity] = (
                group_pk,
                member_pk,
                edge.member_key,
                edge.member_dn,
                edge.member_sid,
                edge.via,
                edge.state,
            )
        return desired

    def _membership(self, values, pk=None):
        group_pk, member_pk, key, dn, sid, via, state = values
        return Membership(
            pk=pk,
            group_id=group_pk,
            member_id=member_pk,
            member_key=key,
            member_dn=dn,
            member_sid=sid,
            via=via,
            state=state,
            since=self.now,
        )

    def _apply_edges(self):
        desired = self._desired_edges()
        stored = {}
        rows = Membership.objects.filter(group__source=self.source).values_list(
            "id",
            "group_id",
            "member_id",
            "member_key",
            "member_dn",
            "member_sid",
            "via",
            "state",
        )
        for pk, group_pk, member_pk, key, dn, sid, via, state in rows:
            identity = (group_pk, via, member_pk if member_pk else "k:" + key)
            stored[identity] = (pk, (group_pk, member_pk, key, dn, sid, via, state))

        kept = desired.keys() & stored.keys()
        added = {identity: desired[identity] for identity in desired.keys() - kept}
        removed = {identity: stored[identity] for identity in stored.keys() - kept}

        # A member that changed between "object" and "only a DN" (a dangling DN
        # that now names an object, or the reverse) is the same edge.
        by_key = {
            (values[0], values[5], values[2]): identity
            for identity, (_, values) in removed.items()
        }
        updates = []
        for identity, values in list(added.items()):
            match = by_key.get((values[0], values[5], values[2]))
            if match is not None and match in removed:
                pk, _ = removed.pop(match)
                del added[identity]
                updates.append(self._membership(values, pk))

        for identity in kept:
            pk, values = stored[identity]
            if values != desired[identity]:
                updates.append(self._membership(desired[identity], pk))

        removed_ids = [pk for pk, _ in removed.values()]
        for batch in _batches(removed_ids):
            Membership.objects.filter(pk__in=batch).delete()
        self._update_edges(updates)
        Membership.objects.bulk_create(
            [self._membership(values) for values in added.values()], batch_size=BATCH
        )

        history = [
            MembershipChange(
                run=self.run,
                group_id=group_pk,
                member_id=member_pk,
                member_dn=dn,
                via=via,
                change=change,
                at=self.now,
            )
            for change, edges in (
                (MembershipChange.Change.ADDED, added.values()),
                (MembershipChange.Change.REMOVED, (v for _, v in removed.values())),
            )
            for group_pk, member_pk, _, dn, _, via, _ in edges
        ]
        MembershipChange.objects.bulk_create(history, batch_size=BATCH)
        self.counts["edges_added"] = len(added)
        self.counts["edges_removed"] = len(removed)
        self.counts["edges_changed"] = len(updates)

    def _update_edges(self, updates):
        if not updates:
            return
        fields = ["member_id", "member_key", "member_dn", "member_sid", "state"]
        # Two members may swap DNs within one run; park the changing keys on a
        # value of their own first, so the unique (group, member_key, via)
        # constraint never sees a clash half-way.
        stored_keys = dict(
            Membership.objects.filter(pk__in=[edge.pk for edge in updates]).values_list(
                "id", "member_key"
            )
        )
        moving = [
            edge.pk for edge in updates if stored_keys.get(edge.pk) != edge.member_key
        ]
        for batch in _batches(moving):
            Membership.objects.filter(pk__in=batch).update(
                member_key=Concat(Value("~"), Cast("id", CharField()))
            )
        Membership.objects.bulk_update(updates, fields, batch_size=500)
