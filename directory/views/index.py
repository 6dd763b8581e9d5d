"""The directory overview: sources, their freshness, and what they hold."""

from django.utils import timezone
from django.views.generic import TemplateView

from directory import selectors
from fwconsole.roles import Role, RoleRequiredMixin


class DirectoryIndexView(RoleRequiredMixin, TemplateView):
    required_role = Role.VIEWER
    template_name = "directory/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        sources = list(selectors.sources_with_status())
        for source in sources:
            source.stale = source.is_stale(now)
            source.data_age = (
                now - source.last_success_at if source.last_success_at else None
            )
        context["sources"] = sources
        context["totals"] = selectors.object_totals()
        context["recent_runs"] = selectors.runs()[:5]
        return context
