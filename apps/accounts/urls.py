from django.urls import path

from apps.accounts import views

app_name = "accounts"
urlpatterns = [
    path("settings/members/", views.members, name="members"),
    path("settings/members/invite/", views.invite, name="invite"),
    path("settings/members/<int:pk>/", views.member_edit, name="member_edit"),
    path("settings/members/<int:pk>/link/", views.member_link, name="member_link"),
    path("settings/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("accounts/invite/<str:token>/", views.accept, name="accept"),
]
