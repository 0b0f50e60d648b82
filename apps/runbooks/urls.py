from django.urls import path

from apps.runbooks import views

app_name = "runbooks"
urlpatterns = [
    path("runbooks/", views.index, name="index"),
    path("handover/", views.handover, name="handover"),
]
