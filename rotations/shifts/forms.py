"""Forms for queues, shifts, patterns and bookings."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from rotations.common.timezones import day_and_time, local_moment
from rotations.common.validators import known_time_zones
from rotations.directory.roles import Role
from rotations.directory.selectors import people_with_role
from rotations.models import Channel, Person, Program, Queue, Shift
from rotations.shifts.models import ENDS_SAME_DAY_MESSAGE
from rotations.shifts.services.patterns import validate_rrule

WEEKDAYS = [
    ("MO", "Mon"),
    ("TU", "Tue"),
    ("WE", "Wed"),
    ("TH", "Thu"),
    ("FR", "Fri"),
    ("SA", "Sat"),
    ("SU", "Sun"),
]


def shift_label(shift: Shift) -> str:
    """A shift as the viewer reads it: their own time zone (the active one)."""
    end = timezone.localtime(shift.ends_at)
    buddy = f" with {shift.buddy.full_name}" if shift.buddy else ""
    return f"{shift.queue.name} — {day_and_time(shift.starts_at)}–{end:%H:%M}{buddy}"


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class QueueForm(forms.ModelForm):
    # Opening before closing and taking a visitor are the table's check constraints, whose
    # messages are shown; keeping a lead is queue_update's rule.
    time_zone = forms.ChoiceField(choices=[])
    leads = forms.ModelMultipleChoiceField(queryset=Person.objects.none(), required=False)

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
        widgets = {
            "opens_at": TimeInput(),
            "closes_at": TimeInput(),
            "brief": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(z, z) for z in sorted(known_time_zones())]
        self.fields["leads"].queryset = people_with_role(Role.SUPPORT_LEAD)
        # The model's bounds, also on the inputs, so the browser says them first.
        for name in ("visitor_capacity", "booking_window_days", "min_notice_hours"):
            for validator in Queue._meta.get_field(name).validators:
                if isinstance(validator, MinValueValidator):
                    self.fields[name].widget.attrs["min"] = validator.limit_value
                elif isinstance(validator, MaxValueValidator):
                    self.fields[name].widget.attrs["max"] = validator.limit_value


class PauseForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False, label="Why (shown to executives)")


class _ShiftFieldsMixin(forms.Form):
    start_time = forms.TimeField(widget=TimeInput(), label="Starts (queue's local time)")
    end_time = forms.TimeField(widget=TimeInput(), label="Ends (queue's local time)")
    capacity = forms.IntegerField(min_value=1, max_value=50, initial=1)
    buddy = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, help_text="A front-line employee"
    )
    location = forms.CharField(max_length=200, required=False)
    meeting_url = forms.URLField(
        max_length=200, required=False, label="Meeting link", assume_scheme="https"
    )

    def __init__(self, *args, queue: Queue, **kwargs):
        super().__init__(*args, **kwargs)
        self.queue = queue
        cast(forms.ModelChoiceField, self.fields["buddy"]).queryset = people_with_role(
            Role.FRONTLINE
        )

    def clean(self):
        data = super().clean()
        if (
            data.get("start_time")
            and data.get("end_time")
            and data["end_time"] <= data["start_time"]
        ):
            raise ValidationError(ENDS_SAME_DAY_MESSAGE)
        # The queue's capacity is the service's rule (its message, beside this field).
        return data


class ShiftForm(_ShiftFieldsMixin):
    day = forms.DateField(widget=DateInput())

    field_order = ["day", "start_time", "end_time", "capacity", "buddy", "location", "meeting_url"]

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("start_time") and data.get("end_time"):
            zone = self.queue.zone
            try:
                data["starts_at"] = local_moment(data["day"], data["start_time"], zone)
                data["ends_at"] = local_moment(data["day"], data["end_time"], zone)
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


class ShiftCancelForm(forms.Form):
    # Required when someone is booked: shift_cancel says so.
    reason = forms.CharField(
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Booked executives and the buddy read this in their cancellation.",
    )


def _dates(field: str | None) -> list[str]:
    """ISO dates from a comma- (or semicolon-) separated field."""
    result = []
    for text in (field or "").replace(";", ",").split(","):
        text = text.strip()
        if not text:
            continue
        try:
            result.append(date.fromisoformat(text).isoformat())
        except ValueError:
            raise ValidationError(f"“{text}” is not a date like 2027-04-06.") from None
    return result


class ShiftPatternForm(_ShiftFieldsMixin):
    """Weekdays, every N weeks, until a date — or an RRULE written out in full."""

    starts_on = forms.DateField(widget=DateInput(), label="First day")
    weekdays = forms.MultipleChoiceField(
        choices=WEEKDAYS, required=False, widget=forms.CheckboxSelectMultiple
    )
    every_weeks = forms.IntegerField(
        min_value=1, max_value=8, initial=1, required=False, label="Every N weeks"
    )
    until = forms.DateField(widget=DateInput(), required=False, label="Until (inclusive)")
    rrule = forms.CharField(
        max_length=500,
        required=False,
        label="Or a full RRULE",
        help_text="RFC 5545, e.g. FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270630. Overrides the fields above.",
    )
    exdates = forms.CharField(
        required=False,
        label="No shift on (dates)",
        help_text="Comma-separated, e.g. 2027-04-06, 2027-05-25",
    )
    # The skip dates this form was opened with: days taken off since stay off.
    exdates_seen = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = [
        "starts_on",
        "weekdays",
        "every_weeks",
        "until",
        "rrule",
        "exdates",
        "start_time",
        "end_time",
        "capacity",
        "buddy",
        "location",
        "meeting_url",
    ]

    def __init__(self, *args, pattern=None, **kwargs):
        if pattern is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "starts_on": pattern.starts_on,
                # A rule the fields above can say is shown in them; any other, written out.
                **(_as_weekday_fields(pattern.rrule) or {"rrule": pattern.rrule}),
                "exdates": ", ".join(pattern.exdates),
                "exdates_seen": ",".join(pattern.exdates),
                "start_time": pattern.start_time,
                "end_time": pattern.end_time,
                "capacity": pattern.capacity,
                "buddy": pattern.buddy,
                "location": pattern.location,
                "meeting_url": pattern.meeting_url,
            }
        super().__init__(*args, **kwargs)

    def clean_exdates(self) -> list[str]:
        return _dates(self.cleaned_data.get("exdates"))

    def clean_exdates_seen(self) -> list[str] | None:
        # Absent on a new pattern; garbage in a hidden field is treated as absent too.
        try:
            return (
                _dates(self.cleaned_data.get("exdates_seen"))
                if "exdates_seen" in self.data
                else None
            )
        except ValidationError:
            return None

    def clean(self):
        data = super().clean()
        rule = (data.get("rrule") or "").strip()
        if not rule:
            if not data.get("weekdays"):
                raise ValidationError("Pick the weekdays, or write a full RRULE.")
            rule = f"FREQ=WEEKLY;INTERVAL={data.get('every_weeks') or 1};BYDAY={','.join(data['weekdays'])}"
            if data.get("until"):
                rule += f";UNTIL={data['until']:%Y%m%d}"  # validate_rrule makes the day inclusive
        try:
            data["rrule"] = validate_rrule(rule)
        except ValidationError as exc:
            self.add_error("rrule", exc)
        return data


def _as_weekday_fields(rule: str) -> dict | None:
    """The weekday, interval and until fields that write ``rule``, if they can."""
    parts = dict(part.split("=", 1) for part in rule.upper().split(";") if "=" in part)
    if parts.pop("FREQ", None) != "WEEKLY" or not set(parts) <= {"INTERVAL", "BYDAY", "UNTIL"}:
        return None
    days, interval, until = (
        parts.get("BYDAY", "").split(","),
        parts.get("INTERVAL", "1"),
        parts.get("UNTIL"),
    )
    if (
        not set(days) <= dict(WEEKDAYS).keys()
        or not interval.isdigit()
        or not 1 <= int(interval) <= 8
    ):
        return None
    if until is not None and not (
        len(until) == 15 and until.endswith("T235959") and until[:8].isdigit()
    ):
        return None
    fields = {
        "weekdays": [code for code, _ in WEEKDAYS if code in days],
        "every_weeks": int(interval),
    }
    if until:
        fields["until"] = datetime.strptime(until[:8], "%Y%m%d").date()
    return fields


class ShiftFilterForm(forms.Form):
    queue = forms.ModelChoiceField(
        queryset=Queue.objects.all(), required=False, empty_label="All queues"
    )
    channel = forms.ChoiceField(choices=[("", "All channels"), *Channel.choices], required=False)
    date_from = forms.DateField(required=False, widget=DateInput(), label="From")
    date_to = forms.DateField(required=False, widget=DateInput(), label="To")
    fits = forms.BooleanField(required=False, label="Fits my calendar")
    program = forms.ModelChoiceField(
        queryset=Program.objects.all(),
        required=False,
        empty_label="Any program",
        label="For the program",
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError("“To” is before “From”.")
        if (
            data.get("date_from")
            and data.get("date_to")
            and data["date_to"] - data["date_from"] > timedelta(days=400)
        ):
            raise ValidationError("Pick a range of at most a year.")
        return data


class BookForm(forms.Form):
    """Booking for someone else (support leads and HR), or for oneself when left empty."""

    person = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, label="Book for"
    )
    override_notice = forms.BooleanField(required=False, label="Override minimum notice")

    def __init__(self, *args, may_book_for_others: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if may_book_for_others:
            cast(forms.ModelChoiceField, self.fields["person"]).queryset = people_with_role(
                Role.EXECUTIVE
            )
        else:
            del self.fields["person"]
            del self.fields["override_notice"]


class ShiftChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Shift) -> str:
        return shift_label(obj)


class RescheduleForm(forms.Form):
    shift = ShiftChoiceField(queryset=Shift.objects.none(), label="Move to", empty_label=None)
    override_notice = forms.BooleanField(required=False, label="Override minimum notice")

    def __init__(self, *args, shifts, may_override: bool, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["shift"]).queryset = shifts
        if not may_override:
            del self.fields["override_notice"]


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    override_notice = forms.BooleanField(required=False, label="Override minimum notice")

    def __init__(self, *args, may_override: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_override:
            del self.fields["override_notice"]
