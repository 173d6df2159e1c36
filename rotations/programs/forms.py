"""HR's program settings and the compliance filters."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from rotations.models import ComplianceState, Department, Level, Person, Program, Queue
from rotations.programs.services import ProgramSettings, check_program_settings


def _split(text: str, separators: str = r"[\s,;]+") -> list[str]:
    return [part.strip() for part in re.split(separators, text or "") if part.strip()]


def _split_lines(text: str) -> list[str]:
    """Commas, semicolons or new lines; a value may hold spaces (so it is reported whole)."""
    return _split(text, r"[,;\n]+")


class ProgramForm(forms.ModelForm):
    """Parses a program's settings; their rules are the services' (programs/services.py)."""

    levels = forms.MultipleChoiceField(
        choices=Level.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Everyone at these levels takes part (narrowed by departments, if chosen).",
    )
    departments = forms.ModelMultipleChoiceField(
        queryset=Department.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    queues = forms.ModelMultipleChoiceField(
        queryset=Queue.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Shifts in these queues count (none chosen: every queue).",
    )
    include_emails = forms.CharField(
        label="Also include",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Email addresses, separated by commas or new lines.",
    )
    exclude_emails = forms.CharField(
        label="Leave out",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Email addresses of people the rule would take in but should not.",
    )
    blackout_text = forms.CharField(
        label="Blackout dates",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Dates like 2027-03-29, separated by commas or new lines.",
    )
    nudge_text = forms.CharField(
        label="Remind people behind",
        required=False,
        initial="14, 7, 2",
        help_text="Days before the deadline, e.g. 14, 7, 2.",
    )

    class Meta:
        model = Program
        fields = [
            "name",
            "description",
            "starts_on",
            "ends_on",
            "booking_opens_on",
            "deadline",
            "levels",
            "departments",
            "required_amount",
            "unit",
            "min_distinct",
            "distinct_by",
            "queues",
            "auto_schedule",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "booking_opens_on": forms.DateInput(attrs={"type": "date"}),
            "deadline": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault(
                "include_emails", "\n".join(p.email for p in self.instance.included.all())
            )
            self.initial.setdefault(
                "exclude_emails", "\n".join(p.email for p in self.instance.excluded.all())
            )
            self.initial.setdefault("blackout_text", "\n".join(self.instance.blackout_dates))
            self.initial["nudge_text"] = ", ".join(str(d) for d in self.instance.nudge_days)

    def _people(self, name: str) -> list[Person]:
        emails = [e.lower() for e in _split(self.cleaned_data.get(name, ""))]
        found = {p.email: p for p in Person.objects.filter(email__in=emails)}
        unknown = [e for e in emails if e not in found]
        if unknown:
            raise forms.ValidationError(f"Not in the directory: {', '.join(unknown[:10])}.")
        return list(found.values())

    def clean_include_emails(self):
        return self._people("include_emails")

    def clean_exclude_emails(self):
        return self._people("exclude_emails")

    def clean_blackout_text(self) -> list[str]:
        days = []
        for text in _split_lines(self.cleaned_data.get("blackout_text", "")):
            try:
                days.append(date.fromisoformat(text).isoformat())
            except ValueError:
                raise forms.ValidationError(f"“{text}” is not a date like 2027-03-29.") from None
        return sorted(set(days))

    def clean_nudge_text(self) -> list[int]:
        days = []
        for text in _split_lines(self.cleaned_data.get("nudge_text", "")):
            if not text.isdigit() or not 0 <= int(text) <= 365:
                raise forms.ValidationError(f"“{text}” is not a number of days between 0 and 365.")
            days.append(int(text))
        return sorted(set(days), reverse=True)

    def clean(self):
        data = super().clean()
        # The rules are the service's; asked now, so one round shows every problem.
        try:
            check_program_settings(self.to_settings())
        except ValidationError as exc:
            self.add_error(None, exc)
        return data

    def to_settings(self) -> ProgramSettings:
        """What the form parsed, for ``program_create`` / ``program_update`` to check."""
        data = self.cleaned_data
        return ProgramSettings(
            name=data.get("name", ""),
            description=data.get("description") or "",
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            booking_opens_on=data.get("booking_opens_on"),
            deadline=data.get("deadline"),
            levels=tuple(data.get("levels") or ()),
            departments=tuple(data.get("departments") or ()),
            required_amount=data.get("required_amount"),
            unit=data.get("unit") or "shifts",
            min_distinct=data.get("min_distinct") or 0,
            distinct_by=data.get("distinct_by") or "queue",
            queues=tuple(data.get("queues") or ()),
            auto_schedule=data.get("auto_schedule", False),
            included=tuple(data.get("include_emails") or ()),
            excluded=tuple(data.get("exclude_emails") or ()),
            blackout_dates=tuple(data.get("blackout_text") or ()),
            nudge_days=tuple(data.get("nudge_text") or ()),
        )


class ComplianceFilterForm(forms.Form):
    department = forms.ModelChoiceField(
        queryset=Department.objects.all(), required=False, empty_label="All departments"
    )
    level = forms.ChoiceField(choices=[("", "All levels"), *Level.choices], required=False)
    state = forms.ChoiceField(
        choices=[("", "Every state"), *ComplianceState.choices], required=False
    )
