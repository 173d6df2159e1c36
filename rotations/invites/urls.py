from django.urls import include, path

from rotations.invites.views import calendar, deliveries

delivery_patterns = (
    [
        path("", deliveries.delivery_list, name="list"),
        path("bookings/<int:booking_id>/", deliveries.booking_deliveries, name="booking"),
        path("<int:email_id>/retry/", deliveries.delivery_retry, name="retry"),
    ],
    "deliveries",
)

urlpatterns = [
    path("account/calendar/", calendar.calendar_settings, name="calendar-settings"),
    path("calendar/<str:token>.ics", calendar.calendar_feed, name="calendar-feed"),
    path("deliveries/", include(delivery_patterns)),
]
