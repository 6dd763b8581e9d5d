"""Forms of the directory pages: source settings, sync requests, LDIF upload."""

import os

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from directory.models import DirectorySource
from directory.validators import (
    parse_server_url,
    split_server_urls,
    validate_bind_name,
    validate_dn,
    validate_env_name,
    validate_ldap_filter,
)

SOURCE_FIELDS = [
    "name",
    "kind",
    "enabled",
    "server_urls",
    "start_tls",
    "verify_certificate",
    "ca_file",
    "bind_dn",
    "bind_password_env",
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
    "timeout_seconds",
    "page_size",
    "follow_referrals",
]

# Bounds of the numeric settings: (smallest, largest) accepted.
NUMBER_BOUNDS = {
    "sync_interval_minutes": (0, 7 * 24 * 60),
    "staleness_limit_hours": (1, 24 * 365),
    "shrink_threshold_percent": (1, 100),
    "timeout_seconds": (1, 3600),
    "page_size": (1, 10000),
}

FIELDSETS = (
    ("Source", ("name", "kind", "enabled")),
    (
        "Connection",
        (
            "server_urls",
            "start_tls",
            "verify_certificate",
            "ca_file",
            "timeout_seconds",
            "page_size",
            "follow_referrals",
        ),
    ),
    (
        "Credentials",
        ("bind_dn", "bind_password", "forget_bind_password", "bind_password_env"),
    ),
    (
        "What to read",
        (
            "base_dn",
            "computer_base",
            "computer_filter",
            "user_base",
            "user_filter",
            "group_base",
            "group_filter",
            "resolve_addresses",
        ),
    ),
    (
        "Schedule and safety",
        ("sync_interval_minutes", "staleness_limit_hours", "shrink_threshold_percent"),
    ),
)


