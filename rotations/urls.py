from django.urls import include, path

from rotations.views import account, home, impact, insights, mentoring, programs, queues, shifts

queue_patterns = (
    [
        path("", queues.queue_list, name="list"),
        path("new/", queues.queue_new, name="new"),
        path("<int:queue_id>/", queues.queue_detail, name="detail"),
        path("<int:queue_id>/edit/", queues.queue_edit, name="edit"),
        path("<int:queue_id>/pause/", queues.queue_pause_toggle, name="pause"),
        path("<int:queue_id>/shifts/new/", queues.shift_new, name="shift-new"),
        path("<int:queue_id>/patterns/new/", queues.pattern_new, name="pattern-new"),
        path("patterns/<int:pattern_id>/edit/", queues.pattern_edit, name="pattern-edit"),
        path("shifts/<int:shift_id>/cancel/", queues.shift_cancel_view, name="shift-cancel"),
    ],
    "queues",
)

shift_patterns = (
    [
        path("", shifts.shift_list, name="list"),
        path("<int:shift_id>/", shifts.shift_detail, name="detail"),
        path("<int:shift_id>/book/", shifts.shift_book, name="book"),
        path("<int:shift_id>/attendance/", shifts.shift_attendance, name="attendance"),
        path(
            "bookings/<int:booking_id>/reschedule/",
            shifts.booking_reschedule_view,
            name="reschedule",
        ),
        path("bookings/<int:booking_id>/cancel/", shifts.booking_cancel_view, name="cancel"),
        path("bookings/<int:booking_id>/insights/new/", insights.insight_new, name="log-insight"),
    ],
    "shifts",
)

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

program_patterns = (
    [
        path("", programs.program_list, name="list"),
        path("new/", programs.program_new, name="new"),
        path("<int:program_id>/", programs.program_detail, name="detail"),
        path("<int:program_id>/edit/", programs.program_edit, name="edit"),
        path("<int:program_id>/compliance.csv", programs.program_csv, name="csv"),
        path("<int:program_id>/plans/", programs.plan_new, name="plan-new"),
        path("plans/<int:plan_id>/", programs.plan_detail, name="plan"),
        path("plans/<int:plan_id>/publish/", programs.plan_publish_view, name="plan-publish"),
        path("plans/<int:plan_id>/discard/", programs.plan_discard_view, name="plan-discard"),
        path("plans/lines/<int:line_id>/", programs.plan_line_view, name="plan-line"),
    ],
    "programs",
)

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("livez", home.livez, name="livez"),
    path("schedule/", shifts.schedule, name="schedule"),
    path("account/api-token/", account.api_token, name="api-token"),
    path("people/", include("rotations.directory.urls")),
    path("queues/", include(queue_patterns)),
    path("shifts/", include(shift_patterns)),
    path("", include("rotations.invites.urls")),
    path("insights/", include(insight_patterns)),
    path("mentoring/", include(mentoring_patterns)),
    path("programs/", include(program_patterns)),
    path("api/", include("rotations.api.urls")),
]
