"""Reads of the policy tables for pages, the API and exports.

Querysets here are shaped for their pages (related rows joined, counts
annotated) so that a list or detail page issues a fixed number of queries
however many rows it shows.
"""

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q

from directory.models import DirectoryObject
from policies.effective import effective_configuration
from policies.models import (
    AccessRequirement,
    BypassEntry,
    BypassRule,
    Era,
    FirewallRule,
    FirewallState,
    IPsecPolicy,
    Policy,
    Server,
)

HISTORY_LIMIT = 100
SEARCH_LIMIT = 20
SEARCH_MIN_LENGTH = 2


def server_list():
    return (
        Server.objects.select_related("computer")
        .prefetch_related("addresses")
        .annotate(
            policy_count=Count("policies", distinct=True),
            ipsec_count=Count("ipsec_policies", distinct=True),
        )
        .order_by("name")
    )


def shared_policies():
    return Policy.objects.filter(local_server__isnull=True)


def policy_list():
    return (
        shared_policies()
        .annotate(
            server_count=Count("servers", distinct=True),
            rule_count=Count("rules", distinct=True),
            bypass_count=Count("bypass_rules", distinct=True),
        )
        .order_by("precedence", "name")
    )


def policy_choices(era=None):
    """Every policy a rule may belong to: shared ones first, then local ones."""
    policies = Policy.objects.select_related("local_server")
    if era:
        policies = policies.filter(era=era)
    return policies.order_by("local_server__name", "precedence", "name")


def rule_list():
    return FirewallRule.objects.select_related(
        "policy", "policy__local_server"
    ).order_by("policy__local_server__name", "policy__name", "name")


def bypass_rule_list():
    return (
        BypassRule.objects.select_related("policy", "policy__local_server")
        .annotate(entry_count=Count("entries"))
        .order_by("policy__local_server__name", "policy__name", "name")
    )


def ipsec_policy_list():
    return IPsecPolicy.objects.annotate(
        server_count=Count("servers", distinct=True),
        client_count=Count("clients", distinct=True),
    ).order_by("name")


def access_requirement_list():
    return (
        AccessRequirement.objects.select_related("server")
        .annotate(group_count=Count("groups"))
        .order_by("server__name", "name")
    )


def rule_detail(pk):
    return rule_list().get(pk=pk)


def bypass_rule_detail(pk):
    return bypass_rule_list().prefetch_related("entries").get(pk=pk)


def policy_detail(pk):
    return (
        shared_policies()
        .prefetch_related("servers", "authorization_entries")
        .get(pk=pk)
    )


def policy_contents(policy):
    """Return a policy's rules and bypass rules (with entries) for its page."""
    rules = list(policy.rules.all())
    bypass_rules = list(
        policy.bypass_rules.prefetch_related("entries").annotate(
            entry_count=Count("entries")
        )
    )
    return rules, bypass_rules


# ---------------------------------------------------------------------------
# Directory principals


def resolve_principals(sids):
    """Map each SID to the live directory object that holds it now (one query)."""
    # A SID typed with a NUL cannot name anything (and PostgreSQL refuses it).
    sids = {sid for sid in sids if sid and "\x00" not in sid}
    if not sids:
        return {}
    found = {}
    objects = DirectoryObject.objects.filter(
        sid__in=sids, deleted_at__isnull=True
    ).select_related("source")
    for obj in objects.order_by("pk"):
        found.setdefault(obj.sid, obj)
    return found


def search_principals(text, kinds):
    """Find live directory accounts of the given kinds by name or SID.

    Matching is a plain, escaped database lookup (substring of the account
    name, sAMAccountName or display name, or the exact SID); the text never
    reaches an LDAP filter. Groups outside their source's group base are not
    offered: the sync reads them only because a chain of nested groups runs
    through them, and the group base is how an admin says which groups
    policies may name. Distribution groups are not offered either: they are in
    no Kerberos token, so a policy naming one would match no one.
    """
    text = (text or "").strip()
    if len(text) < SEARCH_MIN_LENGTH or "\x00" in text:
        return []
    kinds = [kind for kind in kinds if kind in DirectoryObject.Kind.values]
    matches = (
        DirectoryObject.objects.filter(kind__in=kinds, deleted_at__isnull=True)
        .exclude(sid="")
        .exclude(kind=DirectoryObject.Kind.GROUP, in_scope=False)
        .exclude(kind=DirectoryObject.Kind.GROUP, is_security=False)
        .filter(
            Q(name__icontains=text)
            | Q(sam_account_name__icontains=text)
            | Q(display_name__icontains=text)
            | Q(sid=text)
        )
        .select_related("source")
        .order_by("lookup_name", "pk")
    )
    return list(matches[:SEARCH_LIMIT])


def principal_rows(references):
    """Pair stored principal references with what their SIDs name today."""
    references = list(references)
    current = resolve_principals(reference.sid for reference in references)
    return [
        PrincipalRow(reference, current.get(reference.sid)) for reference in references
    ]


