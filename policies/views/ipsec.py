"""IPsec policy and user access requirement pages."""

from django.http import Http404
from django.urls import reverse_lazy
from django.views.generic import DetailView

from fwconsole.roles import Role, RoleRequiredMixin
from policies import selectors
from policies.filters import AccessRequirementFilter, IPsecPolicyFilter
from policies.forms import AccessRequirementForm, IPsecPolicyForm
from policies.models import AccessRequirement, IPsecPolicy
from policies.tables import AccessRequirementTable, IPsecPolicyTable
from policies.views.base import (
    ObjectCreateView,
    ObjectDeleteView,
    ObjectListView,
    ObjectUpdateView,
)


class IPsecPolicyListView(ObjectListView):
    model = IPsecPolicy
    table_class = IPsecPolicyTable
    filterset_class = IPsecPolicyFilter
    template_name = "policies/ipsecpolicy_list.html"
    title = "IPsec policies"
    create_url_name = "policies:ipsecpolicy_create"

    def queryset_function(self):
        return selectors.ipsec_policy_list()


class IPsecPolicyDetailView(RoleRequiredMixin, DetailView):
    required_role = Role.VIEWER
    model = IPsecPolicy
    template_name = "policies/ipsecpolicy_detail.html"

    def get_queryset(self):
        return IPsecPolicy.objects.prefetch_related("servers", "clients")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["clients"] = selectors.principal_rows(self.object.clients.all())
        context["history"] = selectors.ipsec_policy_history(self.object)
        return context


class IPsecPolicyFormMixin:
    model = IPsecPolicy
    form_class = IPsecPolicyForm
    template_name = "policies/ipsecpolicy_form.html"

    def get_success_url(self):
        return self.object.get_absolute_url()


class IPsecPolicyCreateView(IPsecPolicyFormMixin, ObjectCreateView):
    pass


class IPsecPolicyUpdateView(IPsecPolicyFormMixin, ObjectUpdateView):
    pass


class IPsecPolicyDeleteView(ObjectDeleteView):
    model = IPsecPolicy
    success_url = reverse_lazy("policies:ipsecpolicy_list")


class AccessRequirementListView(ObjectListView):
    model = AccessRequirement
    table_class = AccessRequirementTable
    filterset_class = AccessRequirementFilter
    template_name = "policies/accessrequirement_list.html"
    title = "User access requirements"
    create_url_name = "policies:accessrequirement_create"

    def queryset_function(self):
        return selectors.access_requirement_list()


class AccessRequirementDetailView(RoleRequiredMixin, DetailView):
    required_role = Role.VIEWER
    model = AccessRequirement
    template_name = "policies/accessrequirement_detail.html"

    def get_object(self, queryset=None):
        try:
            return selectors.access_requirement_list().get(pk=self.kwargs["pk"])
        except AccessRequirement.DoesNotExist:
            raise Http404("No such access requirement.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["groups"] = selectors.principal_rows(self.object.groups.all())
        context["history"] = selectors.object_history(self.object)
        return context


class AccessRequirementFormMixin:
    model = AccessRequirement
    form_class = AccessRequirementForm
    template_name = "policies/accessrequirement_form.html"
    error_field = "groups"

    def get_initial(self):
        initial = super().get_initial()
        if "server" in self.request.GET:
            initial["server"] = self.request.GET["server"]
        return initial

    def get_success_url(self):
        return self.object.server.get_absolute_url()


class AccessRequirementCreateView(AccessRequirementFormMixin, ObjectCreateView):
    pass


class AccessRequirementUpdateView(AccessRequirementFormMixin, ObjectUpdateView):
    pass


class AccessRequirementDeleteView(ObjectDeleteView):
    model = AccessRequirement

    def get_success_url(self):
        return self.object.server.get_absolute_url()
