from django.urls import path

from apps.ledger import views_import

urlpatterns = [
    path("ledger/import/", views_import.import_upload, name="import"),
    path("ledger/import/<int:batch_id>/", views_import.import_batch, name="import_batch"),
    path("ledger/import/<int:batch_id>/save/", views_import.import_save, name="import_save"),
    path("ledger/export/items.csv", views_import.export_items, name="export_items"),
    path("ledger/export/charges.csv", views_import.export_charges, name="export_charges"),
]
