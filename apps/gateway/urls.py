from django.urls import path

from apps.gateway import views, views_manage

app_name = "gateway"
urlpatterns = [
    path("settings/gateway/", views_manage.index, name="settings"),
    path("settings/gateway/backends/new/", views_manage.backend_edit, name="backend_new"),
    path("settings/gateway/backends/<int:pk>/", views_manage.backend_edit, name="backend_edit"),
    path("settings/gateway/backends/<int:pk>/test/", views_manage.backend_test, name="backend_test"),
    path("settings/gateway/routes/new/", views_manage.route_edit, name="route_new"),
    path("settings/gateway/routes/<int:pk>/", views_manage.route_edit, name="route_edit"),
    path("settings/gateway/policies/new/", views_manage.policy_edit, name="policy_new"),
    path("settings/gateway/policies/<int:pk>/", views_manage.policy_edit, name="policy_edit"),
    path("settings/gateway/<str:what>/<int:pk>/delete/", views_manage.delete, name="delete"),
    path("settings/gateway/content-logging/", views_manage.content_logging, name="content_logging"),
    path("keys/", views.keys_page, name="keys"),
    path("keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
    path("usage/", views.usage, name="usage"),
]
