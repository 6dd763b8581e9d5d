from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = "Policies"

    def ready(self):
        from policies.dashboard import receivers
        from policies.history import register_models

        register_models()
        receivers.connect()
