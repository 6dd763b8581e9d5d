"""Forms of the what-if pages. Names are resolved by the evaluator's lookup,
which reports a bad name on its field; the forms only shape the input."""

from django import forms

ASSUME_CHOICES = (
    ("", "Derive from the IPsec policies"),
    ("yes", "Assume IPsec was negotiated"),
    ("no", "Assume IPsec was not negotiated"),
)


def _names(value):
    """Split a comma- or newline-separated list of group names."""
    return [
        part.strip() for part in value.replace("\n", ",").split(",") if part.strip()
    ]


class BootstrapForm(forms.Form):
    """Gives the widgets Bootstrap's small form classes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select form-select-sm"
            else:
                widget.attrs["class"] = "form-control form-control-sm"


class WhatIfForm(BootstrapForm):
    client = forms.CharField(
        required=False,
        max_length=300,
        help_text="sAMAccountName (with or without $), DOMAIN\\NAME$ or DNS name.",
    )
    ip = forms.CharField(
        required=False,
        max_length=64,
        label="Client address",
        help_text="Wins over the addresses recorded for the machine.",
    )
    user = forms.CharField(
        required=False, max_length=300, help_text="sAMAccountName, DOMAIN\\user or UPN."
    )
    server = forms.CharField(max_length=300)
    service = forms.CharField(
        max_length=300,
        help_text="445/tcp, udp/161, icmp:echo-request or program:C:\\path\\app.exe",
    )
    assume_ipsec = forms.ChoiceField(
        choices=ASSUME_CHOICES, required=False, label="IPsec"
    )
    as_member = forms.CharField(
        required=False,
        label="Pretend the client is in",
        help_text="Group names, comma-separated.",
    )
    not_member = forms.CharField(required=False, label="Pretend the client is not in")
    user_as_member = forms.CharField(required=False, label="Pretend the user is in")
    user_not_member = forms.CharField(
        required=False, label="Pretend the user is not in"
    )
    other_client_era = forms.BooleanField(
        required=False, label="Pretend the client's OS were of the other era"
    )

    def query_inputs(self):
        """The cleaned data as keyword arguments of build_query."""
        data = self.cleaned_data
        return {
            "client": data["client"],
            "ip": data["ip"],
            "user": data["user"],
            "server": data["server"],
            "service": data["service"],
            "assume_ipsec": data["assume_ipsec"] or None,
            "as_member": _names(data["as_member"]),
            "not_member": _names(data["not_member"]),
            "user_as_member": _names(data["user_as_member"]),
            "user_not_member": _names(data["user_not_member"]),
            "other_client_era": data["other_client_era"],
        }


class WhoCanReachForm(BootstrapForm):
    server = forms.CharField(max_length=300)
    service = forms.CharField(max_length=300)
    user = forms.CharField(required=False, max_length=300)
    assume_ipsec = forms.ChoiceField(
        choices=ASSUME_CHOICES, required=False, label="IPsec"
    )


class WhatCanReachForm(BootstrapForm):
    client = forms.CharField(required=False, max_length=300)
    ip = forms.CharField(required=False, max_length=64, label="Client address")
    user = forms.CharField(required=False, max_length=300)
    assume_ipsec = forms.ChoiceField(
        choices=ASSUME_CHOICES, required=False, label="IPsec"
    )


class ImpactForm(forms.Form):
    """What a policy form posts to preview its edit (see views.ImpactView)."""

    OBJECTS = (
        ("firewall_rule", "Firewall exception or rule"),
        ("bypass_rule", "Bypass rule"),
        ("membership", "Group membership"),
    )

    object = forms.ChoiceField(choices=OBJECTS)
    delete = forms.BooleanField(required=False)
