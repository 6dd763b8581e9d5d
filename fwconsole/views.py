"""Views of the project package: sign-in, health and the shared error page."""

import django_filters
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.shortcuts import render
from health_check.views import HealthCheckView

from fwconsole.roles import Role, public, role_required
from fwconsole.settings.ldap import DIRECTORY_BACKEND


class SignInView(auth_views.LoginView):
    """The sign-in form; it says so when domain accounts may sign in."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["directory_sign_in"] = (
            DIRECTORY_BACKEND in settings.AUTHENTICATION_BACKENDS
        )
        return context


login_view = public(SignInView.as_view())
logout_view = public(auth_views.LogoutView.as_view())

health_view = public(
    HealthCheckView.as_view(
        checks=(
            "health_check.checks.Database",
            "fwconsole.health.Broker",
            "fwconsole.health.Worker",
        ),
        template_name="fwconsole/health.html",
    )
)


def permission_denied(request, exception=None):
    """Render 403 in the console's layout with the reason the check gave."""
    reason = str(exception) if exception else "You do not have access to this page."
    return render(request, "fwconsole/no_role.html", {"reason": reason}, status=403)


class ChangeLogFilter(django_filters.FilterSet):
    """Narrow the change log by kind of object, action, author, name and date."""

    q = django_filters.CharFilter(
        field_name="object_repr", lookup_expr="icontains", label="Object name"
    )
    content_type = django_filters.ModelChoiceFilter(
        queryset=ContentType.objects.filter(
            pk__in=LogEntry.objects.values("content_type")
        ).order_by("app_label", "model"),
        label="Kind",
    )
    action = django_filters.ChoiceFilter(choices=LogEntry.Action.choices)
    actor = django_filters.CharFilter(
        field_name="actor__username", lookup_expr="iexact", label="Who"
    )
    since = django_filters.DateFilter(
        field_name="timestamp", lookup_expr="date__gte", label="From (date)"
    )
    until = django_filters.DateFilter(
        field_name="timestamp", lookup_expr="date__lte", label="Until (date)"
    )

    class Meta:
        model = LogEntry
        fields = ["q", "content_type", "action", "actor", "since", "until"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.form.fields.items():
            css = (
                "form-select" if name in ("content_type", "action") else "form-control"
            )
            field.widget.attrs["class"] = f"{css} form-control-sm"
            if name in ("since", "until"):
                field.widget.input_type = "date"


@role_required(Role.VIEWER)
def changelog_view(request):
    """List every recorded change to console objects, newest first, filterable."""
    entries = LogEntry.objects.select_related("actor", "content_type").order_by(
        "-timestamp", "-pk"
    )
    changes = ChangeLogFilter(request.GET, queryset=entries)
    page = Paginator(changes.qs, 50).get_page(request.GET.get("page"))
    return render(
        request, "fwconsole/changelog.html", {"page": page, "filter": changes}
    )
