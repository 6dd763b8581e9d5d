"""The directory as the console last read it: sources, accounts, groups, membership.

Identity is the object's GUID (objectGUID on Active Directory, entryUUID on
OpenLDAP), never its DN: a rename or a move updates the DN and keeps the row,
its history and its memberships.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from encrypted_fields.fields import EncryptedCharField


class DirectorySource(models.Model):
    """A directory the console reads accounts and groups from.

    An Active Directory domain, a generic LDAP server (OpenLDAP schema), or an
    offline LDIF snapshot imported from a file.
    """

    class Kind(models.TextChoices):
        ACTIVE_DIRECTORY = "ad", "Active Directory"
        LDAP = "ldap", "Generic LDAP"
        LDIF = "ldif", "LDIF snapshot"

    name = models.SlugField(
        max_length=64, unique=True, help_text="Short name used on the command line."
    )
    kind = models.CharField(
        max_length=8, choices=Kind.choices, default=Kind.ACTIVE_DIRECTORY
    )
    enabled = models.BooleanField(default=True)

    server_urls = models.TextField(
        blank=True,
        help_text="One ldaps:// or ldap:// URL per line, tried in order.",
    )
    start_tls = models.BooleanField(
        default=False, help_text="Upgrade ldap:// connections with StartTLS."
    )
    verify_certificate = models.BooleanField(default=True)
    ca_file = models.CharField(
        max_length=500, blank=True, help_text="PEM file of the CA to trust."
    )
    bind_dn = models.CharField(max_length=500, blank=True)
    # Encrypted at rest; the library stores an empty password as NULL.
    bind_password = EncryptedCharField(max_length=500, blank=True, null=True)  # noqa: DJ001
    bind_password_env = models.CharField(
        max_length=100,
        blank=True,
        help_text="Name of an environment variable holding the bind password "
        "(used instead of a stored password).",
    )
    follow_referrals = models.BooleanField(default=False)
    timeout_seconds = models.PositiveIntegerField(default=30)
    page_size = models.PositiveIntegerField(default=500)

    base_dn = models.CharField(max_length=500)
    computer_base = models.CharField(max_length=500, blank=True)
    computer_filter = models.CharField(max_length=1000, blank=True)
    user_base = models.CharField(max_length=500, blank=True)
    user_filter = models.CharField(max_length=1000, blank=True)
    group_base = models.CharField(max_length=500, blank=True)
    group_filter = models.CharField(max_length=1000, blank=True)

    sync_interval_minutes = models.PositiveIntegerField(
        default=60, help_text="0 syncs only on demand."
    )
    staleness_limit_hours = models.PositiveIntegerField(
        default=24,
        help_text="Membership older than this makes what-if verdicts indeterminate.",
    )
    resolve_addresses = models.BooleanField(
        default=False, help_text="Look up computers' dNSHostName in DNS at sync time."
    )
    shrink_threshold_percent = models.PositiveIntegerField(
        default=50,
        help_text="Refuse a run that reads this many percent fewer objects than "
        "the last good run.",
    )

    # Learned from the directory itself on each good run.
    domain_sid = models.CharField(max_length=100, blank=True)
    dns_domain = models.CharField(max_length=255, blank=True)
    netbios_name = models.CharField(max_length=32, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("directory:source_detail", args=[self.pk])

    def is_stale(self, now=None):
        """Whether the last good sync is older than the staleness limit."""
        if self.last_success_at is None:
            return True
        now = now or timezone.now()
        age = now - self.last_success_at
        return age.total_seconds() > self.staleness_limit_hours * 3600


class DirectoryObject(models.Model):
    """A computer, user or group account as the directory last described it."""

    class Kind(models.TextChoices):
        COMPUTER = "computer", "Computer"
        USER = "user", "User"
        GROUP = "group", "Group"

    class GroupScope(models.TextChoices):
        GLOBAL = "global", "Global"
        DOMAIN_LOCAL = "domain_local", "Domain local"
        UNIVERSAL = "universal", "Universal"
        BUILTIN = "builtin", "Builtin local"

    source = models.ForeignKey(
        DirectorySource, on_delete=models.CASCADE, related_name="directory_objects"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    guid = models.CharField(
        max_length=64, help_text="objectGUID (string form) or entryUUID."
    )
    sid = models.CharField(max_length=100, blank=True, db_index=True)
    dn = models.TextField(help_text="Distinguished name as the directory wrote it.")
    dn_key = models.TextField(
        help_text="The DN parsed and case-folded, for comparing DNs as values."
    )
    name = models.CharField(max_length=256, help_text="The RDN value, unescaped.")
    sam_account_name = models.CharField(max_length=256, blank=True)
    lookup_name = models.CharField(
        max_length=256,
        db_index=True,
        help_text="sAMAccountName (or uid/cn) case-folded, without a trailing $.",
    )
    display_name = models.CharField(max_length=512, blank=True)
    description = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    user_account_control = models.BigIntegerField(null=True, blank=True)
    primary_group_id = models.PositiveIntegerField(null=True, blank=True)
    when_changed = models.DateTimeField(null=True, blank=True)
    in_scope = models.BooleanField(
        default=True,
        help_text="False for objects read only because a group lists them while "
        "they lie outside the configured search bases.",
    )

    # Computers
    dns_host_name = models.CharField(max_length=255, blank=True)
    operating_system = models.CharField(max_length=255, blank=True)
    operating_system_version = models.CharField(max_length=100, blank=True)
    last_logon = models.DateTimeField(null=True, blank=True)
    addresses = models.JSONField(
        default=list, blank=True, help_text="IP addresses from DNS or an import."
    )

    # Users
    user_principal_name = models.CharField(max_length=512, blank=True)

    # Groups
    group_type = models.BigIntegerField(null=True, blank=True)
    group_scope = models.CharField(
        max_length=16, choices=GroupScope.choices, blank=True
    )
    is_security = models.BooleanField(default=True)
    members_complete = models.BooleanField(
        default=True,
        help_text="False when the directory or file gave only part of the members.",
    )

    warnings = models.JSONField(default=list, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="When a sync found the object gone."
    )

    class Meta:
        ordering = ["kind", "lookup_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "guid"], name="directoryobject_unique_guid"
            ),
        ]
        indexes = [
            models.Index(fields=["source", "kind", "lookup_name"]),
            models.Index(fields=["kind", "lookup_name"]),
        ]

    def __str__(self):
        return self.display_label

    def get_absolute_url(self):
        return reverse("directory:object_detail", args=[self.pk])

    @property
    def display_label(self):
        if self.kind == self.Kind.COMPUTER:
            return self.sam_account_name.removesuffix("$") or self.name
        return self.sam_account_name or self.name

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    @property
    def rid(self):
        """The last sub-authority of the SID (None without a SID)."""
        if not self.sid:
            return None
        return int(self.sid.rsplit("-", 1)[1])


class ComputerManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=DirectoryObject.Kind.COMPUTER)


class UserManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=DirectoryObject.Kind.USER)


class GroupManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=DirectoryObject.Kind.GROUP)


class Computer(DirectoryObject):
    """A computer account: the identity a machine proves in IPsec negotiation."""

    objects = ComputerManager()

    class Meta:
        proxy = True


class User(DirectoryObject):
    """A user account."""

    objects = UserManager()

    class Meta:
        proxy = True


class Group(DirectoryObject):
    """A group of accounts; security groups carry into Kerberos tokens."""

    objects = GroupManager()

    class Meta:
        proxy = True


class Membership(models.Model):
    """A direct member of a group, as listed in ``member`` or implied by primaryGroupID.

    Members the sync could not match to an object are kept, with the DN or SID
    the directory gave, so that nothing listed is silently dropped.
    """

    class Via(models.TextChoices):
        MEMBER = "member", "member attribute"
        PRIMARY_GROUP = "primary", "primaryGroupID"

    class State(models.TextChoices):
        RESOLVED = "resolved", "Resolved"
        OUT_OF_SCOPE = "out_of_scope", "Outside the sync scope"
        FOREIGN = "foreign", "Foreign security principal"
        UNRESOLVED = "unresolved", "Unresolved"

    group = models.ForeignKey(
        DirectoryObject, on_delete=models.CASCADE, related_name="member_links"
    )
    member = models.ForeignKey(
        DirectoryObject,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="group_links",
    )
    member_dn = models.TextField(blank=True)
    member_key = models.TextField(
        help_text="Parsed, case-folded DN (or SID for foreign principals)."
    )
    member_sid = models.CharField(max_length=100, blank=True)
    via = models.CharField(max_length=8, choices=Via.choices, default=Via.MEMBER)
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.RESOLVED
    )
    since = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "member_key", "via"], name="membership_unique_edge"
            ),
        ]
        indexes = [models.Index(fields=["member", "group"])]

    def __str__(self):
        return f"{self.member_dn or self.member_key} in {self.group}"


class SyncRun(models.Model):
    """One read of a directory source, with its outcome, counts and log."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Button"
        SCHEDULE = "schedule", "Schedule"
        COMMAND = "command", "Command line"
        API = "api", "API"
        IMPORT = "import", "LDIF import"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    source = models.ForeignKey(
        DirectorySource, on_delete=models.CASCADE, related_name="runs"
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    allow_shrink = models.BooleanField(
        default=False,
        help_text="Apply this run even if it reads far fewer objects than the last.",
    )
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    phase = models.CharField(max_length=200, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    retryable = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-queued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(status__in=["queued", "running"]),
                name="syncrun_one_active_per_source",
            ),
        ]

    def __str__(self):
        return f"{self.source} run {self.pk} ({self.status})"

    def get_absolute_url(self):
        return reverse("directory:run_detail", args=[self.pk])

    @property
    def is_active(self):
        return self.status in self.ACTIVE_STATUSES

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class SyncLogEntry(models.Model):
    """A line of a sync run's own log, shown live on the run's page."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    level = models.CharField(max_length=10)
    message = models.TextField()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.level} {self.message}"


class MembershipChange(models.Model):
    """A membership edge that appeared or disappeared in a sync run."""

    class Change(models.TextChoices):
        ADDED = "added", "Joined"
        REMOVED = "removed", "Left"

    run = models.ForeignKey(
        SyncRun, on_delete=models.CASCADE, related_name="membership_changes"
    )
    group = models.ForeignKey(
        DirectoryObject, on_delete=models.CASCADE, related_name="membership_history"
    )
    member = models.ForeignKey(
        DirectoryObject,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    member_dn = models.TextField(blank=True)
    via = models.CharField(max_length=8, choices=Membership.Via.choices)
    change = models.CharField(max_length=8, choices=Change.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["group", "-at"])]

    def __str__(self):
        return f"{self.member_dn} {self.change} {self.group}"


class ObjectChange(models.Model):
    """A change to one directory object seen by a sync: created, renamed, moved,
    disabled, deleted."""

    class Change(models.TextChoices):
        CREATED = "created", "Created"
        RENAMED = "renamed", "Renamed"
        MOVED = "moved", "Moved"
        ENABLED = "enabled", "Enabled"
        DISABLED = "disabled", "Disabled"
        DELETED = "deleted", "Deleted"
        RESTORED = "restored", "Reappeared"
        UPDATED = "updated", "Attributes changed"

    run = models.ForeignKey(
        SyncRun, on_delete=models.CASCADE, related_name="object_changes"
    )
    obj = models.ForeignKey(
        DirectoryObject, on_delete=models.CASCADE, related_name="history"
    )
    change = models.CharField(max_length=10, choices=Change.choices)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.obj} {self.change}"
