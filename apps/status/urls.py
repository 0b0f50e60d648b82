from django.urls import path, re_path

from apps.status import views

app_name = "status"
urlpatterns = [
    path("status/", views.index, name="index"),
    path("status/<slug:name>/", views.service_detail, name="service"),
    path("status/<slug:name>/pause/", views.pause, name="pause"),
    path("status/<slug:name>/mute/", views.mute, name="mute"),
    path("status/<slug:name>/check/", views.check_now, name="check_now"),
    re_path(r"^ping/(?P<ping_uuid>[0-9a-f-]{36})/?$", views.ping, name="ping"),
    re_path(r"^ping/(?P<ping_uuid>[0-9a-f-]{36})/(?P<signal>start|fail|[0-9]{1,3})/?$", views.ping, name="ping_signal"),
]
