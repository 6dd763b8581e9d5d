"""Sortable, paginated tables of the policy pages (django-tables2).

Values typed by editors are rendered as text: ``format_html`` escapes its
arguments and django-tables2 escapes plain return values.
"""

import django_tables2 as tables
from django.utils.html import format_html, format_html_join

from policies.models import (
    AccessRequirement,
    BypassRule,
    FirewallRule,
    IPsecPolicy,
    Policy,
    Server,
)

ADDRESSES_SHOWN = 6


def policy_link(policy):
    """Link to a policy; a local policy links to its server's page."""
    if policy.local_server_id:
        return format_html(
            '<a href="{}">{}</a> <span class="badge text-bg-light">local</span>',
            policy.local_server.get_absolute_url(),
            policy.local_server.name,
        )
    return format_html('<a href="{}">{}</a>', policy.get_absolute_url(), policy.name)


def enabled_badge(value):
    if value:
        return format_html('<span class="badge text-bg-success">{}</span>', "enabled")
    return format_html('<span class="badge text-bg-secondary">{}</span>', "disabled")


class ServerTable(tables.Table):
    name = tables.Column(linkify=True)
    era = tables.Column()
    addresses = tables.Column(empty_values=(), orderable=False)
    policy_count = tables.Column(verbose_name="Shared policies")
    ipsec_count = tables.Column(verbose_name="IPsec policies")
    computer = tables.Column(verbose_name="Computer account", order_by="computer__name")

    class Meta:
        model = Server
        fields = ["name", "fqdn", "era", "active_profile", "owner"]
        sequence = [
            "name",
            "fqdn",
            "era",
            "active_profile",
            "addresses",
            "policy_count",
            "ipsec_count",
            "computer",
            "owner",
        ]
        attrs = {"class": "table table-sm table-hover", "data-table": "servers"}

    def render_addresses(self, record):
        addresses = list(record.addresses.all())
        shown = format_html_join(
            " ",
            '<span class="badge text-bg-light mono">{}</span>',
            ((str(address),) for address in addresses[:ADDRESSES_SHOWN]),
        )
        hidden = len(addresses) - ADDRESSES_SHOWN
        if hidden > 0:
            return format_html("{} and {} more", shown, hidden)
        return shown

    def render_computer(self, value):
        return value.display_label


class PolicyTable(tables.Table):
    name = tables.Column(linkify=True)
    server_count = tables.Column(verbose_name="Servers")
    rule_count = tables.Column(verbose_name="Rules")
    bypass_count = tables.Column(verbose_name="Bypass rules")

    class Meta:
        model = Policy
        fields = ["precedence", "name", "era", "description"]
        sequence = [
            "precedence",
            "name",
            "era",
            "server_count",
            "rule_count",
            "bypass_count",
            "description",
        ]
        attrs = {"class": "table table-sm table-hover", "data-table": "policies"}


class FirewallRuleTable(tables.Table):
    name = tables.Column(linkify=True)
    policy = tables.Column(order_by=("policy__local_server__name", "policy__name"))
    opens = tables.Column(empty_values=(), orderable=False, verbose_name="Opens")
    scope = tables.Column(attrs={"td": {"class": "mono"}})
    enabled = tables.Column()

    class Meta:
        model = FirewallRule
        fields = ["name", "policy", "kind", "action", "scope", "profiles", "enabled"]
        sequence = [
            "name",
            "policy",
            "kind",
            "action",
            "opens",
            "scope",
            "profiles",
            "enabled",
        ]
        attrs = {"class": "table table-sm table-hover", "data-table": "rules"}

    def render_policy(self, value):
        return policy_link(value)

    def render_opens(self, record):
        return rule_summary(record)

    def render_enabled(self, value):
        return enabled_badge(value)

    def render_profiles(self, value):
        return value or "all"


def rule_summary(rule):
    """What a rule opens or blocks, in a few words."""
    if rule.kind == FirewallRule.Kind.PORT:
        return f"{rule.protocol.upper()} {rule.ports}"
    if rule.kind == FirewallRule.Kind.PROGRAM:
        ports = f" ({rule.protocol.upper()} {rule.ports})" if rule.ports else ""
        return f"{rule.program_path}{ports}"
    if rule.kind == FirewallRule.Kind.ICMP:
        return f"ICMP type {rule.icmp_type}"
    return rule.get_predefined_group_display()


class BypassRuleTable(tables.Table):
    name = tables.Column(linkify=True)
    policy = tables.Column(order_by=("policy__local_server__name", "policy__name"))
    traffic = tables.Column(empty_values=(), orderable=False)
    entry_count = tables.Column(verbose_name="Entries")
    enabled = tables.Column()

    class Meta:
        model = BypassRule
        fields = ["name", "policy", "security", "enabled"]
        sequence = ["name", "policy", "traffic", "security", "entry_count", "enabled"]
        attrs = {"class": "table table-sm table-hover", "data-table": "bypass-rules"}

    def render_policy(self, value):
        return policy_link(value)

    def render_traffic(self, record):
        if not record.ports:
            return "every port"
        return f"{record.protocol.upper()} {record.ports}"

    def render_enabled(self, value):
        return enabled_badge(value)


class IPsecPolicyTable(tables.Table):
    name = tables.Column(linkify=True)
    server_count = tables.Column(verbose_name="Servers")
    client_count = tables.Column(verbose_name="Client entries")
    enabled = tables.Column()

    class Meta:
        model = IPsecPolicy
        fields = [
            "name",
            "authentication",
            "protection",
            "server_mode",
            "client_addresses",
            "enabled",
        ]
        sequence = [
            "name",
            "authentication",
            "protection",
            "server_mode",
            "server_count",
            "client_count",
            "client_addresses",
            "enabled",
        ]
        attrs = {"class": "table table-sm table-hover", "data-table": "ipsec-policies"}

    def render_enabled(self, value):
        return enabled_badge(value)


class AccessRequirementTable(tables.Table):
    name = tables.Column(linkify=True)
    server = tables.Column(linkify=True, order_by="server__name")
    applies_to = tables.Column(empty_values=(), orderable=False)
    group_count = tables.Column(verbose_name="Groups")

    class Meta:
        model = AccessRequirement
        fields = ["name", "server", "description"]
        sequence = ["name", "server", "applies_to", "group_count", "description"]
        attrs = {
            "class": "table table-sm table-hover",
            "data-table": "access-requirements",
        }

    def render_applies_to(self, record):
        if not record.ports:
            return "the whole server"
        return f"{record.protocol.upper()} {record.ports}"
