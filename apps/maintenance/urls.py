from django.urls import path

from apps.maintenance import urls_audit, views

app_name = "maintenance"
urlpatterns = [
    path("maintenance/", views.index, name="index"),
    *urls_audit.urlpatterns,
]
