from django.urls import path

from apps.chat import views, views_manage

app_name = "chat"
urlpatterns = [
    path("chat/", views.index, name="index"),
    path("chat/send/", views.send, name="send_new"),
    path("chat/home/new/", views.dashboard_new, name="dashboard_new"),
    path("chat/<int:pk>/", views.conversation, name="conversation"),
    path("chat/<int:pk>/send/", views.send, name="send"),
    path("chat/<int:pk>/regenerate/", views.regenerate, name="regenerate"),
    path("chat/<int:pk>/edit/", views.edit, name="edit"),
    path("chat/<int:pk>/versions/<int:message_id>/", views.version, name="version"),
    path("chat/<int:pk>/answers/<int:answer_id>/", views.answer_stream, name="answer_stream"),
    path("chat/<int:pk>/answers/<int:answer_id>/stop/", views.answer_stop, name="answer_stop"),
    path("chat/<int:pk>/rename/", views.rename, name="rename"),
    path("chat/<int:pk>/settings/", views.configure, name="configure"),
    path("chat/<int:pk>/delete/", views.delete, name="delete"),
    path("chat/<int:pk>/restore/", views.restore, name="restore"),
    path("chat/<int:pk>/export.md", views.export, name="export"),
    path("settings/chat/", views_manage.presets, name="presets"),
    path("settings/chat/presets/new/", views_manage.preset_edit, name="preset_new"),
    path("settings/chat/presets/<int:pk>/", views_manage.preset_edit, name="preset_edit"),
    path("settings/chat/presets/<int:pk>/delete/", views_manage.preset_delete, name="preset_delete"),
]
