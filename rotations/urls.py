"""Every page's address, by domain: each domain's urls.py says its own."""

from django.urls import include, path

from rotations.api import token
from rotations.common import views as common
from rotations.home import views as home

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", common.healthz, name="healthz"),
    path("livez", common.livez, name="livez"),
    path("readyz", common.readyz, name="readyz"),
    path("account/api-token/", token.api_token, name="api-token"),
    path("people/", include("rotations.directory.urls")),
    path("", include("rotations.shifts.urls")),
    path("", include("rotations.invites.urls")),
    path("insights/", include("rotations.insights.urls")),
    path("mentoring/", include("rotations.mentoring.urls")),
    path("programs/", include("rotations.programs.urls")),
    path("api/", include("rotations.api.urls")),
]
