"""The policies overview and the directory principal search."""

from django.views.generic import TemplateView

from fwconsole.roles import Role, RoleRequiredMixin
from policies import selectors


class PoliciesIndexView(RoleRequiredMixin, TemplateView):
    required_role = Role.VIEWER
    template_name = "policies/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.overview())
        return context


class PrincipalSearchView(RoleRequiredMixin, TemplateView):
    """Type-ahead results for a principal list (an htmx partial).

    The search runs on the synced directory tables with escaped ORM lookups;
    it never sends the text to a directory server.
    """

    required_role = Role.VIEWER
    template_name = "policies/partials/principal_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        text = self.request.GET.get("q", "")
        kinds = self.request.GET.get("kinds", "").split(",")
        context["results"] = selectors.search_principals(text, kinds)
        context["field"] = self.request.GET.get("field", "")
        context["too_short"] = len(text.strip()) < selectors.SEARCH_MIN_LENGTH
        context["limit"] = selectors.SEARCH_LIMIT
        return context
