from django.urls import path

from apps.status import views

app_name = "status"
urlpatterns = [path("status/", views.index, name="index")]
