"""Console accounts: which directory groups give which console role, and which
console users come from the directory."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from fwconsole.auth.dn import normalize_dn


class RoleMapping(models.Model):
    """An Active Directory group whose members (direct or nested) get a console role.

    Read at every domain sign-in: removing a mapping, or a user from the group,
    takes the role away at the user's next sign-in.
    """

    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        EDITOR = "editor", "Editor"
        ADMIN = "admin", "Admin"

    group_dn = models.CharField(
        "group DN",
        max_length=1000,
        help_text="Distinguished name of the AD group, "
        "e.g. CN=Firewall editors,OU=Groups,DC=corp,DC=example.",
    )
    dn_key = models.CharField(max_length=1000, unique=True, editable=False)
    role = models.CharField(max_length=8, choices=Role.choices)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["role", "group_dn"]

    def __str__(self):
        return f"{self.group_dn} → {self.role}"

    def save(self, *args, **kwargs):
        self.dn_key = normalize_dn(self.group_dn)
        super().save(*args, **kwargs)

    def clean(self):
        try:
            self.dn_key = normalize_dn(self.group_dn)
        except ValueError as error:
            raise ValidationError({"group_dn": str(error)}) from error


class DirectoryAccount(models.Model):
    """The directory side of a console user who signs in with a domain account.

    A console user without one is a local account (such as the break-glass
    admin): domain sign-in never takes over a local account of the same name.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="directory_account",
    )
    dn = models.TextField()
    role_groups = models.JSONField(
        default=list,
        blank=True,
        help_text="Mapped groups the account was in at its last sign-in.",
    )
    last_checked_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.dn
