from django.apps import AppConfig


class RunbooksConfig(AppConfig):
    name = "apps.runbooks"
    label = "runbooks"
