"""Server pages: list, effective configuration, edit, native exports."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.urls import reverse, reverse_lazy
from django.views.generic import DetailView, View
from django.views.generic.detail import SingleObjectMixin

from fwconsole.roles import Role, RoleRequiredMixin
from policies import exports, selectors, services
from policies.filters import ServerFilter
from policies.forms import ListeningProgramFormSet, ServerForm
from policies.models import Server
from policies.tables import ServerTable
from policies.views.base import (
    ObjectCreateView,
    ObjectDeleteView,
    ObjectListView,
    ObjectUpdateView,
)


class ServerListView(ObjectListView):
    model = Server
    table_class = ServerTable
    filterset_class = ServerFilter
    template_name = "policies/server_list.html"
    title = "Servers"
    create_url_name = "policies:server_create"

    def queryset_function(self):
        return selectors.server_list()


class ServerDetailView(RoleRequiredMixin, DetailView):
    required_role = Role.VIEWER
    model = Server
    template_name = "policies/server_detail.html"

    def get_object(self, queryset=None):
        try:
            return selectors.server_detail(self.kwargs["pk"])
        except Server.DoesNotExist:
            raise Http404("No such server.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        server = self.object
        overview = selectors.server_overview(server)
        context.update(overview)
        context["exports"] = [
            (export_format, exports.FORMATS[export_format][0], result)
            for export_format, result in exports.export_all(
                server, overview["config"]
            ).items()
        ]
        context["history"] = selectors.server_history(server)
        context["xp_policy_path"] = exports.XP_POLICY_PATH
        return context


class ServerFormMixin:
    model = Server
    form_class = ServerForm
    template_name = "policies/server_form.html"
    success_url = None

    def get_success_url(self):
        return self.object.get_absolute_url()


class ServerCreateView(ServerFormMixin, ObjectCreateView):
    pass


class ServerUpdateView(ServerFormMixin, ObjectUpdateView):
    """Edit a server with its addresses, local states and listening programs."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("programs", self.programs_formset())
        return context

    def programs_formset(self):
        data = self.request.POST if self.request.method == "POST" else None
        return ListeningProgramFormSet(data, instance=self.object, prefix="programs")

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self.get_form()
        programs = self.programs_formset()
        form_ok = form.is_valid()
        if form_ok and programs.is_valid():
            self.programs = programs
            return self.form_valid(form)
        return self.render_to_response(
            self.get_context_data(form=form, programs=programs)
        )

    def form_invalid(self, form):
        return self.render_to_response(
            self.get_context_data(form=form, programs=getattr(self, "programs", None))
        )

    def save(self, form):
        server = form.save()
        for program_form in self.programs.forms:
            if not program_form.has_changed():
                continue
            program = program_form.instance
            program.server = server
            try:
                if self.programs.can_delete and self.programs._should_delete_form(
                    program_form
                ):
                    if program.pk:
                        services.delete_object(obj=program)
                    continue
                services.save_object(obj=program)
            except ValidationError as error:
                program_form.add_error(None, error)
                raise ValidationError("A listening program was refused.") from None
        return server


class ServerDeleteView(ObjectDeleteView):
    model = Server
    success_url = reverse_lazy("policies:server_list")


class ServerExportView(RoleRequiredMixin, SingleObjectMixin, View):
    """Download one native export of a server (SDDL value, PowerShell, netsh)."""

    required_role = Role.VIEWER
    model = Server

    def get(self, request, *args, **kwargs):
        server = self.get_object()
        try:
            export = exports.export_server(server, kwargs["export_format"])
        except exports.ExportError as error:
            return HttpResponse(
                "\n".join(["This export was refused:", *error.problems]) + "\n",
                status=409,
                content_type="text/plain; charset=utf-8",
            )
        response = HttpResponse(export.text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response


def server_export_url(server, export_format):
    return reverse("policies:server_export", args=[server.pk, export_format])
