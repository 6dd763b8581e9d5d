"""The dashboard: sync health, bypass exposure, membership over time, risks.

Pages and JSON endpoints stay thin: ``selectors.dashboard_data`` holds
everything the stored data implies, ``lists`` and ``charts`` shape it.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import FormView, TemplateView

from fwconsole.numbers import ascii_number
from fwconsole.roles import Role, RoleRequiredMixin
from policies.dashboard import charts, lists, services
from policies.dashboard.export import csv_response
from policies.dashboard.findings import KINDS_BY_SLUG
from policies.dashboard.forms import RiskThresholdsForm
from policies.dashboard.selectors import dashboard_data
from policies.models import RiskThresholds

DASHBOARD_SERVERS = 10
DASHBOARD_GROUPS = charts.GROUP_CHARTS


class DashboardView(RoleRequiredMixin, TemplateView):
    required_role = Role.VIEWER
    template_name = "dashboard/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data = dashboard_data()
        ranked = lists.ranked_exposures(data)
        health = data.sync_health()
        context.update(
            data=data,
            health=health,
            polling=any(item.active_run for item in health),
            exposures=[
                (exposure, lists.exposure_links(exposure))
                for exposure in ranked[:DASHBOARD_SERVERS]
            ],
            server_count=len(ranked),
            any_servers=lists.any_exception_servers(data),
            any_exception_count=len(lists.any_exceptions_listing(data)),
            groups=charts.shown_groups(data, DASHBOARD_GROUPS),
            group_count=len(data.referenced_groups),
            recent_changes=list(data.changes()[: DASHBOARD_GROUPS - 2]),
            finding_counts=data.finding_counts,
            thresholds=data.thresholds,
        )
        return context


class SyncHealthView(RoleRequiredMixin, TemplateView):
    """The sync health card alone, polled by htmx while a run is active.

    Answers HTTP 286 once no run is active, which tells htmx to stop polling.
    """

    required_role = Role.VIEWER
    template_name = "dashboard/partials/sync_health.html"

    def get(self, request, *args, **kwargs):
        health = dashboard_data().sync_health()
        polling = any(item.active_run for item in health)
        response = self.render_to_response({"health": health, "polling": polling})
        if not polling:
            response.status_code = 286
        return response


class ListingView(RoleRequiredMixin, TemplateView):
    """A list behind a dashboard figure; ``?export=csv`` downloads all rows."""

    required_role = Role.VIEWER
    template_name = "dashboard/listing.html"
    paginate_by = 50

    def get_listing(self, data):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        self.listing = self.get_listing(dashboard_data())
        if request.GET.get("export") == "csv":
            return csv_response(
                self.listing.filename, self.listing.columns, self.listing.csv_rows()
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        paginator = Paginator(self.listing.items, self.paginate_by)
        page = paginator.get_page(self.request.GET.get("page"))
        context.update(
            listing=self.listing,
            page=page,
            rows=self.listing.rows(page.object_list),
        )
        return context


class ExposureListView(ListingView):
    def get_listing(self, data):
        return lists.exposure_listing(data)


class BypassMachinesView(ListingView):
    def get_listing(self, data):
        sid = self.request.GET.get("sid", "").strip()
        return lists.bypass_machines_listing(data, self.kwargs["pk"], sid)


class ExceptionMachinesView(ListingView):
    def get_listing(self, data):
        return lists.exception_machines_listing(
            data, self.kwargs["pk"], self.kwargs["scope"]
        )


class OpenMachinesView(ListingView):
    def get_listing(self, data):
        return lists.open_machines_listing(data, self.kwargs["pk"])


class AnyExceptionsView(ListingView):
    def get_listing(self, data):
        return lists.any_exceptions_listing(data)


class GroupListView(ListingView):
    def get_listing(self, data):
        return lists.group_listing(data)


class GroupMembersView(ListingView):
    def get_listing(self, data):
        return lists.group_members_listing(data, self.kwargs["pk"])


class MembershipChangeListView(ListingView):
    def get_listing(self, data):
        group = self.request.GET.get("group", "").strip()
        group_id = ascii_number(group, 18)
        if group and group_id is None:
            raise Http404("group must be a group's number.")
        return lists.changes_listing(data, group_id)


class FindingListView(ListingView):
    def get_listing(self, data):
        slug = self.kwargs["slug"]
        if slug not in KINDS_BY_SLUG:
            raise Http404("No such finding.")
        return data.finding_listing(slug)


class ChartView(RoleRequiredMixin, View):
    """JSON data of one dashboard chart."""

    required_role = Role.VIEWER

    def chart(self, request):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return JsonResponse(self.chart(request))


class ExposureChartView(ChartView):
    def chart(self, request):
        limit = request.GET.get("limit", "")
        servers = ascii_number(limit, 4)
        if limit and servers is None:
            raise Http404("limit must be a number from 0 to 9999.")
        return charts.exposure_chart(
            dashboard_data(),
            charts.EXPOSURE_CHART_SERVERS if servers is None else servers,
        )


class GroupSizeChartView(ChartView):
    def chart(self, request):
        return charts.group_sizes_chart(dashboard_data())


class FindingsChartView(ChartView):
    def chart(self, request):
        return charts.findings_chart(dashboard_data())


class SyncHealthChartView(ChartView):
    def chart(self, request):
        return charts.sync_health_chart(dashboard_data().sync_health())


class RiskThresholdsView(RoleRequiredMixin, FormView):
    required_role = Role.ADMIN
    template_name = "dashboard/thresholds_form.html"
    form_class = RiskThresholdsForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = RiskThresholds.current()
        return kwargs

    def form_valid(self, form):
        try:
            services.save_thresholds(
                broad_group_size=form.cleaned_data["broad_group_size"],
                inactive_days=form.cleaned_data["inactive_days"],
                user=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, "Risk thresholds saved.")
        return redirect("dashboard:home")
