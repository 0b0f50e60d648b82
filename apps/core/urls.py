from django.urls import path

from apps.core import views

app_name = "core"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("search/", views.search, name="search"),
    path("healthz", views.healthz, name="healthz"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/config/", views.config_page, name="config"),
    path("settings/config/export.yaml", views.config_export, name="config_export"),
]
