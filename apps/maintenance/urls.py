from django.urls import path

from apps.maintenance import views

app_name = "maintenance"
urlpatterns = [path("maintenance/", views.index, name="index")]
