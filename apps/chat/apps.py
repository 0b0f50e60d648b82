from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "apps.chat"
    label = "chat"

    def ready(self) -> None:
        from apps.chat.config_section import SECTION
        from apps.core import config

        config.register(SECTION)
