from django.apps import AppConfig


class FwconsoleConfig(AppConfig):
    name = "fwconsole"
    verbose_name = "fwconsole"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Connects the sign-in and audit receivers and the system checks.
        from fwconsole.auth import checks, receivers  # noqa: F401

        receivers.register_directory_source()
