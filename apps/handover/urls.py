from django.urls import path

from apps.handover import views

app_name = "handover"
urlpatterns = [
    path("handover/", views.index, name="index"),
]
