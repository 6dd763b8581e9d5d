"""Firewall rule (exception) and authenticated-bypass rule pages."""

from django.http import Http404
from django.views.generic import DetailView

from fwconsole.roles import Role, RoleRequiredMixin
from policies import selectors
from policies.filters import BypassRuleFilter, FirewallRuleFilter
from policies.forms import BypassRuleForm, FirewallRuleForm
from policies.models import BypassRule, FirewallRule
from policies.tables import BypassRuleTable, FirewallRuleTable, rule_summary
from policies.views.base import (
    ObjectCreateView,
    ObjectDeleteView,
    ObjectListView,
    ObjectUpdateView,
)


class PolicyChildMixin:
    """Pages of objects that belong to a policy: back to the policy after."""

    def get_success_url(self):
        return self.object.get_absolute_url()

    def get_initial(self):
        initial = super().get_initial()
        if "policy" in self.request.GET:
            initial["policy"] = self.request.GET["policy"]
        return initial


def _parent_url(obj):
    return obj.policy.get_absolute_url()


class FirewallRuleListView(ObjectListView):
    model = FirewallRule
    table_class = FirewallRuleTable
    filterset_class = FirewallRuleFilter
    template_name = "policies/firewallrule_list.html"
    title = "Firewall rules and exceptions"
    create_url_name = "policies:firewallrule_create"

    def queryset_function(self):
        return selectors.rule_list()


class FirewallRuleDetailView(RoleRequiredMixin, DetailView):
    required_role = Role.VIEWER
    model = FirewallRule
    template_name = "policies/firewallrule_detail.html"

    def get_object(self, queryset=None):
        try:
            return selectors.rule_detail(self.kwargs["pk"])
        except FirewallRule.DoesNotExist:
            raise Http404("No such rule.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["summary"] = rule_summary(self.object)
        context["history"] = selectors.object_history(self.object)
        return context


class FirewallRuleFormMixin(PolicyChildMixin):
    model = FirewallRule
    form_class = FirewallRuleForm
    template_name = "policies/firewallrule_form.html"


class FirewallRuleCreateView(FirewallRuleFormMixin, ObjectCreateView):
    pass


class FirewallRuleUpdateView(FirewallRuleFormMixin, ObjectUpdateView):
    pass


class FirewallRuleDeleteView(ObjectDeleteView):
    model = FirewallRule

    def get_success_url(self):
        return _parent_url(self.object)


class BypassRuleListView(ObjectListView):
    model = BypassRule
    table_class = BypassRuleTable
    filterset_class = BypassRuleFilter
    template_name = "policies/bypassrule_list.html"
    title = "Authenticated bypass rules"
    create_url_name = "policies:bypassrule_create"

    def queryset_function(self):
        return selectors.bypass_rule_list()


class BypassRuleDetailView(RoleRequiredMixin, DetailView):
    required_role = Role.VIEWER
    model = BypassRule
    template_name = "policies/bypassrule_detail.html"

    def get_object(self, queryset=None):
        try:
            return selectors.bypass_rule_detail(self.kwargs["pk"])
        except BypassRule.DoesNotExist:
            raise Http404("No such bypass rule.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["entries"] = selectors.principal_rows(self.object.entries.all())
        context["history"] = selectors.object_history(self.object)
        return context


class BypassRuleFormMixin(PolicyChildMixin):
    model = BypassRule
    form_class = BypassRuleForm
    template_name = "policies/bypassrule_form.html"
    error_field = "computers"


class BypassRuleCreateView(BypassRuleFormMixin, ObjectCreateView):
    pass


class BypassRuleUpdateView(BypassRuleFormMixin, ObjectUpdateView):
    pass


class BypassRuleDeleteView(ObjectDeleteView):
    model = BypassRule

    def get_success_url(self):
        return _parent_url(self.object)
