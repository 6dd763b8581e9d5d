"""The difference between a snapshot and the stored directory, applied at once.

Objects are matched by (source, GUID), never by DN: a rename or a move
updates the row and records what changed, and a new object that re-uses an
old DN is a new row with no history and no groups of its own (FC-08).
Objects not read any more are marked deleted and lose their memberships.
Membership edges are matched by (group, member object, via) for members that
are objects and by (group, member key, via) for those that are not, so a
rename moves no one in or out of a group. Every edge that appears or goes
gets a MembershipChange row. All of it happens in the caller's transaction,
with bulk statements in batches and no query per object. New rows (a first
sync writes every object, edge and history row) go in as plain tuples through
PostgreSQL's COPY: a model instance and an INSERT parameter per value cost
more than the rest of a first sync.
"""

import logging
import operator
from collections import Counter

from django.db import connection
from django.db.models import CharField, JSONField, Value
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


def insert_rows(model, field_names, rows, *, with_ids=False):
    """Insert rows (tuples in the order of ``field_names``) into ``model``'s table.

    Fields not named get their model default. With ``with_ids`` the new
    primary keys are returned in the order of the rows. PostgreSQL takes the
    rows through COPY, with primary keys drawn from the table's sequence
    first; other databases (SQLite for the demo) through bulk_create.
    """
    rows = list(rows)
    if not rows:
        return []
    fields = [model._meta.get_field(name) for name in field_names]
    defaults = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field not in fields
    ]
    if connection.vendor != "postgresql":
        objs = [
            model(
                **{
                    field.attname: value
                    for field, value in zip(fields, row, strict=True)
                }
            )
            for row in rows
        ]
        model.objects.bulk_create(objs, batch_size=BATCH)
        return [obj.pk for obj in objs] if with_ids else []
    json_positions = [
        position
        for position, field in enumerate(fields)
        if isinstance(field, JSONField)
    ]
    fields += defaults
    constants = tuple(_db_value(field, field.get_default()) for field in defaults)
    table = model._meta.db_table
    ids = []
    with connection.cursor() as cursor:
        columns = [field.column for field in fields]
        if with_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                "FROM generate_series(1, %s)",
                [table, model._meta.pk.column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns.insert(0, model._meta.pk.column)
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        with cursor.copy(
            f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
        ) as copy:
            for position, row in enumerate(rows):
                row = (*row, *constants)
                if json_positions:
                    row = list(row)
                    for index in json_positions:
                        row[index] = _db_value(fields[index], row[index])
                if with_ids:
                    row = (ids[position], *row)
                copy.write_row(row)
    return ids


def _db_value(field, value):
    # JSON needs the field's own encoding; other values COPY takes as they are.
    if isinstance(field, JSONField):
        return field.get_db_prep_save(value, connection)
    return value


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
        insert_rows(
            ObjectChange,
            ["run", "obj", "change", "old_value", "new_value", "at"],
            (
                (self.run.pk, obj_pk, change, old, new, self.now)
                for obj_pk, change, old, new in self.object_changes
            ),
        )
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
        # Rows as tuples, compared whole with the record's fields: a dict per
        # row and a comparison per field cost more than an unchanged run's
        # writes. A row becomes a dict only when something changed.
        names = ("id", "guid", "deleted_at", *COMPARED_FIELDS)
        stored = {
            row[1]: row
            for row in DirectoryObject.objects.filter(source=self.source).values_list(
                *names
            )
        }
        compared = operator.attrgetter(*COMPARED_FIELDS)
        first_compared = len(names) - len(COMPARED_FIELDS)
        creates = []
        updates = []
        for guid, record in self.snapshot.records.items():
            values = stored.get(guid)
            if values is None:
                creates.append(record)
                continue
            self.pk_by_guid[guid] = values[0]
            if values[2] is None and compared(record) == values[first_compared:]:
                continue
            row = dict(zip(names, values, strict=True))
            changed = [
                name for name in COMPARED_FIELDS if getattr(record, name) != row[name]
            ]
            updates.append(self._changed_object(row, record, changed))

        created_fields = [
            "source",
            "guid",
            "first_seen_at",
            "last_seen_at",
            *COMPARED_FIELDS,
        ]
        new_ids = insert_rows(
            DirectoryObject,
            created_fields,
            (
                (
                    self.source.pk,
                    record.guid,
                    self.now,
                    self.now,
                    *(getattr(record, name) for name in COMPARED_FIELDS),
                )
                for record in creates
            ),
            with_ids=True,
        )
        for record, pk in zip(creates, new_ids, strict=True):
            self.pk_by_guid[record.guid] = pk
            self.object_changes.append((pk, ObjectChange.Change.CREATED, "", record.dn))
        self.counts["objects_added"] = len(creates)

        if updates:
            fields = [*COMPARED_FIELDS, "deleted_at", "last_seen_at"]
            DirectoryObject.objects.bulk_update(updates, fields, batch_size=500)
        self.counts["objects_changed"] = len(updates)

        gone = [
            dict(zip(names, values, strict=True))
            for guid, values in stored.items()
            if values[2] is None and guid not in self.snapshot.records
        ]
        for batch in _batches([row["id"] for row in gone]):
            DirectoryObject.objects.filter(pk__in=batch).update(deleted_at=self.now)
        for row in gone:
            self.object_changes.append(
                (row["id"], ObjectChange.Change.DELETED, row["dn"], "")
            )
        self.counts["objects_removed"] = len(gone)

        # Known limitation: last_seen_at moves only when a run writes the row
        # (created, changed, restored); every live object was also seen by the
        # source's last good run (DirectorySource.last_success_at). Touching
        # all rows would rewrite the whole table on every unchanged run.

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
            self.object_changes.append((row["id"], change, old, new))

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
        insert_rows(
            Membership,
            [
                "group",
                "member",
                "member_key",
                "member_dn",
                "member_sid",
                "via",
                "state",
                "since",
            ],
            ((*values, self.now) for values in added.values()),
        )
        insert_rows(
            MembershipChange,
            ["run", "group", "member", "member_dn", "via", "change", "at"],
            (
                (self.run.pk, group_pk, member_pk, dn, via, change, self.now)
                for change, edges in (
                    (MembershipChange.Change.ADDED, added.values()),
                    (
                        MembershipChange.Change.REMOVED,
                        (values for _, values in removed.values()),
                    ),
                )
                for group_pk, member_pk, _, dn, _, via, _ in edges
            ),
        )
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
