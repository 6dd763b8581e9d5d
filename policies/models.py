"""Servers and the firewall and IPsec settings that apply to them.

Settings come in policies. A shared policy (like a group policy object) applies
to many servers; every server also has one local policy holding its own
settings. For each setting the highest-precedence policy that defines it wins,
and the local policy counts only where no shared policy defines the setting
(see policies.effective).

Directory principals (machines, groups, users) are referenced by SID with the
name they had when chosen, so a rename in the directory changes nothing here.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse


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


class Server(models.Model):
    """A Windows server whose firewall and IPsec picture the console keeps."""

    name = models.CharField(max_length=255, unique=True)
    fqdn = models.CharField(max_length=255, blank=True)
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

    def clean(self):
        if self.active_profile not in PROFILES_BY_ERA[self.era]:
            raise ValidationError(
                {
                    "active_profile": f"The {self.get_era_display()} era has no "
                    f"{self.active_profile} profile."
                }
            )


class ServerAddress(models.Model):
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

    def clean(self):
        limit = 128 if ":" in (self.address or "") else 32
        if self.prefix_length is not None and self.prefix_length > limit:
            raise ValidationError(
                {"prefix_length": f"A prefix length is at most {limit} here."}
            )


class ListeningProgram(models.Model):
    """A program on a server and the ports it listens on, so that a program
    exception can be evaluated against a port."""

    server = models.ForeignKey(
        Server, on_delete=models.CASCADE, related_name="listening_programs"
    )
    program_path = models.CharField(max_length=500)
    protocol = models.CharField(max_length=3, choices=Protocol.choices)
    ports = models.CharField(max_length=200, help_text="Ports or ranges, e.g. 80,443")

    class Meta:
        ordering = ["program_path", "protocol"]

    def __str__(self):
        return f"{self.program_path} {self.protocol}/{self.ports}"


class Policy(models.Model):
    """A named set of firewall, bypass and IPsec settings applied to servers.

    Shared policies behave like group policy objects with a link order: the
    lowest ``precedence`` number wins. A local policy belongs to one server and
    holds its own settings, which count only where no shared policy defines
    the same setting.
    """

    name = models.CharField(max_length=255, unique=True)
    description = models.TextField(blank=True)
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


class FirewallRule(models.Model):
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
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PORT)
    action = models.CharField(
        max_length=5, choices=Action.choices, default=Action.ALLOW
    )
    protocol = models.CharField(max_length=3, choices=Protocol.choices, blank=True)
    ports = models.CharField(
        max_length=500, blank=True, help_text="Ports or ranges: 445, 80,443, 5000-5100"
    )
    program_path = models.CharField(max_length=500, blank=True)
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


class BypassRule(models.Model):
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
    name = models.CharField(max_length=255)
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

    def __str__(self):
        return self.name


class PrincipalReference(models.Model):
    """A directory principal named by SID, with the name it had when chosen."""

    sid = models.CharField(max_length=100)
    name = models.CharField(max_length=512, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name or self.sid


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


class IPsecPolicy(models.Model):
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

    name = models.CharField(max_length=255, unique=True)
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


class IPsecClient(PrincipalReference):
    """A machine or machine group whose members the IPsec policy covers."""

    policy = models.ForeignKey(
        IPsecPolicy, on_delete=models.CASCADE, related_name="clients"
    )

    class Meta:
        ordering = ["name"]


class AccessRequirement(models.Model):
    """Users must belong to given groups to use a server or one of its ports
    (the share, NTFS or database permission layer)."""

    server = models.ForeignKey(
        Server, on_delete=models.CASCADE, related_name="access_requirements"
    )
    name = models.CharField(max_length=255)
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


class AccessRequirementGroup(PrincipalReference):
    """A user group whose (nested) members satisfy an access requirement."""

    requirement = models.ForeignKey(
        AccessRequirement, on_delete=models.CASCADE, related_name="groups"
    )

    class Meta:
        ordering = ["name"]
