from __future__ import annotations

import copy
from datetime import UTC, timedelta

from django.db import models
from rest_framework import serializers

from rotations.directory.roles import Role
from rotations.directory.selectors import people_with_role
from rotations.models import (
    Booking,
    Insight,
    InsightCategory,
    InsightStatus,
    Person,
    Queue,
    Severity,
    Shift,
    ShiftPattern,
    Tag,
)


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

    def get_fields(self):
        # DRF derives the fields from the model for every instance, which costs more than
        # the serialising; none of ours depend on the instance or context, so derive them
        # once per class and hand each instance fresh copies.
        cls = type(self)
        fields = cls.__dict__.get("_derived_fields")
        if fields is None:
            fields = super().get_fields()
            cls._derived_fields = fields
        return {name: _fresh_copy(field) for name, field in fields.items()}


def _fresh_copy(field: serializers.Field) -> serializers.Field:
    """A copy for one serializer instance to bind. DRF deep-copies, which builds every
    field again from its arguments: half the cost of answering with a booking. Binding
    sets the copy's own name, parent and source, and nothing changes a field after
    that, so a shallow copy does; fields that hold children bound to themselves (nested
    serializers, many-related fields, list and dict fields) are still copied deeply."""
    if (
        isinstance(field, serializers.BaseSerializer)
        or hasattr(field, "child")
        or hasattr(field, "child_relation")
    ):
        return copy.deepcopy(field)
    # copy.copy's own way (through __reduce_ex__), without its detours: a third of the time.
    fresh = object.__new__(type(field))
    fresh.__dict__.update(field.__dict__)
    return fresh


class QueueSerializer(ModelSerializer):
    leads: serializers.PrimaryKeyRelatedField[Person] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Queue
        fields = [
            "id",
            "name",
            "channel",
            "team",
            "time_zone",
            "opens_at",
            "closes_at",
            "leads",
            "visitor_capacity",
            "brief",
            "is_paused",
            "pause_reason",
            "booking_window_days",
            "min_notice_hours",
        ]


class ShiftSerializer(ModelSerializer):
    queue: serializers.PrimaryKeyRelatedField[Queue] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    queue_name = serializers.CharField(source="queue.name", read_only=True)
    channel = serializers.CharField(source="queue.channel", read_only=True)
    queue_time_zone = serializers.CharField(source="queue.time_zone", read_only=True)
    buddy_name = serializers.CharField(
        source="buddy.full_name", read_only=True, default=None, allow_null=True
    )
    seats_left = serializers.IntegerField(read_only=True)
    cancelled = serializers.BooleanField(source="is_cancelled", read_only=True)

    class Meta:
        model = Shift
        fields = [
            "id",
            "queue",
            "queue_name",
            "channel",
            "queue_time_zone",
            "starts_at",
            "ends_at",
            "capacity",
            "seats_left",
            "cancelled",
            "buddy_name",
            "location",
            "meeting_url",
        ]


class BookingSerializer(ModelSerializer):
    shift = ShiftSerializer(read_only=True)
    person: serializers.PrimaryKeyRelatedField[Person] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    person_name = serializers.CharField(source="person.full_name", read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "shift",
            "person",
            "person_name",
            "status",
            "starts_at",
            "ends_at",
            "uid",
            "sequence",
            "cancel_reason",
            "created_at",
            "updated_at",
        ]


class BookingCreateSerializer(serializers.Serializer):
    shift = serializers.IntegerField(min_value=1)
    person = serializers.IntegerField(
        min_value=1, required=False, help_text="Book for someone else (leads, HR)."
    )
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


class InsightSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.full_name", read_only=True)
    queue_name = serializers.CharField(
        source="queue.name", read_only=True, default=None, allow_null=True
    )
    owner_name = serializers.CharField(
        source="owner.full_name", read_only=True, default=None, allow_null=True
    )
    tags: serializers.SlugRelatedField[Tag] = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True
    )
    plus_ones = serializers.IntegerField(read_only=True)

    class Meta:
        model = Insight
        fields = [
            "id",
            "title",
            "what_happened",
            "customer_quote",
            "ticket_refs",
            "category",
            "severity",
            "suggested_fix",
            "tags",
            "is_shared",
            "status",
            "author",
            "author_name",
            "booking",
            "queue",
            "queue_name",
            "owner",
            "owner_name",
            "owner_team",
            "due_on",
            "decline_reason",
            "duplicate_of",
            "plus_ones",
            "created_at",
            "triaged_at",
            "actioned_at",
            "shipped_at",
        ]
        read_only_fields = fields


class InsightPageSerializer(_PageSerializer):
    results = InsightSerializer(many=True)


class InsightQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=200)
    status = serializers.ChoiceField(choices=["open", *InsightStatus.values], required=False)
    queue = serializers.IntegerField(required=False, min_value=1)
    category = serializers.ChoiceField(choices=InsightCategory.values, required=False)
    severity = serializers.ChoiceField(choices=Severity.values, required=False)
    tag = serializers.CharField(required=False, max_length=40)
    executive = serializers.IntegerField(required=False, min_value=1)
    logged_from = serializers.DateField(required=False)
    logged_to = serializers.DateField(required=False)
    following = serializers.BooleanField(required=False, default=False)


class InsightLogSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    what_happened = serializers.CharField(max_length=5000)
    customer_quote = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default=""
    )
    ticket_refs = serializers.CharField(
        required=False, allow_blank=True, max_length=300, default=""
    )
    category = serializers.ChoiceField(choices=InsightCategory.values)
    severity = serializers.ChoiceField(choices=Severity.values)
    suggested_fix = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, default=""
    )
    is_shared = serializers.BooleanField(required=False, default=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=20
    )


class InsightTransitionSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(
        choices=[s for s in InsightStatus.values if s != "duplicate"]
    )
    expected_status = serializers.ChoiceField(choices=InsightStatus.values, required=False)
    owner = serializers.IntegerField(required=False, min_value=1, allow_null=True)
    owner_team = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")
    due_on = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


# --- running a queue (support leads) ----------------------------------------------------


class PauseSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Shown to executives while the queue is paused.",
    )


class ShiftCreateSerializer(serializers.Serializer):
    starts_at = UTCDateTimeField(help_text="With an offset, or UTC.")
    ends_at = UTCDateTimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=50)
    buddy = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="A front-line employee's id.",
    )
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    meeting_url = serializers.URLField(max_length=200, required=False, allow_blank=True, default="")


class ShiftTakeOffSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when anyone is booked: they and the buddy read it in their cancellation.",
    )


class ShiftTakenOffSerializer(serializers.Serializer):
    shift = ShiftSerializer()
    bookings_cancelled = serializers.IntegerField()


class ShiftPatternSerializer(ModelSerializer):
    queue: serializers.PrimaryKeyRelatedField[Queue] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    buddy: serializers.PrimaryKeyRelatedField[Person] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )

    class Meta:
        model = ShiftPattern
        fields = [
            "id",
            "queue",
            "rrule",
            "starts_on",
            "start_time",
            "end_time",
            "exdates",
            "capacity",
            "buddy",
            "location",
            "meeting_url",
        ]


class ShiftPatternWriteSerializer(serializers.Serializer):
    """A pattern's fields; on PATCH only those sent change (skip days: see ``exdates_seen``)."""

    rrule = serializers.CharField(
        max_length=500, help_text="RFC 5545, e.g. FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270630"
    )
    starts_on = serializers.DateField(help_text="The first day, in the queue's time zone.")
    start_time = serializers.TimeField(help_text="The queue's local time.")
    end_time = serializers.TimeField(help_text="The queue's local time.")
    exdates = serializers.ListField(
        child=serializers.DateField(),
        required=False,
        max_length=400,
        help_text="Days with no shift. On PATCH, skip days already stored stay unless listed in exdates_seen.",
    )
    exdates_seen = serializers.ListField(
        child=serializers.DateField(),
        required=False,
        max_length=400,
        write_only=True,
        help_text="On PATCH: the skip days you read; those you leave out of exdates are removed (a day taken off "
        "the schedule since you read stays off).",
    )
    capacity = serializers.IntegerField(min_value=1, max_value=50, required=False)
    buddy = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), required=False, allow_null=True
    )
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    meeting_url = serializers.URLField(max_length=200, required=False, allow_blank=True)
    confirm_booked = serializers.BooleanField(
        required=False,
        default=False,
        write_only=True,
        help_text="On PATCH: move (or cancel) booked shifts too. Without it, a change that touches a booked "
        "shift is answered 409 with the shifts it would touch, and nothing changes.",
    )


class PatternCreatedSerializer(serializers.Serializer):
    pattern = ShiftPatternSerializer()
    shifts_added = serializers.IntegerField()


class PatternChangedSerializer(serializers.Serializer):
    pattern = ShiftPatternSerializer()
    shifts_added = serializers.IntegerField()
    shifts_changed = serializers.IntegerField()
    shifts_removed = serializers.IntegerField()


class BookedShiftsSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    booked = ShiftSerializer(many=True)


class QueueChangedSerializer(QueueSerializer):
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the lead should know, e.g. "
        "upcoming shifts now outside narrowed hours (they stay as they are).",
    )

    class Meta(QueueSerializer.Meta):
        fields = [*QueueSerializer.Meta.fields, "warnings"]


class QueueWriteSerializer(ModelSerializer):
    """A queue's settings; the model's own validators and unique name apply, the service
    adds its check constraints. On PATCH only the fields sent change."""

    leads = serializers.ManyRelatedField(
        child_relation=serializers.PrimaryKeyRelatedField(
            queryset=people_with_role(Role.SUPPORT_LEAD),
            error_messages={
                "does_not_exist": "{pk_value} is not the id of an active support lead."
            },
        ),
        required=False,
        help_text="Support leads' ids; whoever creates a queue leads it too.",
    )

    class Meta:
        model = Queue
        fields = [
            "name",
            "channel",
            "team",
            "time_zone",
            "opens_at",
            "closes_at",
            "leads",
            "visitor_capacity",
            "brief",
            "booking_window_days",
            "min_notice_hours",
        ]
        extra_kwargs = {
            "channel": {
                "error_messages": {
                    "invalid_choice": '"{input}" is not a channel: phone, chat, email or social.'
                }
            },
            # The check constraint's rule and message, so the schema shows the minimum too.
            "visitor_capacity": {
                "min_value": 1,
                "error_messages": {"min_value": "A queue takes at least one visitor."},
            },
        }
