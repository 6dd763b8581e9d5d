from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator

from fwconsole.models import RoleMapping

ROLE_CHOICES = [
    ("viewer", "Viewer: reads everything, runs what-if"),
    ("editor", "Editor: also changes policies"),
    ("admin", "Admin: also directory sources and console users"),
]


class BootstrapFormMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = (
                "form-select"
                if isinstance(field.widget, forms.Select)
                else "form-control"
            )
            field.widget.attrs.setdefault("class", css)


class LocalUserCreateForm(BootstrapFormMixin, forms.Form):
    username = forms.CharField(
        label="User name",
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="Letters, digits and @ . + - _ only.",
    )
    password1 = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(render_value=False)
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(render_value=False),
    )
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial="viewer")

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            try:
                password_validation.validate_password(first)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class RoleForm(BootstrapFormMixin, forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)


class RoleMappingForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = RoleMapping
        fields = ["group_dn", "role", "note"]
