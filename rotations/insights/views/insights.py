"""Insights: logged after a shift, found in the inbox, triaged and followed on their page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from rotations.common.exports import streamed_csv
from rotations.common.http import AuthedRequest
from rotations.insights.forms import (
    CommentForm,
    InboxFilterForm,
    InsightForm,
    MergeForm,
    PlusOneForm,
    TransitionForm,
)
from rotations.insights.permissions import get_insight_for_triage, get_insight_for_view
from rotations.insights.selectors import can_triage, event_lines, inbox, visible_insights
from rotations.insights.services import (
    InsightRefused,
    insight_comment,
    insight_follow,
    insight_log,
    insight_merge,
    insight_plus_one,
    insight_transition,
    insight_unfollow,
    split_tags,
)
from rotations.models import Insight
from rotations.shifts.permissions import get_booking_for_insight

PAGE_SIZE = 50

if TYPE_CHECKING:
    from rotations.insights.selectors import InboxInsight


@require_http_methods(["GET", "HEAD", "POST"])
def insight_new(request: AuthedRequest, booking_id: int) -> HttpResponse:
    booking = get_booking_for_insight(request.user, booking_id)
    form = InsightForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in InsightForm.Meta.fields}
        try:
            insight_log(
                booking=booking,
                author=request.user,
                fields=fields,
                tags=split_tags(form.cleaned_data["tags"]),
            )
        except InsightRefused as refusal:
            form.add_error(None, refusal.message)
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            messages.success(
                request, "Thank you: your insight is logged. Log another if you saw more."
            )
            # The page's script forgets the draft it kept for this shift on seeing this.
            return redirect(reverse("shifts:log-insight", args=[booking.pk]) + "?logged=1")
    logged = booking.insights.order_by("created_at")
    return render(
        request,
        "insights/new.html",
        {"form": form, "booking": booking, "logged": logged},
        status=400 if form.errors else 200,
    )


def _filtered(request: AuthedRequest) -> tuple[InboxFilterForm, QuerySet[InboxInsight]]:
    form = InboxFilterForm(request.GET or None, viewer=request.user)
    if form.is_bound:
        form.is_valid()  # errors are shown beside the fields; the valid ones still filter
    return form, inbox(request.user, form.to_filter(), zone=timezone.get_current_timezone())


@require_safe
def insight_list(request: AuthedRequest) -> HttpResponse:
    form, insights = _filtered(request)
    page = Paginator(insights, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "insights/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "may_triage": request.user.has_perm("rotations.triage_insights"),
        },
        status=400 if form.errors else 200,
    )


CSV_COLUMNS = [
    "id",
    "logged_at",
    "executive",
    "queue",
    "category",
    "severity",
    "status",
    "title",
    "what_happened",
    "customer_quote",
    "ticket_refs",
    "suggested_fix",
    "tags",
    "owner",
    "owner_team",
    "due_on",
    "plus_ones",
    "followers",
    "link",
]


@require_safe
def insight_export(request: AuthedRequest) -> StreamingHttpResponse:
    """The inbox as it is filtered, every page of it, as CSV."""
    _, insights = _filtered(request)
    base = settings.SITE_URL  # links on the configured address, never the request's Host
    zone = timezone.get_current_timezone()  # the rows are written after this view returns

    def rows() -> Iterator[tuple]:
        yield tuple(CSV_COLUMNS)
        for i in insights.iterator(chunk_size=500):
            yield (
                i.pk,
                timezone.localtime(i.created_at, zone).isoformat(timespec="minutes"),
                i.author.full_name,
                i.queue.name if i.queue else "",
                i.category,
                i.severity,
                i.status,
                i.title,
                i.what_happened,
                i.customer_quote,
                i.ticket_refs,
                i.suggested_fix,
                ", ".join(t.name for t in i.tags.all()),
                i.owner.full_name if i.owner else "",
                i.owner_team,
                i.due_on.isoformat() if i.due_on else "",
                i.plus_ones,
                i.follower_count,
                base + reverse("insights:detail", args=[i.pk]),
            )

    return streamed_csv(rows(), f"insights-{timezone.localdate():%Y-%m-%d}.csv")


@require_safe
def insight_detail(request: AuthedRequest, insight_id: int) -> HttpResponse:
    insight = get_insight_for_view(request.user, insight_id)
    return render(request, "insights/detail.html", _detail_context(request, insight))


def _detail_context(request: AuthedRequest, insight: Insight, **forms) -> dict:
    person = request.user
    triage = can_triage(person, insight)
    follows = {f.person_id: f for f in insight.followers.select_related("person")}
    votes = list(insight.votes.select_related("person"))
    return {
        "insight": insight,
        "events": event_lines(person, insight.events.select_related("actor")),
        "may_read_original": insight.duplicate_of_id is not None
        and visible_insights(person).filter(pk=insight.duplicate_of_id).exists(),
        "votes": votes,
        "has_voted": any(v.person_id == person.pk for v in votes),
        "followers": list(follows.values()),
        "is_following": person.pk in follows,
        "duplicates": visible_insights(person)
        .filter(duplicate_of=insight)
        .select_related("author", "booking"),
        "may_triage": triage,
        "transition_form": forms.get("transition_form")
        or (TransitionForm(insight=insight) if triage else None),
        "merge_form": forms.get("merge_form") or (MergeForm() if triage else None),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "plus_one_form": forms.get("plus_one_form") or PlusOneForm(),
    }


def _refused(
    request: AuthedRequest, insight: Insight, refusal: InsightRefused, **forms
) -> HttpResponse:
    messages.error(request, refusal.message)
    return render(
        request, "insights/detail.html", _detail_context(request, insight, **forms), status=400
    )


def _invalid(request: AuthedRequest, insight: Insight, **forms) -> HttpResponse:
    return render(
        request, "insights/detail.html", _detail_context(request, insight, **forms), status=400
    )


@require_POST
def insight_status(request: AuthedRequest, insight_id: int) -> HttpResponse:
    insight = get_insight_for_triage(request.user, insight_id)
    form = TransitionForm(request.POST, insight=insight)
    if not form.is_valid():
        return _invalid(request, insight, transition_form=form)
    data = form.cleaned_data
    try:
        insight_transition(
            insight=insight,
            actor=request.user,
            to_status=data["to_status"],
            expected_status=data["expected_status"],
            owner=data["owner"],
            owner_team=data["owner_team"],
            due_on=data["due_on"],
            reason=data["reason"],
        )
    except InsightRefused as refusal:
        return _refused(request, insight, refusal, transition_form=form)
    messages.success(request, "Status changed; the people following it will hear.")
    return redirect("insights:detail", insight_id=insight.pk)


@require_POST
def insight_merge_view(request: AuthedRequest, insight_id: int) -> HttpResponse:
    insight = get_insight_for_triage(request.user, insight_id)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, insight, merge_form=form)
    target_id = form.cleaned_data["into"]
    # The original must be one this person could triage too; otherwise it "does not exist".
    target = visible_insights(request.user).filter(pk=target_id).first()
    if target is None or not can_triage(request.user, target):
        form.add_error("into", f"There is no insight #{target_id} you can merge into.")
        return _invalid(request, insight, merge_form=form)
    try:
        insight_merge(duplicate=insight, into=target, actor=request.user)
    except InsightRefused as refusal:
        return _refused(request, insight, refusal, merge_form=form)
    messages.success(request, f"Merged into #{target.pk}: its followers and +1s moved there too.")
    return redirect("insights:detail", insight_id=target.pk)


@require_POST
def insight_comment_view(request: AuthedRequest, insight_id: int) -> HttpResponse:
    insight = get_insight_for_view(request.user, insight_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _invalid(request, insight, comment_form=form)
    try:
        insight_comment(insight=insight, actor=request.user, body=form.cleaned_data["body"])
    except InsightRefused as refusal:
        return _refused(request, insight, refusal, comment_form=form)
    return redirect(reverse("insights:detail", args=[insight.pk]) + "#history")


@require_POST
def insight_follow_view(request: AuthedRequest, insight_id: int) -> HttpResponse:
    insight = get_insight_for_view(request.user, insight_id)
    if request.POST.get("follow") == "off":
        insight_unfollow(insight=insight, person=request.user)
        messages.info(request, "You no longer follow it.")
    else:
        insight_follow(insight=insight, person=request.user)
        messages.success(request, "You follow it: each change of status reaches you by email.")
    return redirect("insights:detail", insight_id=insight.pk)


@require_POST
def insight_plus_one_view(request: AuthedRequest, insight_id: int) -> HttpResponse:
    insight = get_insight_for_view(request.user, insight_id)
    form = PlusOneForm(request.POST)
    if not form.is_valid():
        return _invalid(request, insight, plus_one_form=form)
    try:
        insight_plus_one(insight=insight, person=request.user, note=form.cleaned_data["note"])
    except InsightRefused as refusal:
        return _refused(request, insight, refusal, plus_one_form=form)
    messages.success(request, "Thank you: your +1 is counted, and you follow it now.")
    return redirect("insights:detail", insight_id=insight.pk)