class PrincipalRow:
    """A stored reference (SID + name it had) and the directory object now."""

    def __init__(self, reference, directory_object):
        self.reference = reference
        self.sid = reference.sid
        self.name = reference.name
        self.current = directory_object

    @property
    def resolved(self):
        return self.current is not None

    @property
    def renamed(self):
        return self.resolved and self.current.display_label != self.name

    def __getattr__(self, name):
        return getattr(self.reference, name)


# ---------------------------------------------------------------------------
# Server page


def server_detail(pk):
    return (
        Server.objects.select_related("computer", "local_policy")
        .prefetch_related(
            "addresses",
            "listening_programs",
            "policies",
            "ipsec_policies__clients",
            "access_requirements__groups",
        )
        .get(pk=pk)
    )


def server_overview(server):
    """Return what the server page shows besides the server's own fields.

    The effective configuration (each setting with the policy that won it),
    the principals its lists name with their current directory names, and
    the IPsec policies and access requirements with theirs.
    """
    config = effective_configuration(server)
    sids = set()
    for setting in config.all_settings():
        for item in _setting_items(setting.value):
            for entry in getattr(item, "entries", None) or (item,):
                sids.add(getattr(entry, "sid", ""))
    for item in config.bypass_rules:
        sids.update(entry.sid for entry in item.settings.entries)
    for ipsec in server.ipsec_policies.all():
        sids.update(client.sid for client in ipsec.clients.all())
    for requirement in server.access_requirements.all():
        sids.update(group.sid for group in requirement.groups.all())
    return {
        "config": config,
        "setting_rows": effective_rows(config),
        "principals": resolve_principals(sids),
    }


def _setting_items(value):
    if isinstance(value, tuple | list):
        return value
    return ()


def effective_rows(config):
    """Flatten the effective settings for display.

    Each row has the setting's label, the policy that won it (None: Windows'
    default), the policies it overrode, and its value as a state, a list of
    rules, or a list of principal entries (each with the rule it sits on).
    """
    rows = []
    for setting in config.all_settings():
        row = {
            "name": setting.name,
            "label": setting.label,
            "policy": setting.policy,
            "overridden": setting.overridden,
            "state": None,
            "rules": [],
            "entries": [],
        }
        if isinstance(setting.value, str):
            row["state"] = FirewallState(setting.value).label
        else:
            for item in _setting_items(setting.value):
                if isinstance(item, FirewallRule):
                    row["rules"].append(item)
                elif hasattr(item, "entries"):
                    row["entries"] += [(entry, item.rule) for entry in item.entries]
                else:
                    row["entries"].append((item, None))
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------
# History


def _history(query):
    return (
        LogEntry.objects.filter(query)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")[:HISTORY_LIMIT]
    )


def object_history(obj):
    """Change-log entries of one object, newest first."""
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return _history(Q(content_type=content_type, object_pk=str(obj.pk)))


def server_history(server):
    """Changes of a server and of its parts: addresses, local settings, links."""
    content_type = ContentType.objects.get_for_model(Server)
    return _history(
        Q(content_type=content_type, object_pk=str(server.pk))
        | Q(additional_data__server=server.pk)
    )


def policy_history(policy):
    content_type = ContentType.objects.get_for_model(Policy)
    return _history(
        Q(content_type=content_type, object_pk=str(policy.pk))
        | Q(additional_data__policy=policy.pk)
    )


def ipsec_policy_history(policy):
    content_type = ContentType.objects.get_for_model(IPsecPolicy)
    return _history(
        Q(content_type=content_type, object_pk=str(policy.pk))
        | Q(additional_data__ipsecpolicy=policy.pk)
    )


# ---------------------------------------------------------------------------
# Overview


def overview():
    """Counts and short lists for the policies index page."""
    policy_content_types = ContentType.objects.filter(app_label="policies")
    era_counts = dict(Server.objects.values_list("era").annotate(count=Count("pk")))
    return {
        "server_count": Server.objects.count(),
        # Named as the server pages name them, oldest era first.
        "servers_by_era": {
            era.label: era_counts[era] for era in Era if era in era_counts
        },
        "policies": list(policy_list()[:10]),
        "policy_count": shared_policies().count(),
        "rule_count": FirewallRule.objects.count(),
        "bypass_count": BypassRule.objects.count(),
        "entry_count": BypassEntry.objects.count(),
        "ipsec_count": IPsecPolicy.objects.count(),
        "requirement_count": AccessRequirement.objects.count(),
        "unlinked_servers": list(
            server_list().filter(policies__isnull=True, ipsec_policies__isnull=True)[
                :10
            ]
        ),
        "recent_changes": list(
            LogEntry.objects.filter(content_type__in=policy_content_types)
            .select_related("actor", "content_type")
            .order_by("-timestamp", "-pk")[:10]
        ),
        "eras": Era,
    }
