"""The REST API: one router; each app registers its viewsets in its api module.

An app's ``api`` module defines ``register(router)`` for viewsets and may
define ``urlpatterns`` for plain API views.
"""

from importlib import import_module

from rest_framework.routers import DefaultRouter

from fwconsole.roles import Role

API_MODULES = ("directory.api", "policies.api", "policies.whatif.api")


class ConsoleRouter(DefaultRouter):
    """DefaultRouter whose API root declares the viewer role like every view."""

    def get_api_root_view(self, api_urls=None):
        view = super().get_api_root_view(api_urls)
        view.cls.required_role = Role.VIEWER
        view.login_required = False
        return view


app_name = "api"

router = ConsoleRouter()
urlpatterns = []
for module_name in API_MODULES:
    module = import_module(module_name)
    module.register(router)
    urlpatterns += getattr(module, "urlpatterns", [])
urlpatterns += router.urls
