"""Sync runs: the global list, one run's page and its live progress."""

from django.http import StreamingHttpResponse
from django.views.generic import DetailView
from django.views.generic.detail import BaseDetailView
from django_filters.views import FilterView
from django_htmx.http import HTMX_STOP_POLLING
from django_tables2 import SingleTableMixin

from directory import selectors
from directory.filters import SyncRunFilter
from directory.models import SyncRun
from directory.tables import RunTable, change_counts, read_counts
from fwconsole.roles import Role, RoleRequiredMixin

# The live page shows the end of the log; the whole log is a download.
LOG_TAIL = 200


class RunListView(RoleRequiredMixin, SingleTableMixin, FilterView):
    required_role = Role.VIEWER
    table_class = RunTable
    filterset_class = SyncRunFilter
    template_name = "directory/run_list.html"

    def get_queryset(self):
        return selectors.runs()


class RunDetailView(RoleRequiredMixin, DetailView):
    """A run's outcome and log; while it runs, the progress part polls itself."""

    required_role = Role.VIEWER
    queryset = selectors.runs()
    template_name = "directory/run_detail.html"
    context_object_name = "run"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.object
        log = selectors.run_log_tail(run, LOG_TAIL)
        context.update(
            log_entries=log.entries,
            log_total=log.total,
            changes=change_counts(run.counts),
            read=read_counts(run.counts),
        )
        return context


class RunProgressView(RunDetailView):
    """The progress part of a run's page, for htmx to poll.

    Answers 286 once the run has finished, which tells htmx to swap in this
    last state and stop polling.
    """

    template_name = "directory/partials/run_progress.html"

    def render_to_response(self, context, **response_kwargs):
        if not self.object.is_active:
            response_kwargs["status"] = HTMX_STOP_POLLING
        return super().render_to_response(context, **response_kwargs)


class RunLogView(RoleRequiredMixin, BaseDetailView):
    """The whole log of a run as plain text."""

    required_role = Role.VIEWER
    model = SyncRun

    def render_to_response(self, context):
        run = self.object
        lines = (
            f"{entry.at:%Y-%m-%d %H:%M:%S} {entry.level} {entry.message}\n"
            for entry in run.log.order_by("pk").iterator(chunk_size=2000)
        )
        response = StreamingHttpResponse(
            lines, content_type="text/plain; charset=utf-8"
        )
        response["Content-Disposition"] = f'inline; filename="sync-run-{run.pk}.log"'
        return response
