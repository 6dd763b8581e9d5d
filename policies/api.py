"""REST API of the policies: servers, shared policies, firewall rules, bypass
rules, IPsec policies and access requirements.

Viewers read, editors write. Writes go through the same services as the pages
(the models' own checks, one transaction) and the change history records the
API user as the author, whichever way the client signed in.
"""

import logging

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework import viewsets

from fwconsole.roles import Role, RoleAPIMixin
from policies import selectors, services
from policies.filters import (
    AccessRequirementFilter,
    BypassRuleFilter,
    FirewallRuleFilter,
    IPsecPolicyFilter,
    PolicyFilter,
    ServerFilter,
)
from policies.models import (
    AccessRequirement,
    BypassRule,
    FirewallRule,
    IPsecPolicy,
    Policy,
    Server,
)
from policies.serializers import (
    AccessRequirementSerializer,
    BypassRuleSerializer,
    FirewallRuleSerializer,
    IPsecPolicySerializer,
    PolicySerializer,
    ServerSerializer,
    api_errors,
)

logger = logging.getLogger(__name__)

urlpatterns = []


class PolicyAPIViewSet(RoleAPIMixin, viewsets.ModelViewSet):
    """Viewer reads, editor writes; every write is one transaction with history."""

    required_role = Role.EDITOR
    read_role = Role.VIEWER

    def perform_create(self, serializer):
        with set_actor(self.request.user), transaction.atomic():
            serializer.save()
        logger.info(
            "%s created %s %s through the API",
            self.request.user,
            serializer.instance._meta.model_name,
            serializer.instance.pk,
        )

    def perform_update(self, serializer):
        with set_actor(self.request.user), transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance):
        with set_actor(self.request.user):
            try:
                services.delete_object(obj=instance)
            except ValidationError as error:
                raise api_errors(error) from None


class ServerViewSet(PolicyAPIViewSet):
    """Servers with their addresses and local firewall state."""

    queryset = Server.objects.all()
    serializer_class = ServerSerializer
    filterset_class = ServerFilter

    def get_queryset(self):
        return (
            Server.objects.select_related("local_policy")
            .prefetch_related("addresses", "policies")
            .order_by("name")
        )


class SharedPolicyViewSet(PolicyAPIViewSet):
    """Shared policies: precedence, linked servers, firewall state, authorization."""

    queryset = Policy.objects.filter(local_server__isnull=True)
    serializer_class = PolicySerializer
    filterset_class = PolicyFilter

    def get_queryset(self):
        return (
            Policy.objects.filter(local_server__isnull=True)
            .prefetch_related("servers", "authorization_entries")
            .order_by("precedence", "name")
        )


class FirewallRuleViewSet(PolicyAPIViewSet):
    """Firewall exceptions and rules of shared and local policies."""

    queryset = FirewallRule.objects.all()
    serializer_class = FirewallRuleSerializer
    filterset_class = FirewallRuleFilter

    def get_queryset(self):
        return selectors.rule_list()


class BypassRuleViewSet(PolicyAPIViewSet):
    """Authenticated IPsec bypass rules with their entries."""

    queryset = BypassRule.objects.all()
    serializer_class = BypassRuleSerializer
    filterset_class = BypassRuleFilter

    def get_queryset(self):
        return selectors.bypass_rule_list().prefetch_related("entries")


class IPsecPolicyViewSet(PolicyAPIViewSet):
    """IPsec policies: clients, servers, authentication and protection."""

    queryset = IPsecPolicy.objects.all()
    serializer_class = IPsecPolicySerializer
    filterset_class = IPsecPolicyFilter

    def get_queryset(self):
        return selectors.ipsec_policy_list().prefetch_related("servers", "clients")


class AccessRequirementViewSet(PolicyAPIViewSet):
    """User groups a server (or one of its ports) requires."""

    queryset = AccessRequirement.objects.all()
    serializer_class = AccessRequirementSerializer
    filterset_class = AccessRequirementFilter

    def get_queryset(self):
        return selectors.access_requirement_list().prefetch_related("groups")


def register(router):
    """Register this app's viewsets on the console's API router."""
    router.register("servers", ServerViewSet, basename="server")
    router.register("policies", SharedPolicyViewSet, basename="policy")
    router.register("firewall-rules", FirewallRuleViewSet, basename="firewallrule")
    router.register("bypass-rules", BypassRuleViewSet, basename="bypassrule")
    router.register("ipsec-policies", IPsecPolicyViewSet, basename="ipsecpolicy")
    router.register(
        "access-requirements", AccessRequirementViewSet, basename="accessrequirement"
    )
