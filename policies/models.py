"""Servers and the firewall and IPsec settings that apply to them.

Settings come in policies. A shared policy (like a group policy object) applies
to many servers; every server also has one local policy holding its own
settings. For each setting the highest-precedence policy that defines it wins,
and the local policy counts only where no shared policy defines the setting
(see policies.effective).

Directory principals (machines, groups, users) are referenced by SID with the
name they had when chosen, so a rename in the directory changes nothing here.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.db import models
from django.urls import reverse

from policies.validators import (
    validate_fqdn,
    validate_plain_text,
    validate_ports,
    validate_program_path,
    validate_scope,
    validate_server_name,
    validate_sid,
)

# Shared policies may not take names that look like a server's local policy.
LOCAL_POLICY_PREFIX = "local:"


class Era(models.TextChoices):
    XP = "xp", "XP SP2 / Server 2003 (Windows Firewall)"
    ADVANCED = "advanced", "Vista / Server 2008 and later (WFAS)"


class Profile(models.TextChoices):
    DOMAIN = "domain", "Domain"
    STANDARD = "standard", "Standard"
    PRIVATE = "private", "Private"
    PUBLIC = "public", "Public"


PROFILES_BY_ERA = {
    Era.XP: (Profile.DOMAIN, Profile.STANDARD),
    Era.ADVANCED: (Profile.DOMAIN, Profile.PRIVATE, Profile.PUBLIC),
}


class FirewallState(models.TextChoices):
    ON = "on", "On"
    SHIELDED = "shielded", "On, no exceptions / block all connections"
    OFF = "off", "Off"


class Protocol(models.TextChoices):
    TCP = "tcp", "TCP"
    UDP = "udp", "UDP"


class HistoryMixin:
    """Tags each change-log entry with the server, policy or IPsec policy it
    belongs to, so that their pages can show the changes of their parts."""

    def history_parents(self):
        """Return {"server": pk, "policy": pk, "ipsecpolicy": pk} as they apply."""
        return {}

    def get_additional_data(self):
        parents = {key: pk for key, pk in self.history_parents().items() if pk}
        # A link change names one server explicitly (see services.link_servers).
        linked = getattr(self, "_history_linked_server", None)
        if linked:
            parents["server"] = linked
        return parents or None


class NameClashOnNameMixin:
    """Reports a clash of a name unique within its policy or server on the
    name field, where the form and the API show it next to what to change.

    Django puts a clash of a constraint over several fields among the errors
    of no field.
    """

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict({})
            clashes = [
                item
                for item in errors.get(NON_FIELD_ERRORS, [])
                if getattr(item, "code", None) == "unique_together"
                and "name" in (item.params or {}).get("unique_check", ())
            ]
            if not clashes:
                raise
            errors[NON_FIELD_ERRORS] = [
                item for item in errors[NON_FIELD_ERRORS] if item not in clashes
            ]
            if not errors[NON_FIELD_ERRORS]:
                del errors[NON_FIELD_ERRORS]
            errors.setdefault("name", []).extend(clashes)
            raise ValidationError(errors) from None


def _policy_parents(policy_id):
    local_server_id = (
        Policy.objects.filter(pk=policy_id)
        .values_list("local_server_id", flat=True)
        .first()
    )
    return {"policy": policy_id, "server": local_server_id}


class Server(HistoryMixin, models.Model):
    """A Windows server whose firewall and IPsec picture the console keeps."""

    name = models.CharField(
        max_length=255, unique=True, validators=[validate_server_name]
    )
    fqdn = models.CharField(max_length=255, blank=True, validators=[validate_fqdn])
    era = models.CharField(max_length=10, choices=Era.choices, default=Era.XP)
    active_profile = models.CharField(
        max_length=10, choices=Profile.choices, default=Profile.DOMAIN
    )
    computer = models.ForeignKey(
        "directory.DirectoryObject",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="servers",
        help_text="The server's own computer account in the directory.",
    )
    owner = models.CharField(max_length=255, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("policies:server_detail", args=[self.pk])

    def history_parents(self):
        return {"server": self.pk}

    @property
    def profiles(self):
        """The firewall profiles of the server's era."""
        return PROFILES_BY_ERA[Era(self.era)]

    def clean(self):
        validate_plain_text(self.owner)
        if (
            self.era in Era.values
            and self.active_profile not in PROFILES_BY_ERA[self.era]
        ):
            raise ValidationError(
                {
                    "active_profile": f"The {self.get_era_display()} era has no "
                    f"{self.active_profile} profile."
                }
            )
        if self.computer_id and self.computer.kind != "computer":
            raise ValidationError(
                {"computer": f"{self.computer} is not a computer account."}
            )


