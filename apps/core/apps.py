from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Each app's panels.py registers what it adds to the shared pages (apps/core/panels.py).
        autodiscover_modules("panels")
