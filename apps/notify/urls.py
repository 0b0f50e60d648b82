from django.urls import path

from apps.notify import views

app_name = "notify"
urlpatterns = [
    path("settings/channels/", views.channels, name="channels"),
    path("settings/channels/add/", views.channel_add, name="channel_add"),
    path("settings/channels/<int:pk>/", views.channel_edit, name="channel_edit"),
    path("settings/channels/<int:pk>/test/", views.channel_test, name="channel_test"),
    path("settings/channels/<int:pk>/delete/", views.channel_delete, name="channel_delete"),
]