class ServerAddress(HistoryMixin, models.Model):
    """One address of a server with its prefix length (what LocalSubnet means)."""

    server = models.ForeignKey(
        Server, on_delete=models.CASCADE, related_name="addresses"
    )
    address = models.GenericIPAddressField()
    prefix_length = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["server", "address"], name="serveraddress_unique"
            )
        ]

    def __str__(self):
        return f"{self.address}/{self.prefix_length}"

    def history_parents(self):
        return {"server": self.server_id}

    def clean(self):
        limit = 128 if ":" in (self.address or "") else 32
        if self.prefix_length is not None and self.prefix_length > limit:
            raise ValidationError(
                {"prefix_length": f"A prefix length is at most {limit} here."}
            )


class ListeningProgram(HistoryMixin, models.Model):
    """A program on a server and the ports it listens on, so that a program
    exception can be evaluated against a port."""

    server = models.ForeignKey(
        Server, on_delete=models.CASCADE, related_name="listening_programs"
    )
    program_path = models.CharField(max_length=500, validators=[validate_program_path])
    protocol = models.CharField(max_length=3, choices=Protocol.choices)
    ports = models.CharField(max_length=200, help_text="Ports or ranges, e.g. 80,443")

    class Meta:
        ordering = ["program_path", "protocol"]

    def __str__(self):
        return f"{self.program_path} {self.protocol}/{self.ports}"

    def history_parents(self):
        return {"server": self.server_id}

    def clean(self):
        _check_ports(self.ports)


