from django.apps import AppConfig


class RunbooksConfig(AppConfig):
    name = "apps.runbooks"
    label = "runbooks"

    def ready(self) -> None:
        from apps.core import config
        from apps.runbooks.config_section import SECTION

        config.register(SECTION)
