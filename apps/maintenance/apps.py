from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "apps.maintenance"
    label = "maintenance"

    def ready(self) -> None:
        from apps.core import config
        from apps.maintenance.config_section import SECTION
        from apps.maintenance.config_section_prompts import SECTION as PROMPT_SETS

        config.register(SECTION)
        config.register(PROMPT_SETS)
