from rest_framework import serializers

from ..models import Booking, Queue, Shift


class QueueSerializer(serializers.ModelSerializer):
    class Meta:
        model = Queue
        fields = [
            "id", "name", "channel", "team", "time_zone", "opens_at", "closes_at",
            "visitor_capacity", "brief", "is_paused", "pause_reason",
            "booking_window_days", "min_notice_hours",
        ]


class ShiftSerializer(serializers.ModelSerializer):
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


class BookingSerializer(serializers.ModelSerializer):
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
