from django.urls import path

from rotations.api import bookings, insights, queues

urlpatterns = [
    path("queues/", queues.queue_list, name="api-queues"),
    path("queues/<int:queue_id>/", queues.queue_detail, name="api-queue"),
    path("queues/<int:queue_id>/pause/", queues.queue_pause_endpoint, name="api-queue-pause"),
    path("queues/<int:queue_id>/resume/", queues.queue_resume_endpoint, name="api-queue-resume"),
    path("queues/<int:queue_id>/shifts/", queues.queue_shift_create, name="api-queue-shifts"),
    path("queues/<int:queue_id>/patterns/", queues.queue_patterns, name="api-queue-patterns"),
    path("patterns/<int:pattern_id>/", queues.pattern_detail, name="api-pattern"),
    path("shifts/", bookings.shift_list, name="api-shifts"),
    path("shifts/<int:shift_id>/", bookings.shift_detail, name="api-shift"),
    path("shifts/<int:shift_id>/cancel/", queues.shift_take_off, name="api-shift-cancel"),
    path("bookings/", bookings.booking_list, name="api-bookings"),
    path("bookings/<int:booking_id>/", bookings.booking_detail, name="api-booking"),
    path(
        "bookings/<int:booking_id>/reschedule/",
        bookings.booking_reschedule_endpoint,
        name="api-booking-reschedule",
    ),
    path(
        "bookings/<int:booking_id>/cancel/",
        bookings.booking_cancel_endpoint,
        name="api-booking-cancel",
    ),
    path(
        "bookings/<int:booking_id>/attendance/",
        bookings.booking_attendance_endpoint,
        name="api-booking-attendance",
    ),
    path(
        "bookings/<int:booking_id>/insights/",
        insights.insight_log_endpoint,
        name="api-booking-insights",
    ),
    path("insights/", insights.insight_list, name="api-insights"),
    path("insights/<int:insight_id>/", insights.insight_detail, name="api-insight"),
    path(
        "insights/<int:insight_id>/status/",
        insights.insight_status_endpoint,
        name="api-insight-status",
    ),
]
