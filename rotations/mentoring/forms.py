"""Forms of reverse mentoring: HR's cycle settings, profiles, a moved session."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from rotations.mentoring.services import (
    CYCLE_FIELDS,
    SCHEDULE_FIELDS,
    check_cycle_settings,
    has_published,
)
from rotations.models import Level, MentoringCycle, MentoringTopic, Pairing


class CycleForm(forms.ModelForm):
    mentee_levels = forms.MultipleChoiceField(
        choices=Level.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Executives at these levels are mentees.",
    )
    mentor_levels = forms.MultipleChoiceField(
        choices=Level.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="People at these levels may mentor.",
    )

    class Meta:
        model = MentoringCycle
        fields = [
            "name",
            "starts_on",
            "ends_on",
            "cadence_weeks",
            "session_minutes",
            "session_weekday",
            "session_time",
            "mentee_levels",
            "mentor_levels",
            "mentor_min_tenure_months",
            "mentor_title_contains",
            "mentor_capacity",
            "max_tz_difference_hours",
            "forbid_same_department",
            "weight_topic_overlap",
            "weight_language",
            "weight_different_department",
            "weight_different_location",
            "min_cross_location_percent",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "session_time": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and has_published(self.instance):
            # Published series were built from these: they stay as they are.
            for name in SCHEDULE_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = "Fixed: pairs are published on this schedule."

    def clean(self):
        data = super().clean()
        # The rules are the service's; asked now, so one round shows every problem.
        try:
            check_cycle_settings(data)
        except ValidationError as exc:
            self.add_error(None, exc)
        return data

    def settings(self) -> dict:
        """The parsed settings, by name, for ``cycle_create`` / ``cycle_update``."""
        return {name: self.cleaned_data[name] for name in CYCLE_FIELDS if name in self.cleaned_data}


class ProfileForm(forms.Form):
    opted_in = forms.TypedChoiceField(
        label="Will you mentor in this cycle?",
        choices=[("yes", "Yes, I'd like to mentor"), ("no", "No, not this time")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    topics = forms.ModelMultipleChoiceField(
        queryset=MentoringTopic.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.CharField(
        max_length=200, required=False, help_text="Separated by commas, e.g. English, Spanish."
    )
    about = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=2000
    )

    def __init__(self, *args, role: str, kept_topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role = role
        # A topic HR has since retired stays on the profile that chose it.
        cast(
            forms.ModelChoiceField, self.fields["topics"]
        ).queryset = MentoringTopic.objects.filter(
            Q(is_active=True) | Q(pk__in=[t.pk for t in kept_topics])
        )
        if role == "mentee":
            del self.fields["opted_in"]
            self.fields["topics"].label = "Topics you want to learn about"
            self.fields["about"].label = "What you hope to learn (optional)"
        else:
            self.fields["topics"].label = "Topics you could teach"
            self.fields["about"].label = "About you (optional)"

    def clean(self):
        data = super().clean()
        if data.get("opted_in", True) and self.role == "mentor" and not data.get("topics"):
            self.add_error("topics", "Choose at least one topic you could teach.")
        return data


class TopicForm(forms.ModelForm):
    class Meta:
        model = MentoringTopic
        fields = ["name"]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if MentoringTopic.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError("That topic is already on the list.")
        return name


class PairingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Pairing) -> str:
        return f"{obj.mentee.full_name} ← {obj.mentor.full_name}"


class SwapForm(forms.Form):
    first = PairingChoiceField(queryset=Pairing.objects.none(), label="Pair")
    second = PairingChoiceField(queryset=Pairing.objects.none(), label="Swap mentors with")

    def __init__(self, *args, cycle: MentoringCycle, **kwargs):
        super().__init__(*args, **kwargs)
        proposed = cycle.pairings.filter(status="proposed").select_related("mentee", "mentor")
        for name in ("first", "second"):
            cast(forms.ModelChoiceField, self.fields[name]).queryset = proposed


class RescheduleSessionForm(forms.Form):
    starts_at = forms.DateTimeField(
        label="New start",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text="In your time zone.",
    )

    def clean_starts_at(self) -> datetime:
        value = self.cleaned_data["starts_at"]
        if value <= timezone.now():
            raise forms.ValidationError("Choose a time in the future.")
        return value


class EndPairingForm(forms.Form):
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3}), help_text="HR reads this."
    )


class CloseCycleForm(forms.Form):
    reason = forms.CharField(
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Sent to both sides of every running pair with the cancellation.",
    )


class MarkSessionForm(forms.Form):
    status = forms.ChoiceField(choices=[("held", "Held"), ("missed", "Missed")])
