"""Policy pages: servers, policies, exceptions, IPsec and bypass lists."""

from django.views.generic import DetailView, TemplateView

from fwconsole.roles import Role, RoleRequiredMixin
from policies.models import IPsecPolicy, Policy, Server


class PoliciesIndexView(RoleRequiredMixin, TemplateView):
    required_role = Role.VIEWER
    template_name = "policies/index.html"


class ServerDetailView(RoleRequiredMixin, DetailView):
    required_role = Role.VIEWER
    model = Server
    template_name = "policies/server_detail.html"


class PolicyDetailView(RoleRequiredMixin, DetailView):
    required_role = Role.VIEWER
    model = Policy
    template_name = "policies/policy_detail.html"


class IPsecPolicyDetailView(RoleRequiredMixin, DetailView):
    required_role = Role.VIEWER
    model = IPsecPolicy
    template_name = "policies/ipsecpolicy_detail.html"
