"""URL map of the whole console. Each app's pages live in its own namespace."""

from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from fwconsole import views
from fwconsole.roles import Role, RoleAPIMixin, public


class SchemaView(RoleAPIMixin, SpectacularAPIView):
    required_role = Role.VIEWER


class SwaggerView(RoleAPIMixin, SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served as a file (no inline script
    or style; Redoc is left out because it injects inline styles)."""

    required_role = Role.VIEWER
    template_name = "fwconsole/swagger_ui.html"


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico on pages that name no icon (a run's plain
    text log, JSON answers); send them to the console's icon instead of a 404."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("fwconsole/favicon.svg")


handler403 = "fwconsole.views.permission_denied"

urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/", include("fwconsole.accounts.urls")),
    path("health/", views.health_view, name="health"),
    path("favicon.ico", public(FaviconView.as_view()), name="favicon"),
    path("changelog/", views.changelog_view, name="changelog"),
    path("directory/", include("directory.urls")),
    path("policies/", include("policies.urls")),
    path("what-if/", include("policies.whatif.urls")),
    path("api/", include("fwconsole.api_urls")),
    path("api/schema/", SchemaView.as_view(), name="api_schema"),
    path("api/docs/", SwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("", include("policies.dashboard.urls")),
]
