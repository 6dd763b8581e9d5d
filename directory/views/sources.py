"""Directory source pages (admin only): settings, sync, connection test, import."""

import logging

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.views.generic import (
    CreateView,
    DeleteView,
    DetailView,
    FormView,
    TemplateView,
    UpdateView,
)
from django.views.generic.detail import SingleObjectMixin
from django_tables2 import RequestConfig, SingleTableView

from directory import selectors, services
from directory.forms import DirectorySourceForm, LdifImportForm, SyncRequestForm
from directory.models import DirectorySource, SyncRun
from directory.tables import RunTable, SourceTable
from directory.views.mixins import HtmxPartialMixin
from fwconsole.roles import Role, RoleRequiredMixin

logger = logging.getLogger(__name__)


class SourceAdminMixin(RoleRequiredMixin):
    required_role = Role.ADMIN
    model = DirectorySource


class SourceListView(SourceAdminMixin, SingleTableView):
    table_class = SourceTable
    template_name = "directory/source_list.html"
    table_pagination = False

    def get_queryset(self):
        return selectors.sources_with_status()


class SourceFormMixin(SourceAdminMixin):
    form_class = DirectorySourceForm
    template_name = "directory/source_form.html"

    def form_valid(self, form):
        # The settings and the periodic task that follows them change together.
        with transaction.atomic():
            response = super().form_valid(form)
            services.source_schedule_update(self.object)
        for warning in form.warnings:
            messages.warning(self.request, warning)
        return response


class SourceCreateView(SourceFormMixin, CreateView):
    def form_valid(self, form):
        response = super().form_valid(form)
        logger.info("Directory source %s created by %s", self.object, self.request.user)
        messages.success(self.request, f"Directory source {self.object} created.")
        return response


class SourceUpdateView(SourceFormMixin, UpdateView):
    def form_valid(self, form):
        response = super().form_valid(form)
        logger.info(
            "Directory source %s changed by %s (fields: %s)",
            self.object,
            self.request.user,
            ", ".join(sorted(form.changed_data)),
        )
        messages.success(self.request, f"Directory source {self.object} saved.")
        return response


class SourceDeleteView(SourceAdminMixin, DeleteView):
    template_name = "directory/source_confirm_delete.html"
    success_url = reverse_lazy("directory:source_list")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["status"] = selectors.sources_with_status().get(pk=self.object.pk)
        context["run_count"] = self.object.runs.count()
        return context

    def form_valid(self, form):
        name = str(self.object)
        services.source_delete(source=self.object)
        logger.info("Directory source %s deleted by %s", name, self.request.user)
        messages.success(
            self.request,
            f"Directory source {name} and everything read from it deleted.",
        )
        return HttpResponseRedirect(self.get_success_url())


class SourceDetailView(SourceAdminMixin, DetailView):
    template_name = "directory/source_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        source = self.object
        context["status"] = selectors.sources_with_status().get(pk=source.pk)
        runs = RunTable(
            selectors.runs().filter(source=source), exclude=("source",), prefix="runs-"
        )
        RequestConfig(self.request, paginate={"per_page": 15}).configure(runs)
        context["runs_table"] = runs
        context["sync_form"] = SyncRequestForm()
        context["active_run"] = source.runs.filter(
            status__in=SyncRun.ACTIVE_STATUSES
        ).first()
        context["is_ldif"] = source.kind == DirectorySource.Kind.LDIF
        return context


class SourceSyncView(SourceAdminMixin, SingleObjectMixin, FormView):
    """Queue a sync of the source now (or show the run already under way)."""

    form_class = SyncRequestForm
    http_method_names = ["post"]

    def form_valid(self, form):
        source = self.get_object()
        allow_shrink = form.cleaned_data["allow_shrink"]
        try:
            run = services.sync_request(
                source=source,
                trigger=SyncRun.Trigger.MANUAL,
                started_by=self.request.user,
                allow_shrink=allow_shrink,
            )
        except services.SyncAlreadyRunning as busy:
            messages.error(self.request, str(busy))
            return HttpResponseRedirect(source.get_absolute_url())
        logger.info(
            "Sync of %s requested by %s: run %s is %s (allow_shrink=%s)",
            source,
            self.request.user,
            run.pk,
            run.status,
            allow_shrink,
        )
        # The run page shows the status live; the notice must not freeze it.
        messages.info(self.request, f"Sync of {source} requested: run #{run.pk}.")
        return HttpResponseRedirect(run.get_absolute_url())

    def form_invalid(self, form):
        source = self.get_object()
        messages.error(self.request, "The sync request was not understood.")
        return HttpResponseRedirect(source.get_absolute_url())


class SourceTestConnectionView(
    SourceAdminMixin, HtmxPartialMixin, SingleObjectMixin, TemplateView
):
    """Try each step of reaching the directory and report the first that fails."""

    http_method_names = ["post"]
    template_name = "directory/source_test_connection.html"
    partial_template_name = "directory/partials/connection_test.html"

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        report = services.connection_test(self.object)
        failed = next((step for step in report.steps if step.ok is False), None)
        logger.info(
            "Connection test of %s by %s: %s",
            self.object,
            request.user,
            f"failed at {failed.name}" if failed else "ok",
        )
        context = self.get_context_data(report=report, failed_step=failed)
        return self.render_to_response(context)


class SourceImportView(SourceAdminMixin, SingleObjectMixin, FormView):
    """Upload an LDIF export into the source; a bad file changes nothing."""

    form_class = LdifImportForm
    template_name = "directory/source_import.html"

    def dispatch(self, request, *args, **kwargs):
        self.object = get_object_or_404(DirectorySource, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        upload = form.cleaned_data["ldif_file"]
        try:
            run = services.ldif_import(
                source=self.object, path_or_file=upload, started_by=self.request.user
            )
        except (services.LdifError, services.SyncAlreadyRunning) as error:
            form.add_error("ldif_file", f"{error}. Nothing was changed.")
            return self.form_invalid(form)
        logger.info(
            "LDIF file %s imported into %s by %s (run %s)",
            upload.name,
            self.object,
            self.request.user,
            run.pk,
        )
        if run.status == SyncRun.Status.FAILED:
            messages.error(self.request, f"Import of {upload.name} failed: {run.error}")
        else:
            messages.success(
                self.request, f"{upload.name} imported into {self.object}."
            )
        return HttpResponseRedirect(reverse("directory:run_detail", args=[run.pk]))