class Policy(HistoryMixin, models.Model):
    """A named set of firewall, bypass and IPsec settings applied to servers.

    Shared policies behave like group policy objects with a link order: the
    lowest ``precedence`` number wins. A local policy belongs to one server and
    holds its own settings, which count only where no shared policy defines
    the same setting.
    """

    name = models.CharField(
        max_length=255, unique=True, validators=[validate_plain_text]
    )
    description = models.TextField(blank=True)
    era = models.CharField(
        max_length=10,
        choices=Era.choices,
        default=Era.XP,
        help_text="Which servers the policy is for: its settings follow that "
        "era's rules, and it links only to servers of that era.",
    )
    precedence = models.PositiveIntegerField(
        default=100, help_text="1 is the highest precedence (like GPO link order 1)."
    )
    local_server = models.OneToOneField(
        Server,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="local_policy",
        help_text="Set for the local settings of one server.",
    )
    servers = models.ManyToManyField(Server, blank=True, related_name="policies")

    # Firewall state per profile; empty means "not configured" by this policy.
    state_domain = models.CharField(
        max_length=10, choices=FirewallState.choices, blank=True
    )
    state_standard = models.CharField(
        max_length=10, choices=FirewallState.choices, blank=True
    )
    state_private = models.CharField(
        max_length=10, choices=FirewallState.choices, blank=True
    )
    state_public = models.CharField(
        max_length=10, choices=FirewallState.choices, blank=True
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["precedence", "name"]
        verbose_name_plural = "policies"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        if self.is_local:
            return self.local_server.get_absolute_url()
        return reverse("policies:policy_detail", args=[self.pk])

    @property
    def is_local(self):
        return self.local_server_id is not None

    def state_for(self, profile):
        """Return this policy's firewall state for a profile ('' if unset)."""
        return getattr(self, f"state_{profile}")

    def history_parents(self):
        return {"policy": self.pk, "server": self.local_server_id}

    def clean(self):
        errors = {}
        local_server = _related(self, "local_server")
        if local_server is not None:
            if self.era != local_server.era:
                errors["era"] = (
                    "A server's local policy has the server's era "
                    f"({local_server.get_era_display()})."
                )
        elif (self.name or "").lower().startswith(LOCAL_POLICY_PREFIX):
            errors["name"] = (
                f"Names starting with {LOCAL_POLICY_PREFIX!r} are kept for "
                "servers' local policies."
            )
        era_profiles = PROFILES_BY_ERA.get(self.era, ())
        for profile in Profile.values:
            if self.state_for(profile) and profile not in era_profiles:
                errors[f"state_{profile}"] = (
                    f"The {self.get_era_display()} era has no {profile} profile."
                )
        if errors:
            raise ValidationError(errors)


class FirewallRule(NameClashOnNameMixin, HistoryMixin, models.Model):
    """A firewall exception (XP era) or rule (later era).

    A port, program, ICMP type or predefined group, with the remote addresses
    it admits. Later-era rules may also block; rules from all policies are
    merged, a rule of the same name replacing a lower-precedence one.
    """

    class Kind(models.TextChoices):
        PORT = "port", "Port"
        PROGRAM = "program", "Program"
        ICMP = "icmp", "ICMP"
        PREDEFINED = "predefined", "Predefined group"

    class Action(models.TextChoices):
        ALLOW = "allow", "Allow"
        BLOCK = "block", "Block"

    class PredefinedGroup(models.TextChoices):
        FILE_AND_PRINTER_SHARING = "file_and_printer", "File and Printer Sharing"
        REMOTE_DESKTOP = "remote_desktop", "Remote Desktop"
        REMOTE_ADMINISTRATION = "remote_admin", "Remote Administration"

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=255, validators=[validate_plain_text])
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PORT)
    action = models.CharField(
        max_length=5, choices=Action.choices, default=Action.ALLOW
    )
    protocol = models.CharField(max_length=3, choices=Protocol.choices, blank=True)
    ports = models.CharField(
        max_length=500, blank=True, help_text="Ports or ranges: 445, 80,443, 5000-5100"
    )
    program_path = models.CharField(
        max_length=500, blank=True, validators=[validate_program_path]
    )
    icmp_type = models.PositiveSmallIntegerField(null=True, blank=True)
    predefined_group = models.CharField(
        max_length=20, choices=PredefinedGroup.choices, blank=True
    )
    scope = models.TextField(
        default="*",
        help_text="*, LocalSubnet, or addresses, CIDR and mask subnets "
        "(later era: also ranges, IPv6 and keywords), comma-separated.",
    )
    profiles = models.CharField(
        max_length=40,
        blank=True,
        help_text="Comma-separated profiles the rule applies to; empty is all.",
    )
    enabled = models.BooleanField(default=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["policy", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "name"], name="firewallrule_unique_name"
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("policies:firewallrule_detail", args=[self.pk])

    def history_parents(self):
        return _policy_parents(self.policy_id)

    @property
    def profile_list(self):
        return [name for name in self.profiles.split(",") if name]

    def clean(self):
        policy = _related(self, "policy")
        if policy is None:
            return
        era = policy.era
        errors = {}
        self._clean_kind_fields(era, errors)
        if self.action == self.Action.BLOCK and era == Era.XP:
            errors["action"] = (
                "XP-era firewalls have no block rules; leave the port closed "
                "(no exception) instead."
            )
        self.scope = (self.scope or "").strip()
        if self.kind == self.Kind.ICMP and era == Era.XP and self.scope != "*":
            errors["scope"] = "XP-era ICMP settings have no scope; use *."
        else:
            _collect(errors, "scope", validate_scope, self.scope, era)
        try:
            self.profiles = _clean_profiles(self.profiles, era)
        except ValidationError as error:
            errors["profiles"] = error.messages
        if errors:
            raise ValidationError(errors)

    def _clean_kind_fields(self, era, errors):
        kind = self.kind
        if kind != self.Kind.PREDEFINED and self.predefined_group:
            errors["predefined_group"] = "Only a predefined-group rule names a group."
        if kind != self.Kind.ICMP and self.icmp_type is not None:
            errors["icmp_type"] = "Only an ICMP rule has an ICMP type."
        if kind not in (self.Kind.PROGRAM,) and self.program_path:
            errors["program_path"] = "Only a program rule names a program."

        if kind == self.Kind.PORT:
            if not self.protocol:
                errors["protocol"] = "A port rule needs TCP or UDP."
            if not self.ports.strip():
                errors["ports"] = (
                    "A port rule needs ports (e.g. 445, 80,443, 5000-5100)."
                )
            else:
                _collect(errors, "ports", validate_ports, self.ports)
        elif kind == self.Kind.PROGRAM:
            if not self.program_path:
                errors["program_path"] = "A program rule needs the program's path."
            if era == Era.XP and (self.protocol or self.ports):
                errors["ports"] = (
                    "An XP-era program exception opens whatever ports the program "
                    "listens on; it names no protocol or ports."
                )
            elif self.ports.strip():
                if not self.protocol:
                    errors["protocol"] = "Ports need a protocol (TCP or UDP)."
                _collect(errors, "ports", validate_ports, self.ports)
        elif kind == self.Kind.ICMP:
            if self.icmp_type is None:
                errors["icmp_type"] = "An ICMP rule needs an ICMP type (0-255)."
            elif self.icmp_type > 255:
                errors["icmp_type"] = "An ICMP type is 0-255."
            elif era == Era.XP and self.icmp_type not in XP_ICMP_TYPES:
                errors["icmp_type"] = (
                    "XP-era ICMP settings cover types "
                    + ", ".join(str(number) for number in sorted(XP_ICMP_TYPES))
                    + " only."
                )
            if self.protocol or self.ports:
                errors["ports"] = "An ICMP rule names no protocol or ports."
        elif kind == self.Kind.PREDEFINED:
            if not self.predefined_group:
                errors["predefined_group"] = "Choose the predefined group."
            if self.protocol or self.ports:
                errors["ports"] = (
                    "A predefined group brings its own ports; name none here."
                )


class BypassRule(NameClashOnNameMixin, HistoryMixin, models.Model):
    """Authenticated IPsec bypass: IPsec-authenticated traffic from listed
    machines skips the firewall.

    XP era: one list per server, every port, machines only. Later era: an
    allow rule with "override block rules", optionally limited to ports, with
    authorized computers, optionally authorized users, and deny entries as
    exceptions.
    """

    class Security(models.TextChoices):
        AUTHENTICATE = "authenticate", "Require authentication (integrity)"
        AUTHENC = "authenc", "Require authentication and encryption"
        AUTHNOENCAP = "authnoencap", "Authentication without encapsulation"

    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="bypass_rules"
    )
    name = models.CharField(max_length=255, validators=[validate_plain_text])
    protocol = models.CharField(
        max_length=3, choices=Protocol.choices, blank=True, help_text="Empty: any."
    )
    ports = models.CharField(max_length=500, blank=True, help_text="Empty: every port.")
    security = models.CharField(
        max_length=12, choices=Security.choices, default=Security.AUTHENTICATE
    )
    enabled = models.BooleanField(default=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["policy", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "name"], name="bypassrule_unique_name"
            )
        ]

    # The entries a service is about to save with the rule; clean() checks
    # them as a whole (None: the entries are not being changed).
    pending_entries = None

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("policies:bypassrule_detail", args=[self.pk])

    def history_parents(self):
        return _policy_parents(self.policy_id)

    def clean(self):
        policy = _related(self, "policy")
        if policy is None:
            return
        era = policy.era
        errors = {}
        if era == Era.XP:
            if self.protocol or self.ports.strip():
                errors["ports"] = (
                    "An XP-era bypass covers every port; leave protocol and "
                    "ports empty."
                )
            siblings = BypassRule.objects.filter(policy_id=policy.pk)
            if policy.pk and siblings.exclude(pk=self.pk).exists():
                errors["name"] = (
                    "An XP-era policy holds one bypass list; edit the existing one."
                )
        elif self.ports.strip():
            if not self.protocol:
                errors["protocol"] = "Ports need a protocol (TCP or UDP)."
            _collect(errors, "ports", validate_ports, self.ports)
        if errors:
            raise ValidationError(errors)
        if self.pending_entries is not None:
            self.check_entries(self.pending_entries, era)

    def check_entries(self, entries, era=None):
        """Refuse a set of entries Windows would not take for this rule."""
        era = era or self.policy.era
        entries = list(entries)
        computers = [
            entry
            for entry in entries
            if entry.role == BypassEntry.Role.MACHINE and not entry.deny
        ]
        names_users = any(entry.role == BypassEntry.Role.USER for entry in entries)
        if era == Era.XP:
            if names_users:
                raise ValidationError(
                    "An XP-era bypass list holds computers and computer groups "
                    "only: XP/2003 IPsec authenticates machines, not users."
                )
            if any(entry.deny for entry in entries):
                raise ValidationError(
                    "An XP-era bypass list has no exception (deny) entries."
                )
        if not computers:
            if names_users:
                raise ValidationError(
                    "A bypass rule that authorizes users must also authorize at "
                    "least one computer or computer group: Windows refuses a "
                    "rule with users alone."
                )
            raise ValidationError(
                "A bypass rule must authorize at least one computer or computer group."
            )


