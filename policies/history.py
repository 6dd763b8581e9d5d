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


def _register(model, noise=(), **options):
    """Register a model, leaving out its reverse relations.

    auditlog records every field ``_meta.get_fields()`` lists, the reverse
    side of foreign keys included (a policy's rules, a server's addresses);
    those have no value of their own and would read "policies.FirewallRule.None".
    Each part records its own changes under its own entry instead.
    """
    reverse_relations = [
        field.name
        for field in model._meta.get_fields()
        if field.auto_created and not field.concrete
    ]
    auditlog.register(model, exclude_fields=[*noise, *reverse_relations], **options)


def register_models():
    """Register the policy models with auditlog (called once from AppConfig)."""
    from policies import models

    _register(models.Server, _NOISE)
    _register(models.ServerAddress)
    _register(models.ListeningProgram)
    _register(models.Policy, _NOISE, m2m_fields={"servers"})
    _register(models.FirewallRule)
    _register(models.BypassRule)
    _register(models.BypassEntry)
    _register(models.AuthorizationEntry)
    _register(models.IPsecPolicy, m2m_fields={"servers"})
    _register(models.IPsecClient)
    _register(models.AccessRequirement)
    _register(models.AccessRequirementGroup)
