"""Sortable, paginated tables of the directory pages (django-tables2).

Every value read from the directory is rendered as text: django-tables2 escapes
what ``render_*`` returns unless it is marked safe, and ``format_html`` escapes
its arguments.
"""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.timesince import timesince

from directory.models import (
    DirectoryObject,
    DirectorySource,
    Membership,
    MembershipChange,
    ObjectChange,
    SyncRun,
)

STATUS_BADGES = {
    SyncRun.Status.QUEUED: "text-bg-secondary",
    SyncRun.Status.RUNNING: "text-bg-info",
    SyncRun.Status.SUCCEEDED: "text-bg-success",
    SyncRun.Status.FAILED: "text-bg-danger",
}
STATE_BADGES = {
    Membership.State.RESOLVED: "text-bg-light",
    Membership.State.OUT_OF_SCOPE: "text-bg-warning",
    Membership.State.FOREIGN: "text-bg-info",
    Membership.State.UNRESOLVED: "text-bg-danger",
}


def status_badge(run_status, label):
    return format_html(
        '<span class="badge {}" data-status="{}">{}</span>',
        STATUS_BADGES.get(run_status, "text-bg-light"),
        run_status,
        label,
    )


def object_link(obj):
    """Link to an object's page, marked when the object is gone."""
    if obj is None:
        return "—"
    if obj.is_deleted:
        return format_html(
            '<a href="{}">{}</a> <span class="badge text-bg-dark">deleted</span>',
            obj.get_absolute_url(),
            obj.display_label,
        )
    return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.display_label)


class ObjectTableBase(tables.Table):
    name = tables.Column(
        accessor="lookup_name", verbose_name="Name", order_by=("lookup_name", "pk")
    )
    source = tables.Column(accessor="source__name", verbose_name="Source")
    dn = tables.Column(verbose_name="DN", attrs={"td": {"class": "mono small"}})
    enabled = tables.BooleanColumn()
    deleted_at = tables.Column(verbose_name="Gone since", empty_values=(None,))

    class Meta:
        model = DirectoryObject
        # No generated columns here: a subclass's ``fields`` only adds columns,
        # so every model field generated on the base would reach every list.
        fields = ()
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = "No objects match."
        per_page = 50

    def render_name(self, record):
        link = object_link(record)
        if not record.in_scope:
            return format_html(
                '{} <span class="badge text-bg-warning">outside scope</span>', link
            )
        return link

    def render_deleted_at(self, value):
        return format_html('<span class="badge text-bg-dark">gone {}</span>', value)


class ComputerTable(ObjectTableBase):
    dns_host_name = tables.Column(verbose_name="DNS host name")

    class Meta(ObjectTableBase.Meta):
        fields = (
            "name",
            "dns_host_name",
            "operating_system",
            "enabled",
            "source",
            "dn",
            "when_changed",
            "deleted_at",
        )


class UserTable(ObjectTableBase):
    class Meta(ObjectTableBase.Meta):
        fields = (
            "name",
            "display_name",
            "user_principal_name",
            "enabled",
            "source",
            "dn",
            "when_changed",
            "deleted_at",
        )


class GroupTable(ObjectTableBase):
    enabled = None
    is_security = tables.BooleanColumn(verbose_name="Security")

    class Meta(ObjectTableBase.Meta):
        fields = (
            "name",
            "group_scope",
            "is_security",
            "members_complete",
            "source",
            "dn",
            "when_changed",
            "deleted_at",
        )

    def render_members_complete(self, value):
        if value:
            return "yes"
        return format_html(
            '<span class="badge text-bg-warning">{}</span>', "incomplete"
        )


class SourceTable(tables.Table):
    name = tables.Column(linkify=True)
    server_urls = tables.Column(
        verbose_name="Servers", attrs={"td": {"class": "mono small pre-wrap"}}
    )
    base_dn = tables.Column(
        verbose_name="Base DN", attrs={"td": {"class": "mono small"}}
    )
    sync_interval_minutes = tables.Column(verbose_name="Schedule")
    last_run_status = tables.Column(verbose_name="Last run")
    last_success_at = tables.Column(verbose_name="Last good sync")
    holds = tables.Column(empty_values=(), orderable=False, verbose_name="Holds")

    class Meta:
        model = DirectorySource
        fields = (
            "name",
            "kind",
            "enabled",
            "server_urls",
            "base_dn",
            "sync_interval_minutes",
            "last_run_status",
            "last_success_at",
            "holds",
        )
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = "No directory source yet."

    def render_sync_interval_minutes(self, value):
        return f"every {value} min" if value else "on demand"

    def render_last_run_status(self, record, value):
        return format_html(
            '<a href="{}">#{}</a> {}',
            reverse("directory:run_detail", args=[record.last_run_id]),
            record.last_run_id,
            status_badge(value, SyncRun.Status(value).label),
        )

    def render_last_success_at(self, record, value):
        label = f"{timesince(value)} ago"
        if record.is_stale():
            return format_html(
                '{} <span class="badge text-bg-warning">stale</span>', label
            )
        return label

    def render_holds(self, record):
        return (
            f"{record.computer_count} computers, {record.user_count} users, "
            f"{record.group_count} groups"
        )


