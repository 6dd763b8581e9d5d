"""REST representations of directory sources, objects, membership and runs.

A source's bind password is write-only everywhere and has no field here; the
API says only whether one is stored.
"""

from rest_framework import serializers

from directory.models import (
    DirectoryObject,
    DirectorySource,
    Membership,
    SyncLogEntry,
    SyncRun,
)

SOURCE_FIELDS = (
    "id",
    "name",
    "kind",
    "enabled",
    "server_urls",
    "start_tls",
    "verify_certificate",
    "ca_file",
    "bind_dn",
    "has_bind_password",
    "bind_password_env",
    "follow_referrals",
    "timeout_seconds",
    "page_size",
    "base_dn",
    "computer_base",
    "computer_filter",
    "user_base",
    "user_filter",
    "group_base",
    "group_filter",
    "sync_interval_minutes",
    "staleness_limit_hours",
    "resolve_addresses",
    "shrink_threshold_percent",
    "domain_sid",
    "dns_domain",
    "netbios_name",
    "last_success_at",
    "is_stale",
    "created_at",
    "updated_at",
)

OBJECT_FIELDS = (
    "id",
    "url",
    "source",
    "kind",
    "name",
    "display_label",
    "sam_account_name",
    "dn",
    "guid",
    "sid",
    "enabled",
    "in_scope",
    "when_changed",
    "first_seen_at",
    "last_seen_at",
    "deleted_at",
    "warnings",
)


class DirectorySourceSerializer(serializers.ModelSerializer):
    has_bind_password = serializers.SerializerMethodField()
    is_stale = serializers.SerializerMethodField()

    class Meta:
        model = DirectorySource
        fields = SOURCE_FIELDS
        read_only_fields = SOURCE_FIELDS

    def get_has_bind_password(self, source) -> bool:
        return bool(source.bind_password)

    def get_is_stale(self, source) -> bool:
        return source.is_stale()


class SyncRequestSerializer(serializers.Serializer):
    allow_shrink = serializers.BooleanField(
        default=False,
        help_text="Apply this run even if it reads far fewer objects than the "
        "last good run.",
    )


class DirectoryObjectSerializer(serializers.ModelSerializer):
    """Fields every kind shares; each kind's serializer adds its ``url``."""

    source = serializers.SlugRelatedField(slug_field="name", read_only=True)
    display_label = serializers.CharField(read_only=True)

    class Meta:
        model = DirectoryObject
        fields = OBJECT_FIELDS
        read_only_fields = OBJECT_FIELDS


class ComputerSerializer(DirectoryObjectSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:directory-computer-detail"
    )

    class Meta(DirectoryObjectSerializer.Meta):
        fields = (
            *OBJECT_FIELDS,
            "dns_host_name",
            "operating_system",
            "operating_system_version",
            "last_logon",
            "addresses",
            "primary_group_id",
        )
        read_only_fields = fields


class UserSerializer(DirectoryObjectSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:directory-user-detail")

    class Meta(DirectoryObjectSerializer.Meta):
        fields = (
            *OBJECT_FIELDS,
            "user_principal_name",
            "display_name",
            "last_logon",
            "primary_group_id",
        )
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    """A direct member: resolved to an object, or kept with what the directory gave."""

    member = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    member_label = serializers.SerializerMethodField()
    member_kind = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = (
            "member",
            "member_label",
            "member_kind",
            "member_dn",
            "member_sid",
            "via",
            "state",
            "since",
        )
        read_only_fields = fields

    def get_member_label(self, edge) -> str:
        if edge.member is None:
            return edge.member_dn or edge.member_sid or edge.member_key
        return edge.member.display_label

    def get_member_kind(self, edge) -> str | None:
        return edge.member.kind if edge.member else None


class GroupSerializer(DirectoryObjectSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:directory-group-detail")
    member_count = serializers.IntegerField(
        read_only=True, help_text="Direct membership edges, unresolved ones included."
    )

    class Meta(DirectoryObjectSerializer.Meta):
        fields = (
            *OBJECT_FIELDS,
            "group_scope",
            "group_type",
            "is_security",
            "members_complete",
            "member_count",
        )
        read_only_fields = fields


class GroupDetailSerializer(GroupSerializer):
    members = MembershipSerializer(source="member_links", many=True, read_only=True)

    class Meta(GroupSerializer.Meta):
        fields = (*GroupSerializer.Meta.fields, "members")
        read_only_fields = fields


class ChainStepSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="object_id")
    label = serializers.SerializerMethodField()
    kind = serializers.SerializerMethodField()
    primary = serializers.BooleanField(
        help_text="Reached through primaryGroupID rather than a member value."
    )

    def get_label(self, step) -> str:
        return step.obj.display_label if step.obj else ""

    def get_kind(self, step) -> str | None:
        return step.obj.kind if step.obj else None


class NestedMemberSerializer(serializers.Serializer):
    """A member at any depth, with the chain from it up to the group."""

    id = serializers.SerializerMethodField()
    label = serializers.SerializerMethodField()
    kind = serializers.SerializerMethodField()
    enabled = serializers.SerializerMethodField()
    depth = serializers.IntegerField()
    chain = ChainStepSerializer(source="steps", many=True)

    def get_id(self, row) -> int | None:
        return row.obj.pk if row.obj else None

    def get_label(self, row) -> str:
        return row.obj.display_label if row.obj else ""

    def get_kind(self, row) -> str | None:
        return row.obj.kind if row.obj else None

    def get_enabled(self, row) -> bool | None:
        return row.obj.enabled if row.obj else None


class SyncLogEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncLogEntry
        fields = ("at", "level", "message")
        read_only_fields = fields


class SyncRunSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:directory-run-detail")
    source = serializers.SlugRelatedField(slug_field="name", read_only=True)
    started_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    duration_seconds = serializers.SerializerMethodField()

    class Meta:
        model = SyncRun
        fields = (
            "id",
            "url",
            "source",
            "trigger",
            "started_by",
            "status",
            "allow_shrink",
            "queued_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "progress",
            "phase",
            "counts",
            "warnings",
            "error",
            "retryable",
            "attempts",
        )
        read_only_fields = fields

    def get_duration_seconds(self, run) -> float | None:
        return run.duration.total_seconds() if run.duration else None


class SyncRunDetailSerializer(SyncRunSerializer):
    log = SyncLogEntrySerializer(many=True, read_only=True)

    class Meta(SyncRunSerializer.Meta):
        fields = (*SyncRunSerializer.Meta.fields, "log")
        read_only_fields = fields
