from django.urls import include, path

from rotations.views import account, home, impact, insights

insight_patterns = (
    [
        path("", insights.insight_list, name="list"),
        path("export.csv", insights.insight_export, name="export"),
        path("impact/", impact.impact_dashboard, name="dashboard"),
        path("impact/<str:table>.csv", impact.impact_csv, name="dashboard-csv"),
        path("<int:insight_id>/", insights.insight_detail, name="detail"),
        path("<int:insight_id>/status/", insights.insight_status, name="status"),
        path("<int:insight_id>/merge/", insights.insight_merge_view, name="merge"),
        path("<int:insight_id>/comment/", insights.insight_comment_view, name="comment"),
        path("<int:insight_id>/follow/", insights.insight_follow_view, name="follow"),
        path("<int:insight_id>/plus-one/", insights.insight_plus_one_view, name="plus-one"),
    ],
    "insights",
)

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("livez", home.livez, name="livez"),
    path("account/api-token/", account.api_token, name="api-token"),
    path("people/", include("rotations.directory.urls")),
    path("", include("rotations.shifts.urls")),
    path("", include("rotations.invites.urls")),
    path("insights/", include(insight_patterns)),
    path("mentoring/", include("rotations.mentoring.urls")),
    path("programs/", include("rotations.programs.urls")),
    path("api/", include("rotations.api.urls")),
]
