"""The impact dashboard for leadership and HR, with every table also as CSV."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from rotations.common.exports import csv_response
from rotations.common.http import AuthedRequest
from rotations.common.timezones import EARLIEST_DAY, LATEST_DAY
from rotations.insights.impact import TIMING_BUCKETS, Dashboard, Period, cached_dashboard
from rotations.insights.permissions import can_see_dashboard
from rotations.models import Department, Level, Program

DEFAULT_DAYS = 182
LONGEST_DAYS = 3 * 366


class PeriodForm(forms.Form):
    start = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From"
    )
    end = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To"
    )
    department = forms.ModelChoiceField(
        required=False, queryset=Department.objects.all(), empty_label="All departments"
    )
    level = forms.ChoiceField(required=False, choices=[("", "All levels"), *Level.choices])
    program = forms.ModelChoiceField(
        required=False, queryset=Program.objects.all(), empty_label="All programs"
    )

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        # A day at either end of the calendar reads as "from the beginning" or "to the
        # end", held inside it as every date filter is (rotations.common.timezones).
        end = _held(data.get("end") or today)
        start = _held(data.get("start") or end - timedelta(days=DEFAULT_DAYS))
        if start > end:
            self.add_error("end", "The end date is before the start date.")
        elif (end - start).days > LONGEST_DAYS:
            self.add_error("start", "Choose at most three years.")
        data["start"], data["end"] = start, end
        return data

    def period(self) -> Period:
        """The chosen period, or the last six months while the choice is invalid."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        start = data.get("start") or today - timedelta(days=DEFAULT_DAYS)
        end = data.get("end") or today
        return Period(
            start=start,
            end=end,
            zone=timezone.get_current_timezone(),
            department_id=data["department"].pk if data.get("department") else None,
            level=data.get("level") or "",
            program_id=data["program"].pk if data.get("program") else None,
        )


def _held(day: date) -> date:
    return min(max(day, EARLIEST_DAY), LATEST_DAY)


def _dashboard(request: AuthedRequest) -> tuple[PeriodForm, Dashboard]:
    if not can_see_dashboard(request.user):
        raise PermissionDenied
    form = PeriodForm(request.GET or None)
    return form, cached_dashboard(form.period())


@require_safe
def impact_dashboard(request: AuthedRequest) -> HttpResponse:
    form, board = _dashboard(request)
    charts = {
        "funnel": {
            "labels": [
                "Booked",
                "Attended",
                "Insight logged",
                "Insights",
                "Triaged",
                "Actioned",
                "Shipped",
            ],
            "values": [getattr(board.total, s) for s in board.total.STAGES],
        },
        "months": [m.strftime("%b %Y") for m in board.months],
        "categories": board.categories,
        "tags": board.tags,
        "timing_labels": [label for label, _ in TIMING_BUCKETS] + ["longer"],
        "timing": board.timing_buckets,
    }
    return render(
        request,
        "insights/dashboard.html",
        {
            "form": form,
            "board": board,
            "charts": charts,
            "query": request.GET.urlencode(),
            "bucket_labels": [label for label, _ in TIMING_BUCKETS],
        },
        status=400 if form.errors else 200,
    )


TABLES = ("funnel", "programs", "themes", "tags", "coverage", "timing")


@require_safe
def impact_csv(request: AuthedRequest, table: str) -> HttpResponse:
    if table not in TABLES:
        raise Http404
    _, board = _dashboard(request)
    response, out = csv_response(f"impact-{table}-{board.period.start}-{board.period.end}.csv")
    if table == "funnel":
        out.writerow(
            [
                "department",
                "level",
                "booked",
                "attended",
                "attended_with_insight",
                "insights",
                "triaged",
                "actioned",
                "shipped",
            ]
        )
        for r in [*board.funnel, board.total]:
            out.writerow([r.department, r.level, *(getattr(r, s) for s in r.STAGES)])
    elif table == "programs":
        out.writerow(
            [
                "program",
                "booked",
                "attended",
                "attended_with_insight",
                "insights",
                "triaged",
                "actioned",
                "shipped",
            ]
        )
        for r in board.programs:
            out.writerow([r.department, *(getattr(r, s) for s in r.STAGES)])
    elif table in ("themes", "tags"):
        series = board.categories if table == "themes" else board.tags
        out.writerow([table[:-1], *(m.isoformat() for m in board.months)])
        for name, counts in series.items():
            out.writerow([name, *counts])
    elif table == "coverage":
        out.writerow(["queue", *(w.isoformat() for w in board.weeks)])
        for name, counts in board.coverage:
            out.writerow([name, *counts])
    else:
        labels = [label for label, _ in TIMING_BUCKETS] + ["longer"]
        out.writerow(
            [
                "month",
                "logged",
                "triaged",
                "shipped",
                *(f"triaged {x}" for x in labels),
                *(f"shipped {x}" for x in labels),
            ]
        )
        for m in board.timing:
            out.writerow(
                [
                    m["month"].isoformat(),
                    m["logged"],
                    m["triaged"],
                    m["shipped"],
                    *m["triage"],
                    m.get("triage_later", 0),
                    *m["ship"],
                    m.get("ship_later", 0),
                ]
            )
    return response
