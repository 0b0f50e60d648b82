from django.urls import path

from apps.handover import views, views_manage

app_name = "handover"
urlpatterns = [
    path("handover/", views.index, name="index"),
    path("handover/<int:pk>/preview/", views.preview, name="preview"),
    path("handover/<int:pk>/notes/", views.note_add, name="note_add"),
    # The owner's Settings pages.
    path("settings/handovers/", views_manage.handovers, name="settings"),
    path("settings/handovers/new/", views_manage.handover_edit, name="new"),
    path("settings/handovers/<int:pk>/", views_manage.handover_edit, name="edit"),
    path("settings/handovers/<int:pk>/delete/", views_manage.handover_delete, name="delete"),
    path("settings/handovers/access-log/", views_manage.access_log, name="access_log"),
    path("settings/contacts/", views_manage.contacts, name="contacts"),
    path("settings/contacts/new/", views_manage.contact_edit, name="contact_new"),
    path("settings/contacts/<int:pk>/", views_manage.contact_edit, name="contact_edit"),
    path("settings/contacts/<int:pk>/delete/", views_manage.contact_delete, name="contact_delete"),
]
