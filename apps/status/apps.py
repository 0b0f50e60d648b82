from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "apps.status"
    label = "status"
    verbose_name = "Status board"

    def ready(self) -> None:
        from apps.core import config
        from apps.status.config_section import SECTIONS

        for section in SECTIONS:
            config.register(section)
