from django.urls import include, path

from .views import home, people

people_patterns = (
    [
        path("", people.person_list, name="list"),
        path("import/", people.directory_import_view, name="import"),
        path("<int:person_id>/", people.person_detail, name="detail"),
    ],
    "people",
)

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("people/", include(people_patterns)),
]
