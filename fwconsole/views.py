"""Views of the project package: sign-in, health and the shared error page."""

from auditlog.models import LogEntry
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.shortcuts import render
from health_check.views import HealthCheckView

from fwconsole.roles import Role, public, role_required

login_view = public(auth_views.LoginView.as_view(redirect_authenticated_user=True))
logout_view = public(auth_views.LogoutView.as_view())

health_view = public(
    HealthCheckView.as_view(
        checks=(
            "health_check.checks.Database",
            "fwconsole.health.Broker",
            "fwconsole.health.Worker",
        )
    )
)


def permission_denied(request, exception=None):
    """Render 403 in the console's layout with the reason the check gave."""
    reason = str(exception) if exception else "You do not have access to this page."
    return render(request, "fwconsole/no_role.html", {"reason": reason}, status=403)


@role_required(Role.VIEWER)
def changelog_view(request):
    """List every recorded change to console objects, newest first."""
    entries = LogEntry.objects.select_related("actor", "content_type").order_by(
        "-timestamp"
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "fwconsole/changelog.html", {"page": page})
