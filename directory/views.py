"""Directory pages: sources, objects, groups and sync runs."""

from django.views.generic import DetailView, TemplateView

from directory.models import DirectoryObject, DirectorySource, SyncRun
from fwconsole.roles import Role, RoleRequiredMixin


class DirectoryIndexView(RoleRequiredMixin, TemplateView):
    required_role = Role.VIEWER
    template_name = "directory/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sources"] = DirectorySource.objects.all()
        return context


class SourceDetailView(RoleRequiredMixin, DetailView):
    required_role = Role.ADMIN
    model = DirectorySource
    template_name = "directory/source_detail.html"


class ObjectDetailView(RoleRequiredMixin, DetailView):
    required_role = Role.VIEWER
    model = DirectoryObject
    template_name = "directory/object_detail.html"


class RunDetailView(RoleRequiredMixin, DetailView):
    required_role = Role.VIEWER
    model = SyncRun
    template_name = "directory/run_detail.html"
