from django.urls import path

from apps.ledger import urls_import, views

app_name = "ledger"
urlpatterns = [path("ledger/", views.index, name="index")]
urlpatterns += urls_import.urlpatterns
