from django.urls import path

from rotations.programs import views

app_name = "programs"

urlpatterns = [
    path("", views.program_list, name="list"),
    path("new/", views.program_new, name="new"),
    path("<int:program_id>/", views.program_detail, name="detail"),
    path("<int:program_id>/edit/", views.program_edit, name="edit"),
    path("<int:program_id>/compliance.csv", views.program_csv, name="csv"),
    path("<int:program_id>/plans/", views.plan_new, name="plan-new"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("plans/<int:plan_id>/publish/", views.plan_publish_view, name="plan-publish"),
    path("plans/<int:plan_id>/discard/", views.plan_discard_view, name="plan-discard"),
    path("plans/lines/<int:line_id>/", views.plan_line_view, name="plan-line"),
]
