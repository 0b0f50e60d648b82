from django.urls import path  # noqa: F401 (pages arrive with the channels feature)

app_name = "notify"
urlpatterns: list = []
