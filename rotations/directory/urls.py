from django.urls import path

from rotations.directory import views

app_name = "people"

urlpatterns = [
    path("", views.person_list, name="list"),
    path("import/", views.directory_import_view, name="import"),
    path("import/<int:job_id>/", views.directory_import_job, name="import-job"),
    path("<int:person_id>/", views.person_detail, name="detail"),
]
