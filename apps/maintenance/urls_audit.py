"""The quarterly audit, patch drift and time budget pages (views_audit.py); included by urls.py."""

from django.urls import path

from apps.maintenance import views_audit

urlpatterns = [
    path("maintenance/audits/", views_audit.audit_history, name="audits"),
    path("maintenance/tasks/<int:task_id>/audit/", views_audit.audit_new, name="audit_new"),
    path("maintenance/audit-items/<int:item_id>/resolve/", views_audit.audit_item_resolve, name="audit_item_resolve"),
    path("maintenance/patches/", views_audit.patches, name="patches"),
    path("maintenance/budget/", views_audit.time_budget, name="budget"),
]
