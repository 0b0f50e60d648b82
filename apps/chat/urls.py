from django.urls import path

from apps.chat import views

app_name = "chat"
urlpatterns = [path("chat/", views.index, name="index")]
