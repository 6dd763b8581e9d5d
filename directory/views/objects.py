"""Computers, users and groups as the directory last described them."""

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views.generic import DetailView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from directory import selectors
from directory.export import csv_lines
from directory.filters import DirectoryObjectFilter, GroupFilter
from directory.models import DirectoryObject
from directory.tables import (
    ComputerTable,
    GroupTable,
    MembershipChangeTable,
    MemberTable,
    ObjectChangeTable,
    UserTable,
)
from fwconsole.roles import Role, RoleRequiredMixin

Kind = DirectoryObject.Kind

CSV_COLUMNS = {
    Kind.COMPUTER: (
        "sam_account_name",
        "dns_host_name",
        "operating_system",
        "operating_system_version",
        "enabled",
        "sid",
        "guid",
        "dn",
        "when_changed",
        "last_logon",
        "deleted_at",
    ),
    Kind.USER: (
        "sam_account_name",
        "user_principal_name",
        "display_name",
        "enabled",
        "sid",
        "guid",
        "dn",
        "when_changed",
        "deleted_at",
    ),
    Kind.GROUP: (
        "name",
        "sam_account_name",
        "group_scope",
        "is_security",
        "members_complete",
        "sid",
        "guid",
        "dn",
        "when_changed",
        "deleted_at",
    ),
}


class ObjectListView(RoleRequiredMixin, SingleTableMixin, FilterView):
    """List of one kind of directory object, filtered, sorted and paged.

    ``?export=csv`` returns every filtered row as CSV instead of the page.
    """

    required_role = Role.VIEWER
    kind = None
    filterset_class = DirectoryObjectFilter

    def get_queryset(self):
        return selectors.objects_of_kind(self.kind)

    def get_template_names(self):
        return [f"directory/{self.kind}_list.html"]

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            return self.export_csv()
        return super().get(request, *args, **kwargs)

    def export_csv(self):
        filterset = self.get_filterset(self.get_filterset_class())
        queryset = filterset.qs if filterset.is_valid() else self.get_queryset()
        columns = ("source", *CSV_COLUMNS[self.kind])
        rows = (
            [obj.source.name, *(getattr(obj, column) for column in columns[1:])]
            for obj in queryset.order_by("lookup_name", "pk").iterator(chunk_size=2000)
        )
        response = StreamingHttpResponse(
            csv_lines(columns, rows), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = (
            f'attachment; filename="{self.kind}s-{stamp}.csv"'
        )
        return response


class ComputerListView(ObjectListView):
    kind = Kind.COMPUTER
    table_class = ComputerTable


class UserListView(ObjectListView):
    kind = Kind.USER
    table_class = UserTable


class GroupListView(ObjectListView):
    kind = Kind.GROUP
    table_class = GroupTable
    filterset_class = GroupFilter


class ObjectDetailView(RoleRequiredMixin, DetailView):
    """One computer, user or group: attributes, groups, members, history."""

    required_role = Role.VIEWER
    queryset = DirectoryObject.objects.select_related("source")
    context_object_name = "obj"

    def get_template_names(self):
        return [f"directory/{self.object.kind}_detail.html"]

    def table(self, table, per_page=25):
        RequestConfig(self.request, paginate={"per_page": per_page}).configure(table)
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = self.object
        graph = selectors.current_graph()
        context["member_of"] = selectors.groups_with_chains(obj, graph)
        context["history_table"] = self.table(
            ObjectChangeTable(selectors.object_history(obj), prefix="history-")
        )
        context["member_history_table"] = self.table(
            MembershipChangeTable(
                selectors.membership_history_of_member(obj),
                exclude=("member",),
                prefix="joined-",
            )
        )
        if obj.kind == Kind.GROUP:
            context.update(self.group_context(obj, graph))
        return context

    def group_context(self, group, graph):
        return {
            "members_table": self.table(
                MemberTable(selectors.direct_members(group), prefix="members-"),
                per_page=50,
            ),
            "transitive_page": selectors.transitive_members_page(
                group, self.request.GET.get("nested_page"), graph=graph
            ),
            "uncertainties": selectors.membership_uncertainties(group, graph),
            "group_history_table": self.table(
                MembershipChangeTable(
                    selectors.membership_history_of_group(group),
                    exclude=("group",),
                    prefix="changes-",
                )
            ),
        }
