"""Forms of the policy pages.

Field checks come from the models (``clean``) and policies.validators; a
form's ``save`` hands the cleaned values to policies.services, and any
ValidationError the service raises lands on the field it names.
"""

import ipaddress

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse

from directory.models import DirectoryObject
from policies import selectors, services
from policies.ascode import yamlio
from policies.models import (
    AccessRequirement,
    AuthorizationEntry,
    BypassEntry,
    BypassRule,
    Era,
    FirewallRule,
    FirewallState,
    IPsecPolicy,
    ListeningProgram,
    Policy,
    Profile,
    Server,
    ServerAddress,
)
from policies.validators import (
    PREFIX_LENGTH_RE,
    validate_plain_text,
    validate_sid,
)

STATE_CHOICES = [("", "Not configured")] + list(FirewallState.choices)
STATE_FIELDS = [f"state_{profile}" for profile in Profile.values]
DENY = "deny"


class BootstrapMixin:
    """Give every widget Bootstrap's classes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, PrincipalListWidget):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                css = ""
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            if css:
                widget.attrs["class"] = (
                    widget.attrs.get("class", "") + " " + css
                ).strip()

    def add_service_errors(self, error, default_field=None):
        """File a service's ValidationError under the form's own fields."""
        if not hasattr(error, "error_dict"):
            self.add_error(default_field, error)
            return
        for field, messages in error.message_dict.items():
            if field in self.fields:
                self.add_error(field, messages)
            elif field == NON_FIELD_ERRORS:
                self.add_error(default_field, messages)
            else:
                self.add_error(None, [f"{field}: {message}" for message in messages])


# ---------------------------------------------------------------------------
# Directory principals chosen by search


class PrincipalListWidget(forms.Widget):
    """Rows of principals (SID + name), added by a type-ahead search.

    Each row posts ``<name>-sid``, ``<name>-name`` and ``<name>-access``
    (allow or deny) as parallel lists; policies/static/policies/principals.js
    adds rows from the search results and removes them.
    """

    template_name = "policies/widgets/principal_list.html"

    def __init__(self, kinds, with_deny=False, attrs=None):
        super().__init__(attrs)
        self.kinds = tuple(kinds)
        self.with_deny = with_deny

    def value_from_datadict(self, data, files, name):
        sids = data.getlist(f"{name}-sid")
        names = data.getlist(f"{name}-name")
        access = data.getlist(f"{name}-access")
        rows = []
        for index, sid in enumerate(sids):
            rows.append(
                {
                    "sid": sid.strip(),
                    "name": names[index].strip() if index < len(names) else "",
                    "deny": index < len(access) and access[index] == DENY,
                }
            )
        return rows

    def value_omitted_from_data(self, data, files, name):
        return False

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = list(value or [])
        current = selectors.resolve_principals(row["sid"] for row in rows)
        context["widget"].update(
            {
                "rows": [{**row, "current": current.get(row["sid"])} for row in rows],
                "kinds": ",".join(self.kinds),
                "kind_labels": " or ".join(
                    DirectoryObject.Kind(kind).label.lower() + "s"
                    for kind in self.kinds
                ),
                "with_deny": self.with_deny,
                "search_url": reverse("policies:principal_search"),
            }
        )
        return context


class PrincipalListField(forms.Field):
    """A list of directory principals stored by SID with their current name."""

    def __init__(self, *, kinds, with_deny=False, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(widget=PrincipalListWidget(kinds, with_deny), **kwargs)
        self.with_deny = with_deny

    def to_python(self, value):
        return [row for row in (value or []) if row.get("sid") or row.get("name")]

    def validate(self, value):
        super().validate(value)
        errors = []
        seen = set()
        for index, row in enumerate(value, start=1):
            label = row["name"] or row["sid"] or f"row {index}"
            try:
                validate_sid(row["sid"])
                validate_plain_text(row["name"])
            except ValidationError as error:
                errors.extend(f"{label}: {message}" for message in error.messages)
            key = (row["sid"], row["deny"])
            if key in seen:
                errors.append(f"{label} is listed twice.")
            seen.add(key)
            if row["deny"] and not self.with_deny:
                errors.append(f"{label}: this list has no exception entries.")
        if errors:
            raise ValidationError(errors)


def principal_initial(references, *, role=None):
    rows = []
    for reference in references:
        if role is not None and reference.role != role:
            continue
        rows.append(
            {
                "sid": reference.sid,
                "name": reference.name,
                "deny": getattr(reference, "deny", False),
            }
        )
    return rows


def authorization_initial(policy):
    """Initial rows of the two authorization-list fields of a policy."""
    entries = list(policy.authorization_entries.all())
    rows = principal_initial(entries)
    return {
        "authorized_computers": [
            row
            for row, entry in zip(rows, entries, strict=True)
            if entry.list_kind == AuthorizationEntry.ListKind.MACHINE
        ],
        "authorized_users": [
            row
            for row, entry in zip(rows, entries, strict=True)
            if entry.list_kind == AuthorizationEntry.ListKind.USER
        ],
    }


def authorization_entries(data):
    """The authorization entries the two list fields of a form hold."""
    return [
        {**row, "list_kind": AuthorizationEntry.ListKind.MACHINE}
        for row in data.get("authorized_computers", [])
    ] + [
        {**row, "list_kind": AuthorizationEntry.ListKind.USER}
        for row in data.get("authorized_users", [])
    ]


# ---------------------------------------------------------------------------
# Servers


class ServerForm(BootstrapMixin, forms.ModelForm):
    computer_account = forms.CharField(
        required=False,
        label="Computer account",
        help_text="The server's own account in the directory: name or SID.",
    )
    addresses = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
        help_text="One address with its prefix length per line, e.g. 10.20.1.10/24 "
        "or 2001:db8::10/64. The prefix is what LocalSubnet means.",
    )
    state_domain = forms.ChoiceField(
        choices=STATE_CHOICES, required=False, label="Domain profile"
    )
    state_standard = forms.ChoiceField(
        choices=STATE_CHOICES, required=False, label="Standard profile (XP era)"
    )
    state_private = forms.ChoiceField(
        choices=STATE_CHOICES, required=False, label="Private profile (later era)"
    )
    state_public = forms.ChoiceField(
        choices=STATE_CHOICES, required=False, label="Public profile (later era)"
    )
    authorized_computers = PrincipalListField(
        kinds=("computer", "group"),
        with_deny=True,
        label="IPsec authorization list: computers (later era, local)",
        help_text="Only these computers may authenticate to this server at all, "
        "unless a shared policy defines the list. Empty: not configured.",
    )
    authorized_users = PrincipalListField(
        kinds=("user", "group"),
        with_deny=True,
        label="IPsec authorization list: users (later era, local)",
    )

    class Meta:
        model = Server
        fields = ["name", "fqdn", "era", "active_profile", "owner", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        server = self.instance
        if server.pk:
            self.initial["addresses"] = "\n".join(
                str(address) for address in server.addresses.all()
            )
            if server.computer_id:
                self.initial["computer_account"] = server.computer.display_label
            local = getattr(server, "local_policy", None)
            for name in STATE_FIELDS:
                self.initial[name] = getattr(local, name, "") if local else ""
            if local is not None:
                self.initial.update(authorization_initial(local))

    def fieldsets(self):
        return [
            ("Server", ["name", "fqdn", "computer_account", "owner", "notes"]),
            ("Windows", ["era", "active_profile", "addresses"]),
            ("Firewall state (local settings)", STATE_FIELDS),
            (
                "Global IPsec authorization (local settings)",
                ["authorized_computers", "authorized_users"],
            ),
        ]

    def clean_computer_account(self):
        text = self.cleaned_data["computer_account"].strip()
        if not text:
            return None
        computers = DirectoryObject.objects.filter(
            kind=DirectoryObject.Kind.COMPUTER, deleted_at__isnull=True
        )
        if text.upper().startswith("S-1-"):
            matches = list(computers.filter(sid=text)[:2])
        else:
            lookup = text.rsplit("\\", 1)[-1].removesuffix("$").casefold()
            matches = list(computers.filter(lookup_name=lookup)[:2])
        if not matches:
            raise ValidationError(f"No computer account named {text} in the directory.")
        if len(matches) > 1:
            raise ValidationError(
                f"{text} names computers in several directories; give the SID."
            )
        return matches[0]

    def clean_addresses(self):
        pairs = []
        errors = []
        seen = set()
        lines = self.cleaned_data["addresses"].splitlines()
        for number, line in enumerate(lines, start=1):
            text = line.strip()
            if not text:
                continue
            try:
                pair = _parse_address_line(text)
            except ValidationError as error:
                errors.extend(f"Line {number}: {message}" for message in error.messages)
                continue
            if pair[0] in seen:
                errors.append(f"Line {number}: {pair[0]} is listed twice.")
            seen.add(pair[0])
            pairs.append(pair)
        if errors:
            raise ValidationError(errors)
        return pairs

    def clean(self):
        cleaned = super().clean()
        era = cleaned.get("era")
        if era:
            profiles = Server(era=era).profiles
            for name in STATE_FIELDS:
                profile = name.removeprefix("state_")
                if cleaned.get(name) and profile not in profiles:
                    self.add_error(
                        name, f"Servers of this era have no {profile} profile."
                    )
        if era == Era.XP:
            for name in ("authorized_computers", "authorized_users"):
                if cleaned.get(name):
                    self.add_error(
                        name,
                        "Global IPsec authorization lists exist from Windows 7 / "
                        "Server 2008 R2 on; an XP-era server has none.",
                    )
        return cleaned

    def save(self, commit=True):
        data = self.cleaned_data
        fields = {name: data[name] for name in self.Meta.fields}
        fields["computer"] = data.get("computer_account")
        states = {name: data.get(name, "") for name in STATE_FIELDS}
        if self.instance.pk:
            server = services.update_server(
                server=self.instance, states=states, **fields
            )
            services.set_server_addresses(server=server, addresses=data["addresses"])
        else:
            server = services.create_server(
                states=states, addresses=data["addresses"], **fields
            )
        services.save_policy(
            policy=services.ensure_local_policy(server=server),
            authorization=authorization_entries(data),
        )
        return server


def _parse_address_line(text):
    address_text, slash, prefix_text = text.partition("/")
    try:
        address = ipaddress.ip_address(address_text.strip())
    except ValueError:
        raise ValidationError(
            f"{address_text.strip()!r} is not an IP address."
        ) from None
    if not slash or not PREFIX_LENGTH_RE.fullmatch(prefix_text.strip()):
        raise ValidationError(
            f"{text!r} needs a prefix length, e.g. {address}/24 "
            "(it says what LocalSubnet covers)."
        )
    item = ServerAddress(address=str(address), prefix_length=int(prefix_text))
    item.full_clean(exclude=["server"], validate_unique=False)
    return (item.address, item.prefix_length)


class ListeningProgramForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ListeningProgram
        fields = ["program_path", "protocol", "ports"]


ListeningProgramFormSet = forms.inlineformset_factory(
    Server,
    ListeningProgram,
    form=ListeningProgramForm,
    extra=2,
    can_delete=True,
)


# ---------------------------------------------------------------------------
# Shared policies


class PolicyForm(BootstrapMixin, forms.ModelForm):
    authorized_computers = PrincipalListField(
        kinds=("computer", "group"),
        with_deny=True,
        label="IPsec authorization list: computers (later era)",
        help_text="Only these computers may authenticate to the servers at all "
        "(Windows 7 / 2008 R2 and later). Empty: not configured.",
    )
    authorized_users = PrincipalListField(
        kinds=("user", "group"),
        with_deny=True,
        label="IPsec authorization list: users (later era)",
    )

    class Meta:
        model = Policy
        fields = ["name", "era", "precedence", "description", "servers", *STATE_FIELDS]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "servers": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["servers"].queryset = Server.objects.order_by("name")
        self.fields["servers"].help_text = "Servers of the policy's era only."
        for name in STATE_FIELDS:
            self.fields[name].label = f"{name.removeprefix('state_').title()} profile"
        if self.instance.pk:
            self.initial.update(authorization_initial(self.instance))

    def fieldsets(self):
        return [
            ("Policy", ["name", "era", "precedence", "description", "servers"]),
            ("Firewall state", STATE_FIELDS),
            (
                "Global IPsec authorization",
                ["authorized_computers", "authorized_users"],
            ),
        ]

    def save(self, commit=True):
        data = self.cleaned_data
        return services.save_policy(
            policy=self.instance,
            servers=data["servers"],
            authorization=authorization_entries(data),
        )


# ---------------------------------------------------------------------------
# Firewall rules


class PolicyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        if obj.local_server_id:
            return f"{obj.local_server.name} (local settings, {obj.get_era_display()})"
        return f"{obj.name} (shared, {obj.get_era_display()})"


class FirewallRuleForm(BootstrapMixin, forms.ModelForm):
    policy = PolicyChoiceField(queryset=Policy.objects.none())
    profiles = forms.MultipleChoiceField(
        choices=Profile.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every profile of the era.",
    )

    class Meta:
        model = FirewallRule
        fields = [
            "policy",
            "name",
            "kind",
            "action",
            "protocol",
            "ports",
            "program_path",
            "icmp_type",
            "predefined_group",
            "scope",
            "profiles",
            "enabled",
            "description",
        ]
        widgets = {
            "scope": forms.TextInput(attrs={"class": "mono"}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].queryset = selectors.policy_choices()
        if self.instance.pk:
            self.initial["profiles"] = self.instance.profile_list

    def fieldsets(self):
        return [
            ("Rule", ["policy", "name", "kind", "action", "enabled", "description"]),
            (
                "What it opens",
                ["protocol", "ports", "program_path", "icmp_type", "predefined_group"],
            ),
            ("Who may connect", ["scope", "profiles"]),
        ]

    def clean_profiles(self):
        return ",".join(self.cleaned_data["profiles"])

    def save(self, commit=True):
        return services.save_object(obj=self.instance)


# ---------------------------------------------------------------------------
# Bypass rules


class BypassRuleForm(BootstrapMixin, forms.ModelForm):
    policy = PolicyChoiceField(queryset=Policy.objects.none())
    computers = PrincipalListField(
        kinds=("computer", "group"),
        with_deny=True,
        label="Authorized computers",
        help_text="Computer accounts and groups of computers whose IPsec-"
        "authenticated traffic bypasses the firewall. Later era: an exception "
        "(deny) entry refuses its members even if listed.",
    )
    users = PrincipalListField(
        kinds=("user", "group"),
        with_deny=True,
        label="Authorized users (later era)",
        help_text="Optional: the user must also be authorized (AuthIP). A rule "
        "with users needs at least one authorized computer.",
    )

    class Meta:
        model = BypassRule
        fields = [
            "policy",
            "name",
            "protocol",
            "ports",
            "security",
            "enabled",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].queryset = selectors.policy_choices()
        if self.instance.pk:
            entries = list(self.instance.entries.all())
            self.initial["computers"] = principal_initial(
                entries, role=BypassEntry.Role.MACHINE
            )
            self.initial["users"] = principal_initial(
                entries, role=BypassEntry.Role.USER
            )

    def fieldsets(self):
        return [
            ("Rule", ["policy", "name", "enabled", "description"]),
            ("Traffic (later era)", ["protocol", "ports", "security"]),
            ("Who bypasses", ["computers", "users"]),
        ]

    def entries(self):
        data = self.cleaned_data
        return [
            {**row, "role": BypassEntry.Role.MACHINE}
            for row in data.get("computers", [])
        ] + [{**row, "role": BypassEntry.Role.USER} for row in data.get("users", [])]

    def _post_clean(self):
        super()._post_clean()
        if self.errors or self.instance.policy_id is None:
            return
        # The rule and its entries are one invariant: check them together
        # so that a refusal shows before anything is saved.
        try:
            self.instance.check_entries(
                [services._as_bypass_entry(item) for item in self.entries()]
            )
        except ValidationError as error:
            self.add_error("computers", error)

    def save(self, commit=True):
        return services.save_bypass_rule(rule=self.instance, entries=self.entries())


# ---------------------------------------------------------------------------
# IPsec policies and access requirements


class IPsecPolicyForm(BootstrapMixin, forms.ModelForm):
    clients = PrincipalListField(
        kinds=("computer", "group"),
        label="Client machines and machine groups",
        help_text="Whose traffic the policy covers (with the addresses below).",
    )

    class Meta:
        model = IPsecPolicy
        fields = [
            "name",
            "description",
            "enabled",
            "servers",
            "client_addresses",
            "authentication",
            "protection",
            "server_mode",
            "user_authentication",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "client_addresses": forms.TextInput(attrs={"class": "mono"}),
            "servers": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["servers"].queryset = Server.objects.order_by("name")
        if self.instance.pk:
            self.initial["clients"] = principal_initial(self.instance.clients.all())

    def fieldsets(self):
        return [
            ("IPsec policy", ["name", "description", "enabled", "servers"]),
            ("Clients", ["clients", "client_addresses"]),
            (
                "Negotiation",
                ["authentication", "protection", "server_mode", "user_authentication"],
            ),
        ]

    def save(self, commit=True):
        data = self.cleaned_data
        return services.save_ipsec_policy(
            policy=self.instance, clients=data["clients"], servers=data["servers"]
        )


class AccessRequirementForm(BootstrapMixin, forms.ModelForm):
    groups = PrincipalListField(
        kinds=("group",),
        label="User groups",
        help_text="The user must be an enabled member (directly or nested) of one "
        "of these groups.",
    )

    class Meta:
        model = AccessRequirement
        fields = ["server", "name", "protocol", "ports", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["server"].queryset = Server.objects.order_by("name")
        if self.instance.pk:
            self.initial["groups"] = principal_initial(self.instance.groups.all())

    def fieldsets(self):
        return [
            ("Requirement", ["server", "name", "protocol", "ports", "description"]),
            ("Who may use it", ["groups"]),
        ]

    def clean_groups(self):
        groups = self.cleaned_data["groups"]
        if not groups:
            raise ValidationError("Name at least one user group.")
        return groups

    def save(self, commit=True):
        return services.save_access_requirement(
            requirement=self.instance, groups=self.cleaned_data["groups"]
        )


# ---------------------------------------------------------------------------
# Policy as code


class PolicyImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        help_text="A YAML file written by the export (or by hand in its format)."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > yamlio.MAX_FILE_BYTES:
            raise ValidationError(yamlio.too_large_message(upload.size, "bytes"))
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("The file is not UTF-8 text.") from None
