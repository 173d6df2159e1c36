"""HR's program settings and the compliance filters."""

from __future__ import annotations

import re
from datetime import date

from django import forms

from rotations.models import ComplianceState, Department, Level, Person, Program, Queue


def _split(text: str, separators: str = r"[\s,;]+") -> list[str]:
    return [part.strip() for part in re.split(separators, text or "") if part.strip()]


def _split_lines(text: str) -> list[str]:
    """Commas, semicolons or new lines; a value may hold spaces (so it is reported whole)."""
    return _split(text, r"[,;\n]+")


class ProgramForm(forms.ModelForm):
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
        starts, ends, deadline = data.get("starts_on"), data.get("ends_on"), data.get("deadline")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "The program must end after it starts.")
        if starts and ends and deadline and not starts <= deadline <= ends:
            self.add_error("deadline", "The deadline must fall inside the program's period.")
        opens = data.get("booking_opens_on")
        if opens and deadline and opens > deadline:
            self.add_error("booking_opens_on", "Booking must open before the deadline.")
        if (
            not data.get("levels")
            and not data.get("departments")
            and not data.get("include_emails")
        ):
            self.add_error(
                "levels", "Choose who takes part: levels, departments, or people to include."
            )
        distinct = data.get("min_distinct") or 0
        if (
            data.get("distinct_by") == "queue"
            and data.get("queues")
            and distinct > len(data["queues"])
        ):
            self.add_error(
                "min_distinct", f"Only {len(data['queues'])} queues count for this program."
            )
        if data.get("distinct_by") == "channel":
            channels = {q.channel for q in (data.get("queues") or Queue.objects.all())}
            if distinct > len(channels):
                self.add_error(
                    "min_distinct", f"Only {len(channels)} channels are open to this program."
                )
        if (
            data.get("min_distinct")
            and data.get("unit") == "shifts"
            and data.get("required_amount")
        ):
            if data["min_distinct"] > data["required_amount"]:
                self.add_error("min_distinct", "Cannot ask for more different queues than shifts.")
        return data

    def save(self, commit: bool = True) -> Program:
        program = super().save(commit=False)
        program.blackout_dates = self.cleaned_data["blackout_text"]
        program.nudge_days = self.cleaned_data["nudge_text"]
        if commit:
            program.save()
            self.save_m2m()
            program.included.set(self.cleaned_data["include_emails"])
            program.excluded.set(self.cleaned_data["exclude_emails"])
        return program


class ComplianceFilterForm(forms.Form):
    department = forms.ModelChoiceField(
        queryset=Department.objects.all(), required=False, empty_label="All departments"
    )
    level = forms.ChoiceField(choices=[("", "All levels"), *Level.choices], required=False)
    state = forms.ChoiceField(
        choices=[("", "Every state"), *ComplianceState.choices], required=False
    )
