"""Shared policy pages: list, detail with rules and history, edit."""

from django.http import Http404
from django.urls import reverse_lazy
from django.views.generic import DetailView

from fwconsole.roles import Role, RoleRequiredMixin
from policies import selectors
from policies.filters import PolicyFilter
from policies.forms import PolicyForm
from policies.models import Policy
from policies.tables import PolicyTable
from policies.views.base import (
    ObjectCreateView,
    ObjectDeleteView,
    ObjectListView,
    ObjectUpdateView,
)


class PolicyListView(ObjectListView):
    model = Policy
    table_class = PolicyTable
    filterset_class = PolicyFilter
    template_name = "policies/policy_list.html"
    title = "Shared policies"
    create_url_name = "policies:policy_create"

    def queryset_function(self):
        return selectors.policy_list()


class PolicyDetailView(RoleRequiredMixin, DetailView):
    required_role = Role.VIEWER
    model = Policy
    template_name = "policies/policy_detail.html"

    def get_object(self, queryset=None):
        try:
            return selectors.policy_detail(self.kwargs["pk"])
        except Policy.DoesNotExist:
            raise Http404("No such shared policy.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        policy = self.object
        rules, bypass_rules = selectors.policy_contents(policy)
        context["rules"] = rules
        context["bypass_rules"] = [
            (rule, selectors.principal_rows(rule.entries.all()))
            for rule in bypass_rules
        ]
        context["authorization"] = selectors.principal_rows(
            policy.authorization_entries.all()
        )
        context["history"] = selectors.policy_history(policy)
        return context


class SharedPolicyMixin:
    model = Policy
    form_class = PolicyForm
    template_name = "policies/policy_form.html"

    def get_queryset(self):
        return selectors.shared_policies()

    def get_success_url(self):
        return self.object.get_absolute_url()


class PolicyCreateView(SharedPolicyMixin, ObjectCreateView):
    pass


class PolicyUpdateView(SharedPolicyMixin, ObjectUpdateView):
    pass


class PolicyDeleteView(ObjectDeleteView):
    model = Policy
    success_url = reverse_lazy("policies:policy_list")

    def get_queryset(self):
        return selectors.shared_policies()
