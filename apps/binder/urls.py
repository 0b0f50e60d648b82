from django.urls import path

from apps.binder import views

app_name = "binder"
urlpatterns = [path("binder/", views.index, name="index")]