def add_bootstrap_classes(form):
    """Give each widget of the form the Bootstrap class its kind needs."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = css
    return form


class BootstrapFormMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        add_bootstrap_classes(self)


class DirectorySourceForm(BootstrapFormMixin, forms.ModelForm):
    """Settings of one directory source.

    The bind password is write-only: it is never put back into the form, and an
    empty field on edit keeps the stored one. After ``is_valid()``,
    ``warnings`` lists settings that are accepted but weaken the source.
    """

    bind_password = forms.CharField(
        required=False,
        strip=False,
        max_length=500,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password"}
        ),
        help_text="Stored encrypted and never shown again.",
    )
    forget_bind_password = forms.BooleanField(
        required=False,
        label="Forget the stored password",
        help_text="Bind anonymously or with the environment variable instead.",
    )

    class Meta:
        model = DirectorySource
        fields = SOURCE_FIELDS
        widgets = {
            "server_urls": forms.Textarea(attrs={"rows": 3}),
            "computer_filter": forms.TextInput(),
            "user_filter": forms.TextInput(),
            "group_filter": forms.TextInput(),
        }
        labels = {
            "server_urls": "Server URLs",
            "start_tls": "StartTLS",
            "ca_file": "CA file",
            "bind_dn": "Bind DN",
            "bind_password_env": "Bind password from environment variable",
            "base_dn": "Base DN",
            "sync_interval_minutes": "Sync interval (minutes)",
            "staleness_limit_hours": "Staleness limit (hours)",
            "resolve_addresses": "Look up computer addresses in DNS",
            "shrink_threshold_percent": "Shrink threshold (%)",
            "timeout_seconds": "Timeout (seconds)",
        }
        help_texts = {
            "server_urls": "One ldaps://host[:port] or ldap://host[:port] per line, "
            "tried in order. ldap:// needs StartTLS: the bind password and the "
            "membership that decides bypass must not cross the network in clear.",
            "verify_certificate": "Check the server certificate against the CA "
            "file (or the system's CAs).",
            "bind_dn": "A DN; Active Directory also takes user@domain or DOMAIN\\user.",
            "base_dn": "Where computers, users and groups are searched unless "
            "a separate base is given.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.warnings = []
        has_stored = bool(self.instance.pk and self.instance.bind_password)
        if has_stored:
            self.fields[
                "bind_password"
            ].help_text = "A password is stored. Leave empty to keep it."
        else:
            del self.fields["forget_bind_password"]
        for name, (low, high) in NUMBER_BOUNDS.items():
            field = self.fields[name]
            field.validators += [MinValueValidator(low), MaxValueValidator(high)]
            field.widget.attrs.update(min=low, max=high)

    def fieldsets(self):
        """Return (title, bound fields) pairs in the order the page shows them."""
        return [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in FIELDSETS
        ]

    def clean_server_urls(self):
        urls = split_server_urls(self.cleaned_data["server_urls"])
        errors = []
        for url in urls:
            try:
                parse_server_url(url)
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return "\n".join(urls)

    def clean_bind_password_env(self):
        name = self.cleaned_data["bind_password_env"].strip()
        if name:
            validate_env_name(name)
        return name

    def _clean_optional(self, name, validator):
        value = self.cleaned_data.get(name, "").strip()
        if value:
            validator(value)
        return value

    def clean_base_dn(self):
        return self._clean_optional("base_dn", validate_dn)

    def clean_computer_base(self):
        return self._clean_optional("computer_base", validate_dn)

    def clean_user_base(self):
        return self._clean_optional("user_base", validate_dn)

    def clean_group_base(self):
        return self._clean_optional("group_base", validate_dn)

    def clean_computer_filter(self):
        return self._clean_optional("computer_filter", validate_ldap_filter)

    def clean_user_filter(self):
        return self._clean_optional("user_filter", validate_ldap_filter)

    def clean_group_filter(self):
        return self._clean_optional("group_filter", validate_ldap_filter)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind and kind != DirectorySource.Kind.LDIF:
            self._check_transport(cleaned)
            self._check_bind(cleaned, kind)
        self._collect_warnings(cleaned)
        return cleaned

    def _check_transport(self, cleaned):
        urls = cleaned.get("server_urls")
        if urls is None:
            return
        if not urls:
            self.add_error("server_urls", "A directory server needs at least one URL.")
            return
        start_tls = cleaned.get("start_tls")
        for url in split_server_urls(urls):
            scheme, _host, _port = parse_server_url(url)
            if scheme == "ldap" and not start_tls:
                self.add_error(
                    "server_urls",
                    f"{url} would send the bind password and the directory's "
                    "answers unencrypted: use ldaps:// or tick StartTLS.",
                )
            elif scheme == "ldaps" and start_tls:
                self.add_error(
                    "start_tls",
                    f"StartTLS upgrades ldap:// connections; {url} is already TLS.",
                )

    def _check_bind(self, cleaned, kind):
        bind_dn = cleaned.get("bind_dn", "").strip()
        cleaned["bind_dn"] = bind_dn
        if bind_dn:
            try:
                validate_bind_name(bind_dn, kind)
            except ValidationError as error:
                self.add_error("bind_dn", error)
        password = cleaned.get("bind_password")
        env_name = cleaned.get("bind_password_env")
        if password and env_name:
            self.add_error(
                "bind_password",
                "Give either a password or an environment variable, not both.",
            )
            return
        keeps_stored = bool(
            self.instance.pk
            and self.instance.bind_password
            and not cleaned.get("forget_bind_password")
        )
        if keeps_stored and not password and self._servers_changed(cleaned):
            self.add_error(
                "bind_password",
                "The servers changed: enter the bind password again. The stored "
                "one is only ever sent to the servers it was given for.",
            )
            return
        if bind_dn and not (password or env_name or keeps_stored):
            self.add_error(
                "bind_password",
                "A bind DN needs a password, or the name of an environment "
                "variable that holds it.",
            )
        if (password or env_name) and not bind_dn:
            self.add_error("bind_dn", "A bind password needs a bind DN.")

    def _servers_changed(self, cleaned):
        """True when the form names a server the stored password never went to."""
        before = {
            parse_server_url(url)[1:]
            for url in split_server_urls(self.instance.server_urls)
        }
        after = {
            parse_server_url(url)[1:]
            for url in split_server_urls(cleaned.get("server_urls") or "")
        }
        return not after <= before

    def _collect_warnings(self, cleaned):
        if cleaned.get("kind") == DirectorySource.Kind.LDIF:
            return
        if cleaned.get("verify_certificate") is False:
            self.warnings.append(
                "Certificate verification is off: anyone on the path can pose as "
                "the directory server and read the bind password."
            )
        ca_file = cleaned.get("ca_file", "")
        if ca_file and not os.path.isfile(ca_file):
            self.warnings.append(
                f"The CA file {ca_file} does not exist on this host; the worker "
                "that syncs must have it."
            )
        env_name = cleaned.get("bind_password_env")
        if env_name and env_name not in os.environ:
            self.warnings.append(
                f"The environment variable {env_name} is not set here; the worker "
                "that syncs must have it."
            )

    def save(self, commit=True):
        source = super().save(commit=False)
        password = self.cleaned_data.get("bind_password")
        if password:
            source.bind_password = password
        elif self.cleaned_data.get("bind_password_env") or self.cleaned_data.get(
            "forget_bind_password"
        ):
            source.bind_password = ""
        if commit:
            source.save()
        return source


class SyncRequestForm(BootstrapFormMixin, forms.Form):
    allow_shrink = forms.BooleanField(
        required=False,
        label="Apply even if it shrinks",
        help_text="For this run only: apply the result even if it holds far fewer "
        "objects than the last good run.",
    )


class LdifImportForm(BootstrapFormMixin, forms.Form):
    ldif_file = forms.FileField(
        label="LDIF file",
        help_text="Output of ldifde or ldapsearch -LLL (UTF-8, folded lines, "
        "base64 values and CRLF line ends are fine).",
    )
