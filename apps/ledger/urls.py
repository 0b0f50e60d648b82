from django.urls import path

from apps.ledger import urls_import, views, views_annual

app_name = "ledger"
urlpatterns = [
    path("ledger/", views.index, name="index"),
    path("ledger/annual/", views_annual.review, name="annual"),
    path("ledger/annual/<int:year>/", views_annual.review, name="annual_year"),
]
urlpatterns += urls_import.urlpatterns
