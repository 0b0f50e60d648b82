from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "apps.ledger"
    label = "ledger"

    def ready(self) -> None:
        from apps.core import config
        from apps.ledger.config_section import SECTIONS

        for section in SECTIONS:
            config.register(section)
