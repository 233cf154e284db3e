from django.urls import path

from workflows import views

app_name = "workflows"

# Fixed paths first: "<workflow_id>/" would take any single segment.
urlpatterns: list = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("trigger-fields/", views.trigger_fields, name="trigger_fields"),
    path("number-users/", views.number_users, name="number_users"),
    path("<str:workflow_id>/", views.edit, name="edit"),
    path("<str:workflow_id>/toggle/", views.toggle, name="toggle"),
    path("<str:workflow_id>/delete/", views.delete, name="delete"),
    path("<str:workflow_id>/step/", views.step, name="step"),
    path("<str:workflow_id>/step/delete/", views.step_delete, name="step_delete"),
    path("<str:workflow_id>/logs/", views.logs, name="logs"),
]
