from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "apps.maintenance"
    label = "maintenance"

    def ready(self) -> None:
        from apps.core import config, navigation
        from apps.maintenance.config_section_prompts import SECTION as PROMPT_SETS

        config.register(PROMPT_SETS)
        navigation.register_settings_page(
            navigation.SettingsPage(
                title="Model trials",
                url_name="maintenance:trials",
                order=45,
                description="The household's own prompts per alias; try a new model against today's, "
                "vote blind, and roll the route forward or back.",
                capability="maintenance_trials",
            )
        )
