from django.urls import path

from apps.runbooks import urls_runs, views

app_name = "runbooks"
urlpatterns = [
    path("runbooks/", views.index, name="index"),
    # Run-throughs and attachments (apps/runbooks/runs.py, attachments.py) add theirs here.
    *urls_runs.urlpatterns,
]
