"""The owner's model-update trials, under /maintenance/trials/ (included by urls.py)."""

from django.urls import path

from apps.maintenance import views_trials as views

urlpatterns = [
    path("maintenance/trials/", views.index, name="trials"),
    path("maintenance/trials/sets/new/", views.prompt_set_new, name="prompt_set_new"),
    path("maintenance/trials/sets/<int:pk>/", views.prompt_set, name="prompt_set"),
    path("maintenance/trials/sets/<int:pk>/delete/", views.prompt_set_delete, name="prompt_set_delete"),
    path("maintenance/trials/sets/<int:pk>/prompts/", views.prompt_add, name="prompt_add"),
    path("maintenance/trials/sets/<int:pk>/pick/", views.prompt_pick, name="prompt_pick"),
    path("maintenance/trials/sets/<int:pk>/start/", views.trial_start, name="trial_start"),
    path("maintenance/trials/prompts/<int:pk>/delete/", views.prompt_delete, name="prompt_delete"),
    path("maintenance/trials/<int:pk>/", views.trial, name="trial"),
    path("maintenance/trials/<int:pk>/vote/", views.trial_vote, name="trial_vote"),
    path("maintenance/trials/<int:pk>/decide/", views.trial_decide, name="trial_decide"),
    path("maintenance/trials/changes/<int:pk>/undo/", views.route_change_undo, name="route_change_undo"),
]
