from datetime import timedelta

from datetime import UTC

from django.db import models
from rest_framework import serializers

from ..models import Booking, Queue, Shift


class UTCDateTimeField(serializers.DateTimeField):
    """Times in the API are UTC whoever asks, however they signed in."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(*args, **kwargs)


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
    }


class QueueSerializer(ModelSerializer):
    class Meta:
        model = Queue
        fields = [
            "id", "name", "channel", "team", "time_zone", "opens_at", "closes_at",
            "visitor_capacity", "brief", "is_paused", "pause_reason",
            "booking_window_days", "min_notice_hours",
        ]


class ShiftSerializer(ModelSerializer):
    queue = serializers.PrimaryKeyRelatedField(read_only=True)
    queue_name = serializers.CharField(source="queue.name", read_only=True)
    channel = serializers.CharField(source="queue.channel", read_only=True)
    queue_time_zone = serializers.CharField(source="queue.time_zone", read_only=True)
    buddy_name = serializers.CharField(source="buddy.full_name", read_only=True, default=None)
    seats_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = Shift
        fields = [
            "id", "queue", "queue_name", "channel", "queue_time_zone", "starts_at", "ends_at",
            "capacity", "seats_left", "buddy_name", "location", "meeting_url",
        ]


class BookingSerializer(ModelSerializer):
    shift = ShiftSerializer(read_only=True)
    person = serializers.PrimaryKeyRelatedField(read_only=True)
    person_name = serializers.CharField(source="person.full_name", read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id", "shift", "person", "person_name", "status", "starts_at", "ends_at",
            "uid", "sequence", "cancel_reason", "created_at", "updated_at",
        ]


class BookingCreateSerializer(serializers.Serializer):
    shift = serializers.IntegerField(min_value=1)
    person = serializers.IntegerField(min_value=1, required=False, help_text="Book for someone else (leads, HR).")
    override_notice = serializers.BooleanField(default=False)


class RescheduleSerializer(serializers.Serializer):
    shift = serializers.IntegerField(min_value=1)
    override_notice = serializers.BooleanField(default=False)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=False)
    override_notice = serializers.BooleanField(default=False)


class AttendanceSerializer(serializers.Serializer):
    attended = serializers.BooleanField()


class RefusalSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class ShiftQuerySerializer(serializers.Serializer):
    queue = serializers.IntegerField(required=False, min_value=1)
    channel = serializers.ChoiceField(choices=["phone", "chat", "email", "social"], required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    fits_my_calendar = serializers.BooleanField(required=False, default=False)

    def validate(self, data):
        # The same range rules as the page's filter form (ShiftFilterForm).
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise serializers.ValidationError("“To” is before “From”.")
        if start and end and end - start > timedelta(days=400):
            raise serializers.ValidationError("Pick a range of at most a year.")
        return data


class _PageSerializer(serializers.Serializer):
    """The envelope of a paginated list (PageNumberPagination), for the schema."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class ShiftPageSerializer(_PageSerializer):
    results = ShiftSerializer(many=True)


class BookingPageSerializer(_PageSerializer):
    results = BookingSerializer(many=True)
