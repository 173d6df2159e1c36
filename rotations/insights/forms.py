"""Forms for logging, finding and triaging insights."""

from __future__ import annotations

from typing import cast

from django import forms

from rotations.insights.selectors import InboxFilter
from rotations.models import (
    TRANSITIONS,
    Insight,
    InsightCategory,
    InsightStatus,
    Person,
    Queue,
    Severity,
)


class InsightForm(forms.ModelForm):
    tags = forms.CharField(
        required=False, max_length=300, help_text="Comma-separated, e.g. billing, refunds."
    )

    class Meta:
        model = Insight
        fields = [
            "title",
            "what_happened",
            "customer_quote",
            "ticket_refs",
            "category",
            "severity",
            "suggested_fix",
            "is_shared",
        ]
        widgets = {
            "what_happened": forms.Textarea(attrs={"rows": 5}),
            "customer_quote": forms.Textarea(attrs={"rows": 2}),
            "suggested_fix": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"what_happened": "What happened", "ticket_refs": "Ticket references"}


STATUS_FILTERS = [
    ("", "Any status"),
    ("open", "Open (not shipped, declined or merged)"),
    *InsightStatus.choices,
]


class InboxFilterForm(forms.Form):
    """The inbox's filters; every field optional, bad values reported, never a crash."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    status = forms.ChoiceField(required=False, choices=STATUS_FILTERS)
    queue = forms.ModelChoiceField(
        required=False, queryset=Queue.objects.order_by("name"), empty_label="Any queue"
    )
    category = forms.ChoiceField(
        required=False, choices=[("", "Any category"), *InsightCategory.choices]
    )
    severity = forms.ChoiceField(required=False, choices=[("", "Any severity"), *Severity.choices])
    tag = forms.CharField(required=False, max_length=40)
    # A name to type, not a list of every executive: the directory has thousands.
    executive = forms.CharField(required=False, max_length=200, label="Executive")
    logged_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    logged_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    following = forms.BooleanField(required=False, label="Only those I follow")

    def __init__(self, *args, viewer: Person, **kwargs):
        super().__init__(*args, **kwargs)
        # Only those who triage pick among executives; the directory is theirs to see.
        if not viewer.has_perm("rotations.triage_insights"):
            del self.fields["executive"]

    def clean(self):
        data = super().clean()
        start, end = data.get("logged_from"), data.get("logged_to")
        if start and end and end < start:
            self.add_error("logged_to", "The end date is before the start date.")
        return data

    def to_filter(self) -> InboxFilter:
        """What to filter by: the valid fields; an invalid one is ignored (and shown)."""
        data = self.cleaned_data if self.is_bound else {}
        return InboxFilter(
            status=data.get("status") or "",
            queue_id=data["queue"].pk if data.get("queue") else None,
            category=data.get("category") or "",
            severity=data.get("severity") or "",
            tag=(data.get("tag") or "").strip(),
            author_name=(data.get("executive") or "").strip(),
            logged_from=data.get("logged_from"),
            logged_to=data.get("logged_to") if "logged_to" not in self.errors else None,
            text=(data.get("q") or "").strip(),
            following=bool(data.get("following")),
        )


class TransitionForm(forms.Form):
    """Move an insight to its next status; the choices are the ones its status allows."""

    to_status = forms.ChoiceField(label="New status")
    expected_status = forms.CharField(widget=forms.HiddenInput)
    # An address to type, not a list of the whole directory.
    owner = forms.EmailField(required=False, label="Owner (their email address)")
    owner_team = forms.CharField(required=False, max_length=120, label="Owner team")
    due_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Due"
    )
    reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason (required to decline)",
    )

    def __init__(self, *args, insight: Insight, **kwargs):
        kwargs["initial"] = {"expected_status": insight.status, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        allowed = [s for s in TRANSITIONS[insight.status] if s != InsightStatus.DUPLICATE]
        cast(forms.ChoiceField, self.fields["to_status"]).choices = [
            (s, InsightStatus(s).label) for s in allowed
        ]

    def clean_owner(self) -> Person | None:
        address = self.cleaned_data.get("owner")
        if not address:
            return None
        owner = Person.objects.filter(email__iexact=address, is_active=True).first()
        if owner is None:
            raise forms.ValidationError("Nobody in the directory has this address.")
        return owner


class MergeForm(forms.Form):
    into = forms.IntegerField(min_value=1, label="Duplicate of insight #")


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), label="Comment"
    )


class PlusOneForm(forms.Form):
    note = forms.CharField(required=False, max_length=500, label="Note (optional)")
