"""Filters of the policy list pages and the API (django-filter)."""

import django_filters
from django.db.models import Q

from policies.models import (
    AccessRequirement,
    BypassRule,
    Era,
    FirewallRule,
    IPsecPolicy,
    Policy,
    Protocol,
    Server,
)


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with a free-text ``q`` over ``search_fields``."""

    search_fields = ("name",)

    q = django_filters.CharFilter(method="search", label="Search")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value})
        return queryset.filter(query)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            css = "form-select" if hasattr(field, "choices") else "form-control"
            field.widget.attrs.setdefault("class", f"{css} form-control-sm")


class ServerFilter(SearchFilterSet):
    search_fields = ("name", "fqdn", "owner", "addresses__address")

    era = django_filters.ChoiceFilter(choices=Era.choices)
    policy = django_filters.CharFilter(
        field_name="policies__name", lookup_expr="iexact", label="Shared policy"
    )

    class Meta:
        model = Server
        fields = ["q", "era", "active_profile", "policy"]

    def search(self, queryset, name, value):
        return super().search(queryset, name, value).distinct()


class PolicyFilter(SearchFilterSet):
    search_fields = ("name", "description")

    era = django_filters.ChoiceFilter(choices=Era.choices)
    server = django_filters.CharFilter(
        field_name="servers__name", lookup_expr="iexact", label="Server"
    )

    class Meta:
        model = Policy
        fields = ["q", "era", "server"]


class FirewallRuleFilter(SearchFilterSet):
    search_fields = ("name", "ports", "program_path", "scope", "description")

    server = django_filters.CharFilter(
        method="for_server", label="Server (local or linked)"
    )
    policy = django_filters.CharFilter(
        field_name="policy__name", lookup_expr="iexact", label="Shared policy"
    )
    era = django_filters.ChoiceFilter(field_name="policy__era", choices=Era.choices)
    protocol = django_filters.ChoiceFilter(choices=Protocol.choices)
    enabled = django_filters.BooleanFilter()

    class Meta:
        model = FirewallRule
        fields = [
            "q",
            "server",
            "policy",
            "era",
            "kind",
            "action",
            "protocol",
            "enabled",
        ]

    def for_server(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(policy__local_server__name__iexact=value)
            | Q(policy__servers__name__iexact=value)
        ).distinct()


class BypassRuleFilter(SearchFilterSet):
    search_fields = ("name", "entries__name", "entries__sid", "description")

    server = django_filters.CharFilter(
        method="for_server", label="Server (local or linked)"
    )
    policy = django_filters.CharFilter(
        field_name="policy__name", lookup_expr="iexact", label="Shared policy"
    )
    era = django_filters.ChoiceFilter(field_name="policy__era", choices=Era.choices)
    enabled = django_filters.BooleanFilter()

    class Meta:
        model = BypassRule
        fields = ["q", "server", "policy", "era", "security", "enabled"]

    def search(self, queryset, name, value):
        return super().search(queryset, name, value).distinct()

    def for_server(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(policy__local_server__name__iexact=value)
            | Q(policy__servers__name__iexact=value)
        ).distinct()


class IPsecPolicyFilter(SearchFilterSet):
    search_fields = ("name", "description", "client_addresses", "clients__name")

    server = django_filters.CharFilter(
        field_name="servers__name", lookup_expr="iexact", label="Server"
    )
    enabled = django_filters.BooleanFilter()

    class Meta:
        model = IPsecPolicy
        fields = [
            "q",
            "server",
            "authentication",
            "protection",
            "server_mode",
            "enabled",
        ]

    def search(self, queryset, name, value):
        return super().search(queryset, name, value).distinct()


class AccessRequirementFilter(SearchFilterSet):
    search_fields = ("name", "description", "groups__name", "ports")

    server = django_filters.CharFilter(
        field_name="server__name", lookup_expr="iexact", label="Server"
    )

    class Meta:
        model = AccessRequirement
        fields = ["q", "server", "protocol"]

    def search(self, queryset, name, value):
        return super().search(queryset, name, value).distinct()