class PrincipalReference(HistoryMixin, models.Model):
    """A directory principal named by SID, with the name it had when chosen."""

    sid = models.CharField(max_length=100, validators=[validate_sid])
    name = models.CharField(
        max_length=512, blank=True, validators=[validate_plain_text]
    )

    class Meta:
        abstract = True

    def __str__(self):
        return self.name or self.sid

    def allowed_kinds(self):
        """The directory kinds this reference may name."""
        return ("computer", "user", "group")

    def clean(self):
        _check_principal_kind(self)


class BypassEntry(PrincipalReference):
    """A machine, machine group, user or user group on a bypass rule."""

    class Role(models.TextChoices):
        MACHINE = "machine", "Authorized computer"
        USER = "user", "Authorized user"

    rule = models.ForeignKey(
        BypassRule, on_delete=models.CASCADE, related_name="entries"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MACHINE)
    deny = models.BooleanField(
        default=False, help_text="An exception: members are refused even if listed."
    )

    class Meta:
        ordering = ["role", "deny", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "sid", "role", "deny"], name="bypassentry_unique"
            )
        ]

    def history_parents(self):
        policy_id = (
            BypassRule.objects.filter(pk=self.rule_id)
            .values_list("policy_id", flat=True)
            .first()
        )
        return _policy_parents(policy_id) if policy_id else {}

    def allowed_kinds(self):
        if self.role == self.Role.USER:
            return ("user", "group")
        return ("computer", "group")

    def clean(self):
        super().clean()
        policy = _related(_related(self, "rule"), "policy")
        if policy is not None and policy.era == Era.XP:
            if self.role == self.Role.USER:
                raise ValidationError(
                    {"role": "XP-era bypass lists hold computers only."}
                )
            if self.deny:
                raise ValidationError(
                    {"deny": "XP-era bypass lists have no exception entries."}
                )


