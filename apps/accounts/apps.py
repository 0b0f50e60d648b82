from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Members and roles"

    def ready(self) -> None:
        from apps.accounts import config_section
        from apps.core import config

        config.register(config_section.SECTION)
