from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "apps.gateway"
    label = "gateway"
    verbose_name = "Inference gateway"

    def ready(self) -> None:
        from apps.core import config
        from apps.gateway import signals  # noqa: F401 (member changes reach every process)
        from apps.gateway.config_section import SECTIONS

        for section in SECTIONS:
            config.register(section)
