from django.apps import AppConfig


class HandoverConfig(AppConfig):
    name = "apps.handover"
    label = "handover"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from apps.core import config
        from apps.handover import access, config_section

        user_logged_in.connect(access.record_sign_in, dispatch_uid="handover.record_sign_in")
        for section in config_section.SECTIONS:
            config.register(section)
