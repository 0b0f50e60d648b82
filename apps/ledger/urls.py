from django.urls import path

from apps.ledger import urls_import, views, views_annual, views_charges, views_items, views_reviews, views_settings

app_name = "ledger"
urlpatterns = [
    path("ledger/", views.index, name="index"),
    path("ledger/items/", views_items.items, name="items"),
    path("ledger/items/new/", views_items.item_new, name="item_new"),
    path("ledger/items/<int:pk>/", views_items.item_detail, name="item"),
    path("ledger/items/<int:pk>/edit/", views_items.item_edit, name="item_edit"),
    path("ledger/items/<int:pk>/delete/", views_items.item_delete, name="item_delete"),
    path("ledger/items/<int:pk>/price/", views_items.price_new, name="price_new"),
    path("ledger/items/<int:pk>/usage/", views_items.usage_new, name="usage_new"),
    path("ledger/usage/<int:pk>/delete/", views_items.usage_delete, name="usage_delete"),
    path("ledger/charges/", views_charges.charges, name="charges"),
    path("ledger/charges/new/", views_charges.charge_new, name="charge_new"),
    path("ledger/charges/<int:pk>/", views_charges.charge_edit, name="charge_edit"),
    path("ledger/charges/<int:pk>/assign/", views_charges.charge_assign, name="charge_assign"),
    path("ledger/charges/<int:pk>/delete/", views_charges.charge_delete, name="charge_delete"),
    path("ledger/settings/", views_settings.settings, name="settings"),
    path("ledger/reviews/", views_reviews.review_list, name="reviews"),
    path("ledger/reviews/new/", views_reviews.review_new, name="review_new"),
    path("ledger/creep/reviewed/", views_reviews.creep_reviewed, name="creep_reviewed"),
    path("ledger/annual/", views_annual.review, name="annual"),
    path("ledger/annual/<int:year>/", views_annual.review, name="annual_year"),
]
urlpatterns += urls_import.urlpatterns
