from django.urls import include, path

from rotations.views import account, home

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("livez", home.livez, name="livez"),
    path("account/api-token/", account.api_token, name="api-token"),
    path("people/", include("rotations.directory.urls")),
    path("", include("rotations.shifts.urls")),
    path("", include("rotations.invites.urls")),
    path("insights/", include("rotations.insights.urls")),
    path("mentoring/", include("rotations.mentoring.urls")),
    path("programs/", include("rotations.programs.urls")),
    path("api/", include("rotations.api.urls")),
]
