from django.urls import path, re_path

from apps.status import views, views_manage

app_name = "status"
urlpatterns = [
    path("status/", views.index, name="index"),
    path("metrics", views.metrics, name="metrics"),
    path("settings/checks/", views_manage.checks_index, name="checks"),
    path("settings/checks/hosts/new/", views_manage.host_edit, name="host_new"),
    path("settings/checks/hosts/<int:pk>/", views_manage.host_edit, name="host_edit"),
    path("settings/checks/services/new/", views_manage.service_edit, name="service_new"),
    path("settings/checks/services/<int:pk>/", views_manage.service_edit, name="service_edit"),
    path("settings/checks/heartbeats/new/", views_manage.heartbeat_edit, name="heartbeat_new"),
    path("settings/checks/heartbeats/<int:pk>/", views_manage.heartbeat_edit, name="heartbeat_edit"),
    path("settings/checks/<str:what>/<int:pk>/delete/", views_manage.delete, name="delete"),
    path("status/<slug:name>/", views.service_detail, name="service"),
    path("status/<slug:name>/pause/", views.pause, name="pause"),
    path("status/<slug:name>/mute/", views.mute, name="mute"),
    path("status/<slug:name>/check/", views.check_now, name="check_now"),
    re_path(r"^ping/(?P<ping_uuid>[0-9a-fA-F-]{36})/?$", views.ping, name="ping"),
    re_path(
        r"^ping/(?P<ping_uuid>[0-9a-fA-F-]{36})/(?P<signal>start|fail|[0-9]{1,3})/?$", views.ping, name="ping_signal"
    ),
]
