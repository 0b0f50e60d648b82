from django.urls import include, path

urlpatterns = [
    path("", include("apps.core.urls")),
    path("", include("apps.accounts.urls")),
    path("accounts/", include("allauth.account.urls")),
    path("", include("apps.status.urls")),
    path("", include("apps.notify.urls")),
    path("", include("apps.gateway.urls")),
    path("", include("apps.chat.urls")),
    path("", include("apps.runbooks.urls")),
    path("", include("apps.handover.urls")),
    path("", include("apps.maintenance.urls")),
    path("", include("apps.ledger.urls")),
    path("", include("apps.binder.urls")),
]

handler400 = "apps.core.views.bad_request"
