"""Change history of policy objects, kept by django-auditlog.

Every policy model is registered here, including the links between policies
and servers, so that a change made in a page, through the API or by a
policy-as-code import records who made it, when, and the values before and
after. Each entry also carries the server, policy or IPsec policy it belongs
to (``HistoryMixin.get_additional_data``), which lets those pages list the
changes of their parts, including parts since deleted.
"""

from auditlog.registry import auditlog

# Timestamps change on every save and say nothing a log entry does not.
_NOISE = ["created_at", "updated_at"]


def register_models():
    """Register the policy models with auditlog (called once from AppConfig)."""
    from policies import models

    auditlog.register(models.Server, exclude_fields=_NOISE)
    auditlog.register(models.ServerAddress)
    auditlog.register(models.ListeningProgram)
    auditlog.register(models.Policy, exclude_fields=_NOISE, m2m_fields={"servers"})
    auditlog.register(models.FirewallRule)
    auditlog.register(models.BypassRule)
    auditlog.register(models.BypassEntry)
    auditlog.register(models.AuthorizationEntry)
    auditlog.register(models.IPsecPolicy, m2m_fields={"servers"})
    auditlog.register(models.IPsecClient)
    auditlog.register(models.AccessRequirement)
    auditlog.register(models.AccessRequirementGroup)
