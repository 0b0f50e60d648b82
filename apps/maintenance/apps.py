from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "apps.maintenance"
    label = "maintenance"

    def ready(self) -> None:
        from apps.core import config
        from apps.maintenance.config_section import SECTION

        config.register(SECTION)
