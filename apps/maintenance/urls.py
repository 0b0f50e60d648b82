from django.urls import path, re_path

from apps.maintenance import urls_audit, urls_trials, views

app_name = "maintenance"
urlpatterns = [
    path("maintenance/", views.index, name="index"),
    path("maintenance/month/", views.month, name="month"),
    path("maintenance/new/", views.task_edit, name="task_new"),
    path("maintenance/<int:pk>/", views.task_detail, name="task"),
    path("maintenance/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("maintenance/<int:pk>/delete/", views.task_delete, name="task_delete"),
    path("maintenance/<int:pk>/complete/", views.task_complete, name="complete"),
    path("maintenance/<int:pk>/skip/", views.task_skip, name="skip"),
    path("maintenance/<int:pk>/snooze/", views.task_snooze, name="snooze"),
    path("maintenance/completions/<int:pk>/follow-up/", views.follow_up, name="follow_up"),
    path("maintenance/files/<int:pk>/", views.completion_file, name="file"),
    path("maintenance/feed/regenerate/", views.feed_regenerate, name="feed_regenerate"),
    path("maintenance/feed/revoke/", views.feed_revoke, name="feed_revoke"),
    # A token endpoint: the token is the secret, no sign-in (a phone calendar subscribes to it).
    re_path(r"^maintenance/feed/(?P<token>[A-Za-z0-9_-]{20,64})\.ics$", views.calendar_feed, name="feed"),
    *urls_audit.urlpatterns,
    *urls_trials.urlpatterns,
]
