"""The REST API: one router; each app registers its viewsets in its api module."""

from django.urls import path
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from fwconsole.roles import Role, RoleAPIMixin


class ConsoleRouter(DefaultRouter):
    """DefaultRouter whose API root declares the viewer role like every view."""

    def get_api_root_view(self, api_urls=None):
        view = super().get_api_root_view(api_urls)
        view.cls.required_role = Role.VIEWER
        view.login_required = False
        return view


router = ConsoleRouter()

app_name = "api"

# Apps add their viewsets here as they grow: router.register(...).
extra_urlpatterns: list = []

urlpatterns = router.urls + extra_urlpatterns

__all__ = ["APIView", "RoleAPIMixin", "path", "router"]
