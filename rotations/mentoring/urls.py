from django.urls import path

from rotations.mentoring import views

app_name = "mentoring"

urlpatterns = [
    path("", views.mentoring_home, name="home"),
    path("topics/", views.topic_list, name="topics"),
    path("cycles/", views.cycle_list, name="cycles"),
    path("cycles/new/", views.cycle_new, name="cycle-new"),
    path("cycles/<int:cycle_id>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:cycle_id>/edit/", views.cycle_edit, name="cycle-edit"),
    path("cycles/<int:cycle_id>/match/", views.cycle_match, name="cycle-match"),
    path("cycles/<int:cycle_id>/publish/", views.cycle_publish_view, name="cycle-publish"),
    path("cycles/<int:cycle_id>/close/", views.cycle_close_view, name="cycle-close"),
    path("cycles/<int:cycle_id>/swap/", views.pairing_swap_view, name="pairing-swap"),
    path("cycles/<int:cycle_id>/profile/", views.profile_edit, name="profile"),
    path("pairings/<int:pairing_id>/", views.pairing_detail, name="pairing"),
    path(
        "pairings/<int:pairing_id>/remove/",
        views.pairing_remove_view,
        name="pairing-remove",
    ),
    path("pairings/<int:pairing_id>/end/", views.pairing_end_view, name="pairing-end"),
    path(
        "sessions/<int:session_id>/reschedule/",
        views.session_reschedule_view,
        name="session-reschedule",
    ),
    path("sessions/<int:session_id>/mark/", views.session_mark_view, name="session-mark"),
    path(
        "sessions/<int:session_id>/insights/new/",
        views.session_insight_new,
        name="session-insight",
    ),
]
