"""The what-if pages: one query, reverse queries, impact of an edit."""

from django.views.generic import TemplateView

from fwconsole.roles import Role, RoleRequiredMixin


class WhatIfView(RoleRequiredMixin, TemplateView):
    required_role = Role.VIEWER
    template_name = "whatif/query.html"
