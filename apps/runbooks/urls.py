from django.urls import path

from apps.runbooks import urls_runs, views

app_name = "runbooks"
urlpatterns = [
    path("runbooks/", views.index, name="index"),
    # Fixed addresses before <slug>; the model refuses these words as slugs (RESERVED_SLUGS).
    path("runbooks/new/", views.new, name="new"),
    path("runbooks/preview/", views.preview, name="preview"),
    path("runbooks/<slug:slug>/", views.detail, name="detail"),
    path("runbooks/<slug:slug>/edit/", views.edit, name="edit"),
    path("runbooks/<slug:slug>/history/", views.history, name="history"),
    path("runbooks/<slug:slug>/restore/<int:number>/", views.restore, name="restore"),
    path("runbooks/<slug:slug>/reviewed/", views.reviewed, name="reviewed"),
    path("runbooks/<slug:slug>/delete/", views.delete, name="delete"),
    # Run-throughs and attachments (apps/runbooks/runs.py, attachments.py) add theirs here.
    *urls_runs.urlpatterns,
]
