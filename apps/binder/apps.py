from django.apps import AppConfig


class BinderConfig(AppConfig):
    name = "apps.binder"
    label = "binder"