class RunTable(tables.Table):
    id = tables.Column(
        linkify=lambda record: record.get_absolute_url(), verbose_name="Run"
    )
    source = tables.Column(accessor="source__name", verbose_name="Source")
    status = tables.Column()
    started_by = tables.Column(
        accessor="started_by__username", verbose_name="Started by", default="—"
    )
    duration = tables.Column(orderable=False, empty_values=())
    counts = tables.Column(orderable=False, verbose_name="Changes")

    class Meta:
        model = SyncRun
        fields = (
            "id",
            "source",
            "status",
            "trigger",
            "started_by",
            "queued_at",
            "duration",
            "counts",
        )
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = "No sync runs yet."
        per_page = 25

    def render_status(self, record):
        return status_badge(record.status, record.get_status_display())

    def render_duration(self, record):
        if record.duration is None:
            return "—"
        return f"{record.duration.total_seconds():.1f} s"

    def render_counts(self, value):
        return summarize_counts(value) or "—"


CHANGE_KINDS = ("objects", "edges")
READ_COUNTS = (
    ("computers", "computers"),
    ("users", "users"),
    ("groups", "groups"),
    ("out_of_scope", "objects outside the bases"),
    ("edges", "membership edges"),
    ("edges_foreign", "foreign members"),
    ("edges_unresolved", "unresolved members"),
    ("edges_out_of_scope", "members outside the bases"),
)


def change_counts(counts):
    """Return {"objects": (added, changed, removed), "edges": (...)} of a run."""
    counts = counts if isinstance(counts, dict) else {}
    return {
        kind: tuple(
            counts.get(f"{kind}_{change}", 0)
            for change in ("added", "changed", "removed")
        )
        for kind in CHANGE_KINDS
        if any(f"{kind}_{change}" in counts for change in ("added", "changed"))
    }


def read_counts(counts):
    """Return (label, number) for what a run read, in a fixed order."""
    counts = counts if isinstance(counts, dict) else {}
    return [(label, counts[key]) for key, label in READ_COUNTS if key in counts]


def summarize_counts(counts):
    """Return "objects +3 ~1 -0, edges +40 ~0 -2" from a run's counts."""
    return ", ".join(
        f"{kind} +{added} ~{changed} -{removed}"
        for kind, (added, changed, removed) in change_counts(counts).items()
    )


class MemberTable(tables.Table):
    """Direct members of a group, one row per membership edge."""

    member = tables.Column(
        empty_values=(),
        verbose_name="Member",
        order_by=("member__lookup_name", "member_key"),
    )
    kind = tables.Column(
        accessor="member__kind", verbose_name="Kind", default="—", orderable=True
    )
    via = tables.Column(verbose_name="Via")
    state = tables.Column(verbose_name="State")
    since = tables.Column()

    class Meta:
        model = Membership
        fields = ("member", "kind", "via", "state", "since")
        attrs = {"class": "table table-sm align-middle"}
        empty_text = "No direct members."
        per_page = 50

    def render_member(self, record):
        if record.member is not None:
            return object_link(record.member)
        return format_html(
            '<span class="mono small">{}</span>',
            record.member_dn or record.member_sid or record.member_key,
        )

    def render_state(self, record):
        return format_html(
            '<span class="badge {}">{}</span>',
            STATE_BADGES.get(record.state, "text-bg-light"),
            record.get_state_display(),
        )


class GroupLinkTable(tables.Table):
    """Groups an object belongs to directly."""

    group = tables.Column(
        empty_values=(), verbose_name="Group", order_by=("group__lookup_name",)
    )
    via = tables.Column()
    since = tables.Column()

    class Meta:
        model = Membership
        fields = ("group", "via", "since")
        attrs = {"class": "table table-sm align-middle"}
        empty_text = "Member of no group."
        per_page = 50

    def render_group(self, record):
        return object_link(record.group)


class MembershipChangeTable(tables.Table):
    at = tables.Column(verbose_name="When")
    change = tables.Column()
    member = tables.Column(
        empty_values=(), verbose_name="Member", order_by=("member__lookup_name",)
    )
    group = tables.Column(
        empty_values=(), verbose_name="Group", order_by=("group__lookup_name",)
    )
    via = tables.Column()
    run = tables.Column(accessor="run_id", verbose_name="Run")

    class Meta:
        model = MembershipChange
        fields = ("at", "change", "member", "group", "via", "run")
        attrs = {"class": "table table-sm align-middle"}
        empty_text = "No membership changes recorded."
        per_page = 25

    def render_member(self, record):
        if record.member is not None:
            return object_link(record.member)
        return format_html('<span class="mono small">{}</span>', record.member_dn)

    def render_group(self, record):
        return object_link(record.group)

    def render_change(self, record):
        badge = (
            "text-bg-success"
            if record.change == MembershipChange.Change.ADDED
            else "text-bg-secondary"
        )
        return format_html(
            '<span class="badge {}">{}</span>', badge, record.get_change_display()
        )

    def render_run(self, record):
        return format_html(
            '<a href="{}">#{}</a>',
            reverse("directory:run_detail", args=[record.run_id]),
            record.run_id,
        )


class ObjectChangeTable(tables.Table):
    at = tables.Column(verbose_name="When")
    change = tables.Column()
    old_value = tables.Column(
        verbose_name="Before", attrs={"td": {"class": "pre-wrap"}}
    )
    new_value = tables.Column(verbose_name="After", attrs={"td": {"class": "pre-wrap"}})
    run = tables.Column(accessor="run_id", verbose_name="Run")

    class Meta:
        model = ObjectChange
        fields = ("at", "change", "old_value", "new_value", "run")
        attrs = {"class": "table table-sm align-middle"}
        empty_text = "No changes recorded."
        per_page = 25

    def render_run(self, record):
        return format_html(
            '<a href="{}">#{}</a>',
            reverse("directory:run_detail", args=[record.run_id]),
            record.run_id,
        )
