"""New rows of a sync go in through COPY on PostgreSQL and through bulk_create
elsewhere; both must store exactly the same values."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from directory.models import DirectoryObject, DirectorySource, Membership
from directory.sync.apply import insert_rows

pytestmark = pytest.mark.django_db

FIELDS = [
    "source",
    "guid",
    "kind",
    "dn",
    "dn_key",
    "name",
    "addresses",
    "warnings",
    "when_changed",
    "user_account_control",
    "description",
]


def rows(source, prefix):
    changed = datetime(2026, 12, 3, 18, 30, tzinfo=UTC)
    return [
        (
            source.pk,
            f"{prefix}-1",
            "computer",
            r"CN=A\,B,DC=x",
            r"cn=a\,b,dc=x",
            "A,B",
            ["10.0.0.1", "fe80::1"],
            ['tab\there, "quoted" \\ back\\slash', "{not: json}"],
            changed,
            4096,
            "line one\nline two\r\nNUL-free \\N is text",
        ),
        (
            source.pk,
            f"{prefix}-2",
            "user",
            "CN=Zoë Ångström,DC=x",
            "cn=zoë ångström,dc=x",
            "Zoë Ångström",
            [],
            [],
            None,
            None,
            "",
        ),
    ]


def stored(ids):
    skipped = {"id", "guid", "first_seen_at", "last_seen_at"}
    return [
        {name: value for name, value in row.items() if name not in skipped}
        for row in DirectoryObject.objects.filter(pk__in=ids).order_by("guid").values()
    ]


def test_copy_stores_what_bulk_create_stores(monkeypatch):
    source = DirectorySource.objects.create(name="rows", base_dn="DC=x")

    copied = insert_rows(DirectoryObject, FIELDS, rows(source, "copy"), with_ids=True)
    monkeypatch.setattr(connection, "vendor", "sqlite")
    created = insert_rows(DirectoryObject, FIELDS, rows(source, "bulk"), with_ids=True)
    monkeypatch.undo()

    assert len(copied) == 2 and len(set(copied) | set(created)) == 4
    assert stored(copied) == stored(created)
    first = DirectoryObject.objects.get(pk=copied[0])
    assert first.guid == "copy-1"
    assert first.warnings == ['tab\there, "quoted" \\ back\\slash', "{not: json}"]
    assert first.description == "line one\nline two\r\nNUL-free \\N is text"
    # Fields not named take their model defaults.
    assert (first.enabled, first.in_scope, first.deleted_at) == (True, True, None)
    assert first.first_seen_at is not None


def test_copied_rows_take_ids_the_sequence_still_hands_out_afterwards():
    source = DirectorySource.objects.create(name="ids", base_dn="DC=x")
    copied = insert_rows(DirectoryObject, FIELDS, rows(source, "copy"), with_ids=True)

    later = DirectoryObject.objects.create(
        source=source, guid="later", kind="group", dn="CN=G,DC=x", dn_key="cn=g,dc=x"
    )
    group = DirectoryObject.objects.get(pk=copied[0])
    insert_rows(
        Membership,
        ["group", "member", "member_key", "member_dn", "via", "state"],
        [(later.pk, group.pk, group.dn_key, group.dn, "member", "resolved")],
    )

    assert later.pk > max(copied)
    assert list(later.member_links.values_list("member__guid", flat=True)) == ["copy-1"]
