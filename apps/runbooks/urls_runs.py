"""The addresses of run-throughs and attachments; the runbook pages' own are in urls.py."""

from django.urls import URLPattern, path

from apps.runbooks import views_attachments, views_runs

urlpatterns: list[URLPattern] = [
    path("runbooks/<slug:slug>/run/", views_runs.run_new, name="run_new"),
    path("runbooks/<slug:slug>/runs/", views_runs.run_list, name="runs"),
    path("runbooks/<slug:slug>/runs/<int:run_id>/", views_runs.run_page, name="run"),
    path("runbooks/<slug:slug>/runs/<int:run_id>/steps/<int:index>/tick/", views_runs.run_tick, name="run_tick"),
    path("runbooks/<slug:slug>/runs/<int:run_id>/steps/<int:index>/note/", views_runs.run_note, name="run_note"),
    path("runbooks/<slug:slug>/runs/<int:run_id>/finish/", views_runs.run_finish, name="run_finish"),
    path("runbooks/<slug:slug>/files/", views_attachments.manage, name="attachments"),
    path("runbooks/<slug:slug>/files/<int:pk>/delete/", views_attachments.delete, name="attachment_delete"),
    path("runbooks/<slug:slug>/files/<int:pk>/<str:name>", views_attachments.serve, name="attachment"),
]
