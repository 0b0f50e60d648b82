from django.urls import path

from apps.maintenance import urls_trials, views

app_name = "maintenance"
urlpatterns = [
    path("maintenance/", views.index, name="index"),
    *urls_trials.urlpatterns,
]
