from django.urls import include, path

from rotations.insights.views import insights as insight_views
from rotations.shifts.views import queues, shifts

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
        path(
            "bookings/<int:booking_id>/insights/new/", insight_views.insight_new, name="log-insight"
        ),
    ],
    "shifts",
)

urlpatterns = [
    path("schedule/", shifts.schedule, name="schedule"),
    path("queues/", include(queue_patterns)),
    path("shifts/", include(shift_patterns)),
]
