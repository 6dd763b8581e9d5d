"""Filters of the directory lists, shared by the pages and the REST API."""

import django_filters
from django import forms
from django.db.models import Q

from directory.forms import add_bootstrap_classes
from directory.models import DirectoryObject, DirectorySource, SyncRun

YES_NO_ANY = forms.Select(choices=[("", "any"), ("true", "yes"), ("false", "no")])


class BootstrapFilterSet(django_filters.FilterSet):
    @property
    def form(self):
        return add_bootstrap_classes(super().form)


class DirectoryObjectFilter(BootstrapFilterSet):
    name = django_filters.CharFilter(
        method="filter_name",
        label="Name",
        help_text="Part of the account name, RDN, display name or host name.",
    )
    dn = django_filters.CharFilter(
        field_name="dn", lookup_expr="icontains", label="OU / DN contains"
    )
    source = django_filters.ModelChoiceFilter(
        queryset=DirectorySource.objects.all(), empty_label="any"
    )
    enabled = django_filters.BooleanFilter(widget=YES_NO_ANY)
    deleted = django_filters.BooleanFilter(
        method="filter_deleted", label="Deleted", widget=YES_NO_ANY
    )
    in_scope = django_filters.BooleanFilter(label="In scope", widget=YES_NO_ANY)

    class Meta:
        model = DirectoryObject
        fields = ["name", "dn", "source", "enabled", "deleted", "in_scope"]

    def filter_name(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(lookup_name__icontains=text.removesuffix("$"))
            | Q(name__icontains=text)
            | Q(display_name__icontains=text)
            | Q(dns_host_name__icontains=text)
            | Q(user_principal_name__icontains=text)
        )

    def filter_deleted(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(deleted_at__isnull=not value)


class GroupFilter(DirectoryObjectFilter):
    members_complete = django_filters.BooleanFilter(
        label="Members complete", widget=YES_NO_ANY
    )

    class Meta(DirectoryObjectFilter.Meta):
        fields = [*DirectoryObjectFilter.Meta.fields, "members_complete"]


class SyncRunFilter(BootstrapFilterSet):
    source = django_filters.ModelChoiceFilter(
        queryset=DirectorySource.objects.all(), empty_label="any"
    )
    status = django_filters.ChoiceFilter(
        choices=SyncRun.Status.choices, empty_label="any"
    )
    trigger = django_filters.ChoiceFilter(
        choices=SyncRun.Trigger.choices, empty_label="any"
    )

    class Meta:
        model = SyncRun
        fields = ["source", "status", "trigger"]
