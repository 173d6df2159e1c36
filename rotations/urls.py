from django.urls import include, path

from rotations.views import account, home, impact, insights, mentoring

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

mentoring_patterns = (
    [
        path("", mentoring.mentoring_home, name="home"),
        path("topics/", mentoring.topic_list, name="topics"),
        path("cycles/", mentoring.cycle_list, name="cycles"),
        path("cycles/new/", mentoring.cycle_new, name="cycle-new"),
        path("cycles/<int:cycle_id>/", mentoring.cycle_detail, name="cycle"),
        path("cycles/<int:cycle_id>/edit/", mentoring.cycle_edit, name="cycle-edit"),
        path("cycles/<int:cycle_id>/match/", mentoring.cycle_match, name="cycle-match"),
        path("cycles/<int:cycle_id>/publish/", mentoring.cycle_publish_view, name="cycle-publish"),
        path("cycles/<int:cycle_id>/close/", mentoring.cycle_close_view, name="cycle-close"),
        path("cycles/<int:cycle_id>/swap/", mentoring.pairing_swap_view, name="pairing-swap"),
        path("cycles/<int:cycle_id>/profile/", mentoring.profile_edit, name="profile"),
        path("pairings/<int:pairing_id>/", mentoring.pairing_detail, name="pairing"),
        path(
            "pairings/<int:pairing_id>/remove/",
            mentoring.pairing_remove_view,
            name="pairing-remove",
        ),
        path("pairings/<int:pairing_id>/end/", mentoring.pairing_end_view, name="pairing-end"),
        path(
            "sessions/<int:session_id>/reschedule/",
            mentoring.session_reschedule_view,
            name="session-reschedule",
        ),
        path("sessions/<int:session_id>/mark/", mentoring.session_mark_view, name="session-mark"),
        path(
            "sessions/<int:session_id>/insights/new/",
            mentoring.session_insight_new,
            name="session-insight",
        ),
    ],
    "mentoring",
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
    path("mentoring/", include(mentoring_patterns)),
    path("programs/", include("rotations.programs.urls")),
    path("api/", include("rotations.api.urls")),
]
