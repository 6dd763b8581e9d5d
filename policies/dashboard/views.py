"""The dashboard: sync health, bypass exposure, membership over time, risks."""

from django.views.generic import TemplateView

from fwconsole.roles import Role, RoleRequiredMixin


class DashboardView(RoleRequiredMixin, TemplateView):
    required_role = Role.VIEWER
    template_name = "dashboard/home.html"
