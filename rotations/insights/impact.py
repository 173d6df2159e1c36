"""The impact dashboard's numbers: each table is one grouped query, whatever the data size.

The funnel follows executives' visits (booked → attended → insight logged) and then
their insights (logged → triaged → actioned → shipped), by department and level, and per
rotation program (its participants' visits to its queues in its period, and their insights). Themes
count insights by category and by tag per month; coverage counts visits per queue per
week; timing measures how long insights waited to be triaged and to ship.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncWeek

from rotations.common.timezones import local_midnight, local_midnight_after
from rotations.models import (
    Booking,
    BookingStatus,
    Insight,
    InsightCategory,
    Level,
    Person,
    Program,
    Queue,
    Tag,
)
from rotations.programs.selectors import in_period, participants, period_bounds

TIMING_BUCKETS = [
    ("under 1 day", timedelta(days=1)),
    ("1–3 days", timedelta(days=3)),
    ("3–7 days", timedelta(days=7)),
    ("1–4 weeks", timedelta(days=28)),
]
TOP_TAGS = 10


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    zone: tzinfo
    department_id: int | None = None
    level: str = ""
    program_id: int | None = None

    @property
    def starts_at(self) -> datetime:
        return local_midnight(self.start, self.zone)

    @property
    def ends_at(self) -> datetime:
        return local_midnight_after(self.end, self.zone)


@dataclass
class FunnelRow:
    department: str
    level: str
    booked: int = 0
    attended: int = 0
    with_insight: int = 0
    insights: int = 0
    triaged: int = 0
    actioned: int = 0
    shipped: int = 0

    STAGES = ("booked", "attended", "with_insight", "insights", "triaged", "actioned", "shipped")

    def add(self, other: FunnelRow) -> None:
        for stage in self.STAGES:
            setattr(self, stage, getattr(self, stage) + getattr(other, stage))


@dataclass
class Dashboard:
    period: Period
    funnel: list[FunnelRow]
    total: FunnelRow
    months: list[date]
    categories: dict[str, list[int]]  # category label → count per month
    tags: dict[str, list[int]]  # top tags → count per month
    weeks: list[date]
    coverage: list[tuple[str, list[int]]]  # queue → visits per week
    coverage_max: int
    timing: list[dict] = field(default_factory=list)  # per month: triage / ship figures
    timing_buckets: dict[str, list[int]] = field(default_factory=dict)
    programs: list[FunnelRow] = field(
        default_factory=list
    )  # one row per program (department = its name)


def _people_filter(period: Period, prefix: str) -> Q:
    q = Q()
    if period.department_id:
        q &= Q(**{f"{prefix}__department_id": period.department_id})
    if period.level:
        q &= Q(**{f"{prefix}__level": period.level})
    return q


def _visits(period: Period, program: Program | None = None) -> QuerySet[Booking]:
    visits = Booking.objects.filter(
        ~Q(status=BookingStatus.CANCELLED),
        _people_filter(period, "person"),
        starts_at__gte=period.starts_at,
        starts_at__lt=period.ends_at,
    )
    program = program or _program(period)
    if program is not None:
        visits = _program_visits(visits, program)
    return visits


def _program(period: Period) -> Program | None:
    if not period.program_id:
        return None
    return Program.objects.prefetch_related("departments", "included", "excluded", "queues").filter(
        pk=period.program_id
    ).first() or Program(pk=0, starts_on=period.start, ends_on=period.start)


def _program_visits(visits: QuerySet[Booking], program: Program) -> QuerySet[Booking]:
    """The visits that count toward a program: its participants, its queues, its days (in
    each participant's time zone)."""
    start, end = period_bounds(program)
    zones = (
        Person.objects.filter(is_active=True)
        .values_list("time_zone", flat=True)
        .distinct()
        .order_by()
    )
    visits = visits.filter(
        person__in=participants(program).values("pk"), starts_at__gte=start, starts_at__lt=end
    ).filter(in_period(program, zones))
    queue_ids = [q.pk for q in program.queues.all()]
    return visits.filter(shift__queue_id__in=queue_ids) if queue_ids else visits


def _insights(period: Period, program: Program | None = None) -> QuerySet[Insight]:
    insights = Insight.objects.filter(
        _people_filter(period, "author"),
        created_at__gte=period.starts_at,
        created_at__lt=period.ends_at,
    )
    program = program or _program(period)
    if program is not None:
        # A program's insights are those logged from its visits.
        insights = insights.filter(
            booking__in=_program_visits(Booking.objects.all(), program).values("pk")
        )
    return insights


def funnel(period: Period) -> tuple[list[FunnelRow], FunnelRow]:
    rows: dict[tuple[str, str], FunnelRow] = {}

    def row(dept: str | None, level: str) -> FunnelRow:
        key = (dept or "No department", level)
        return rows.setdefault(
            key, FunnelRow(department=key[0], level=Level(level).label if level else "")
        )

    with_insight = Exists(Insight.objects.filter(booking_id=OuterRef("pk")))
    for r in (
        _visits(period)
        .values("person__department__name", "person__level")
        .order_by()
        .annotate(
            booked=Count("pk"),
            attended=Count("pk", filter=Q(status=BookingStatus.ATTENDED)),
            with_insight=Count("pk", filter=Q(with_insight, status=BookingStatus.ATTENDED)),
        )
    ):
        target = row(r["person__department__name"], r["person__level"])
        target.booked, target.attended, target.with_insight = (
            r["booked"],
            r["attended"],
            r["with_insight"],
        )
    for i in (
        _insights(period)
        .values("author__department__name", "author__level")
        .order_by()
        .annotate(
            insights=Count("pk"),
            triaged=Count("pk", filter=Q(triaged_at__isnull=False)),
            actioned=Count("pk", filter=Q(actioned_at__isnull=False)),
            shipped=Count("pk", filter=Q(shipped_at__isnull=False)),
        )
    ):
        target = row(i["author__department__name"], i["author__level"])
        target.insights, target.triaged = i["insights"], i["triaged"]
        target.actioned, target.shipped = i["actioned"], i["shipped"]
    ordered = sorted(rows.values(), key=lambda funnel: (funnel.department, funnel.level))
    total = FunnelRow(department="All", level="")
    for funnel in ordered:
        total.add(funnel)
    return ordered, total


def program_funnel(period: Period) -> list[FunnelRow]:
    """The funnel of each program running in the period: two grouped queries per program."""
    programs = (
        Program.objects.filter(starts_on__lte=period.end, ends_on__gte=period.start)
        .prefetch_related("departments", "included", "excluded", "queues")
        .order_by("starts_on", "name")
    )
    if period.program_id:
        programs = programs.filter(pk=period.program_id)
    with_insight = Exists(Insight.objects.filter(booking_id=OuterRef("pk")))
    rows = []
    for program in programs:
        row = FunnelRow(department=program.name, level="")
        visits = _visits(period, program).aggregate(
            booked=Count("pk"),
            attended=Count("pk", filter=Q(status=BookingStatus.ATTENDED)),
            with_insight=Count("pk", filter=Q(with_insight, status=BookingStatus.ATTENDED)),
        )
        insights = _insights(period, program).aggregate(
            insights=Count("pk"),
            triaged=Count("pk", filter=Q(triaged_at__isnull=False)),
            actioned=Count("pk", filter=Q(actioned_at__isnull=False)),
            shipped=Count("pk", filter=Q(shipped_at__isnull=False)),
        )
        for name, value in {**visits, **insights}.items():
            setattr(row, name, value or 0)
        rows.append(row)
    return rows


def _months(period: Period) -> list[date]:
    months, current = [], period.start.replace(day=1)
    while current <= period.end:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def _weeks(period: Period) -> list[date]:
    first = period.start - timedelta(days=period.start.weekday())
    return [first + timedelta(weeks=n) for n in range((period.end - first).days // 7 + 1)]


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def themes(period: Period, months: list[date]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    index = {m: n for n, m in enumerate(months)}
    categories = {label: [0] * len(months) for _, label in InsightCategory.choices}
    labels = dict(InsightCategory.choices)
    for r in (
        _insights(period)
        .annotate(month=TruncMonth("created_at", tzinfo=period.zone))
        .values("month", "category")
        .order_by()
        .annotate(n=Count("pk"))
    ):
        n = index.get(_as_date(r["month"]))
        if n is not None and r["category"] in labels:
            categories[labels[r["category"]]][n] = r["n"]
    through = Insight.tags.through.objects.filter(insight__in=_insights(period).values("pk"))
    top = list(
        through.values("tag_id")
        .order_by()
        .annotate(n=Count("pk"))
        .order_by("-n", "tag_id")[:TOP_TAGS]
        .values_list("tag_id", flat=True)
    )
    names = dict(Tag.objects.filter(pk__in=top).values_list("pk", "name"))
    tags = {names[t]: [0] * len(months) for t in top if t in names}
    for r in (
        through.filter(tag_id__in=top)
        # django-stubs does not see an annotation on a many-to-many's through model.
        .annotate(month=TruncMonth("insight__created_at", tzinfo=period.zone))  # type: ignore[misc]
        .values("month", "tag_id")
        .order_by()
        .annotate(n=Count("pk"))
    ):
        n = index.get(_as_date(r["month"]))
        if n is not None and r["tag_id"] in names:
            tags[names[r["tag_id"]]][n] = r["n"]
    return categories, tags


def coverage(period: Period, weeks: list[date]) -> list[tuple[str, list[int]]]:
    """Visits per queue per week (the heatmap); every queue has a row, visited or not."""
    index = {w: n for n, w in enumerate(weeks)}
    grid = {
        name: [0] * len(weeks)
        for name in Queue.objects.order_by("name").values_list("name", flat=True)
    }
    for r in (
        _visits(period)
        .annotate(week=TruncWeek("starts_at", tzinfo=period.zone))
        .values("week", "shift__queue__name")
        .order_by()
        .annotate(n=Count("pk"))
    ):
        n = index.get(_as_date(r["week"]))
        if n is not None and r["shift__queue__name"] in grid:
            grid[r["shift__queue__name"]][n] = r["n"]
    return list(grid.items())


def timing(period: Period, months: list[date]) -> tuple[list[dict], dict[str, list[int]]]:
    """Per month logged: how many were triaged / shipped, and how fast (in buckets)."""
    index = {m: n for n, m in enumerate(months)}
    bucket_counts = {}
    for kind, stamp in (("triage", "triaged_at"), ("ship", "shipped_at")):
        done = Q(**{f"{stamp}__isnull": False})
        for i, (_, limit) in enumerate(TIMING_BUCKETS):
            bucket_counts[f"{kind}_{i}"] = Count(
                "pk", filter=done & Q(**{f"{stamp}__lt": F("created_at") + limit})
            )
        bucket_counts[f"{kind}_done"] = Count("pk", filter=done)
    per_month: list[dict[str, Any]] = [
        {
            "month": m,
            "logged": 0,
            "triage": [0] * len(TIMING_BUCKETS),
            "ship": [0] * len(TIMING_BUCKETS),
            "triaged": 0,
            "shipped": 0,
        }
        for m in months
    ]
    counted = cast(
        Iterable[dict[str, Any]],
        _insights(period)
        .annotate(month=TruncMonth("created_at", tzinfo=period.zone))
        .values("month")
        .order_by()
        .annotate(logged=Count("pk"), **bucket_counts),
    )
    for r in counted:
        n = index.get(_as_date(r["month"]))
        if n is None:
            continue
        cell = per_month[n]
        cell["logged"] = r["logged"]
        cell["triaged"], cell["shipped"] = r["triage_done"], r["ship_done"]
        for kind in ("triage", "ship"):
            cumulative = [r[f"{kind}_{i}"] for i in range(len(TIMING_BUCKETS))]
            # Buckets are cumulative in the query ("under N"); the table shows each band.
            cell[kind] = [c - (cumulative[i - 1] if i else 0) for i, c in enumerate(cumulative)]
            cell[f"{kind}_later"] = cell["triaged" if kind == "triage" else "shipped"] - (
                cumulative[-1] if cumulative else 0
            )
    totals = {
        kind: [sum(m[kind][i] for m in per_month) for i in range(len(TIMING_BUCKETS))]
        + [sum(m.get(f"{kind}_later", 0) for m in per_month)]
        for kind in ("triage", "ship")
    }
    return per_month, totals


def cached_dashboard(period: Period) -> Dashboard:
    """The dashboard, computed at most once per ``IMPACT_CACHE_SECONDS`` for a period.

    Safe to share: it holds counts only, the same for everyone allowed to see it, and
    leadership reads trends, not the last minute.
    """
    seconds = settings.IMPACT_CACHE_SECONDS
    if seconds <= 0:
        return dashboard(period)
    key = (
        f"impact:v2:{period.start}:{period.end}:{period.zone}:{period.department_id or ''}:{period.level}"
        f":{period.program_id or ''}"
    )
    board = cache.get(key)
    if board is None:
        board = dashboard(period)
        cache.set(key, board, seconds)
    return board


def dashboard(period: Period) -> Dashboard:
    months, weeks = _months(period), _weeks(period)
    rows, total = funnel(period)
    categories, tags = themes(period, months)
    grid = coverage(period, weeks)
    per_month, buckets = timing(period, months)
    return Dashboard(
        period=period,
        funnel=rows,
        total=total,
        months=months,
        categories=categories,
        tags=tags,
        weeks=weeks,
        coverage=grid,
        coverage_max=max((max(c) for _, c in grid if c), default=0),
        timing=per_month,
        timing_buckets=buckets,
        programs=program_funnel(period),
    )
