from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "apps.notify"
    label = "notify"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from apps.core import config
        from apps.notify.config_section import SECTION

        config.register(SECTION)