class AuthorizationEntry(PrincipalReference):
    """An entry of a later-era global IPsec authorization list (machines or
    users allowed to authenticate to the server at all)."""

    class ListKind(models.TextChoices):
        MACHINE = "machine", "Computers"
        USER = "user", "Users"

    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="authorization_entries"
    )
    list_kind = models.CharField(max_length=8, choices=ListKind.choices)
    deny = models.BooleanField(default=False)

    class Meta:
        ordering = ["list_kind", "deny", "name"]

    def history_parents(self):
        return _policy_parents(self.policy_id)

    def allowed_kinds(self):
        if self.list_kind == self.ListKind.USER:
            return ("user", "group")
        return ("computer", "group")

    def clean(self):
        super().clean()
        policy = _related(self, "policy")
        if policy is not None and policy.era == Era.XP:
            raise ValidationError(
                "Global IPsec authorization lists exist from Windows 7 / Server "
                "2008 R2 on; an XP-era policy has none."
            )


class IPsecPolicy(HistoryMixin, models.Model):
    """An IPsec policy or connection security rule between clients and servers:
    who negotiates, how peers authenticate and how traffic is protected."""

    class Authentication(models.TextChoices):
        KERBEROS = "kerberos", "Kerberos"
        CERTIFICATE = "certificate", "Certificate"
        PRESHARED_KEY = "psk", "Pre-shared key"

    class Protection(models.TextChoices):
        AH = "ah", "AH (signing)"
        ESP = "esp", "ESP (encryption)"
        ESP_NULL = "esp_null", "ESP null (integrity only)"

    class Mode(models.TextChoices):
        REQUEST = "request", "Request"
        REQUIRE = "require", "Require"

    name = models.CharField(
        max_length=255, unique=True, validators=[validate_plain_text]
    )
    description = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    servers = models.ManyToManyField(Server, blank=True, related_name="ipsec_policies")
    client_addresses = models.TextField(
        blank=True, help_text="Client addresses, CIDR subnets or ranges (optional)."
    )
    authentication = models.CharField(
        max_length=12, choices=Authentication.choices, default=Authentication.KERBEROS
    )
    protection = models.CharField(
        max_length=8, choices=Protection.choices, default=Protection.ESP
    )
    server_mode = models.CharField(
        max_length=8, choices=Mode.choices, default=Mode.REQUEST
    )
    user_authentication = models.BooleanField(
        default=False,
        help_text="Later era: second authentication of the user (AuthIP).",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "IPsec policy"
        verbose_name_plural = "IPsec policies"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("policies:ipsecpolicy_detail", args=[self.pk])

    def history_parents(self):
        return {"ipsecpolicy": self.pk}

    def clean(self):
        self.client_addresses = (self.client_addresses or "").strip()
        if not self.client_addresses:
            return
        errors = {}
        scope = _collect(
            errors,
            "client_addresses",
            validate_scope,
            self.client_addresses,
            Era.ADVANCED,
        )
        if scope is not None and (scope.any or scope.local_subnet or scope.keywords):
            errors["client_addresses"] = (
                "List client addresses, subnets or ranges (no * or keywords); "
                "leave it empty to cover clients by account only."
            )
        if errors:
            raise ValidationError(errors)


class IPsecClient(PrincipalReference):
    """A machine or machine group whose members the IPsec policy covers."""

    policy = models.ForeignKey(
        IPsecPolicy, on_delete=models.CASCADE, related_name="clients"
    )

    class Meta:
        ordering = ["name"]

    def history_parents(self):
        return {"ipsecpolicy": self.policy_id}

    def allowed_kinds(self):
        return ("computer", "group")


class AccessRequirement(NameClashOnNameMixin, HistoryMixin, models.Model):
    """Users must belong to given groups to use a server or one of its ports
    (the share, NTFS or database permission layer)."""

    server = models.ForeignKey(
        Server, on_delete=models.CASCADE, related_name="access_requirements"
    )
    name = models.CharField(max_length=255, validators=[validate_plain_text])
    protocol = models.CharField(max_length=3, choices=Protocol.choices, blank=True)
    ports = models.CharField(
        max_length=500, blank=True, help_text="Empty: the whole server."
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["server", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["server", "name"], name="accessrequirement_unique_name"
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("policies:accessrequirement_detail", args=[self.pk])

    def history_parents(self):
        return {"server": self.server_id}

    def clean(self):
        errors = {}
        if self.ports.strip():
            if not self.protocol:
                errors["protocol"] = "Ports need a protocol (TCP or UDP)."
            _collect(errors, "ports", validate_ports, self.ports)
        elif self.protocol:
            errors["ports"] = (
                "Name the ports, or clear the protocol for the whole server."
            )
        if errors:
            raise ValidationError(errors)


class AccessRequirementGroup(PrincipalReference):
    """A user group whose (nested) members satisfy an access requirement."""

    requirement = models.ForeignKey(
        AccessRequirement, on_delete=models.CASCADE, related_name="groups"
    )

    class Meta:
        ordering = ["name"]

    def history_parents(self):
        server_id = (
            AccessRequirement.objects.filter(pk=self.requirement_id)
            .values_list("server_id", flat=True)
            .first()
        )
        return {"server": server_id}

    def allowed_kinds(self):
        return ("group",)


# ICMP types the XP SP2 / Server 2003 "Windows Firewall: Allow ICMP exceptions"
# setting covers.
XP_ICMP_TYPES = frozenset({3, 4, 5, 8, 10, 11, 12, 13, 17})


def _collect(errors, field, check, *args):
    """Run a field check, filing its error under the field; return its result."""
    try:
        return check(*args)
    except ValidationError as error:
        errors.setdefault(field, []).extend(error.messages)
        return None


def _related(obj, name):
    """Return a related object, assigned (even unsaved) or stored; else None."""
    if obj is None:
        return None
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def _check_ports(text):
    try:
        validate_ports(text)
    except ValidationError as error:
        raise ValidationError({"ports": error.messages}) from None


def _clean_profiles(text, era):
    """Return the profile list in canonical order, or raise naming the stranger."""
    era_profiles = PROFILES_BY_ERA[Era(era)]
    names = [name.strip().lower() for name in (text or "").split(",") if name.strip()]
    strangers = [name for name in names if name not in era_profiles]
    if strangers:
        raise ValidationError(
            f"{', '.join(strangers)} is not a profile of this era "
            f"(choose from {', '.join(era_profiles)})."
        )
    return ",".join(profile for profile in era_profiles if profile in names)


def _check_principal_kind(reference):
    """Refuse a reference whose SID names the wrong kind of directory account."""
    from directory.models import DirectoryObject

    allowed = reference.allowed_kinds()
    if not reference.sid:
        return
    kinds = set(
        DirectoryObject.objects.filter(
            sid=reference.sid, deleted_at__isnull=True
        ).values_list("kind", flat=True)
    )
    if kinds and not kinds & set(allowed):
        found = ", ".join(sorted(kinds))
        raise ValidationError(
            {
                "sid": f"{reference.name or reference.sid} is a {found} account; "
                f"this list takes {' or '.join(allowed)} accounts."
            }
        )


class GroupSizeSample(models.Model):
    """The size of a group that policies name, as one sync run left it.

    Recorded after each run for the groups on bypass lists and access
    requirements, so the dashboard charts membership over time without
    recomputing history. Sizes count accounts at any depth of nesting (primary
    groups included), not the nested groups themselves.
    """

    run = models.ForeignKey(
        "directory.SyncRun", on_delete=models.CASCADE, related_name="group_sizes"
    )
    group = models.ForeignKey(
        "directory.DirectoryObject",
        on_delete=models.CASCADE,
        related_name="size_samples",
    )
    at = models.DateTimeField()
    accounts = models.PositiveIntegerField()
    computers = models.PositiveIntegerField()
    users = models.PositiveIntegerField()

    class Meta:
        ordering = ["group", "at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "group"], name="groupsizesample_unique_run_group"
            )
        ]
        indexes = [models.Index(fields=["group", "-at"])]

    def __str__(self):
        return f"{self.group} had {self.accounts} accounts at {self.at:%Y-%m-%d %H:%M}"


class RiskThresholds(models.Model):
    """The limits an administrator sets for the dashboard's risk findings.

    One row (pk 1); until an administrator saves it, the defaults apply.
    """

    SINGLETON_PK = 1

    broad_group_size = models.PositiveIntegerField(
        default=500,
        help_text="A group on a bypass list with more accounts than this (at any "
        "depth) is reported as broad.",
    )
    inactive_days = models.PositiveIntegerField(
        default=90,
        help_text="A computer in a bypass group that has not logged on for this "
        "many days is reported as inactive.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = "risk thresholds"
        verbose_name_plural = "risk thresholds"

    def __str__(self):
        return (
            f"broad groups above {self.broad_group_size} accounts, "
            f"inactive after {self.inactive_days} days"
        )

    def clean(self):
        if self.broad_group_size < 1:
            raise ValidationError({"broad_group_size": "Use at least 1 account."})
        if self.inactive_days < 1:
            raise ValidationError({"inactive_days": "Use at least 1 day."})

    @classmethod
    def current(cls):
        """Return the saved thresholds, or the defaults when none were saved."""
        return cls.objects.filter(pk=cls.SINGLETON_PK).first() or cls(
            pk=cls.SINGLETON_PK
        )
