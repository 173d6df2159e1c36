"""Reverse mentoring: HR runs cycles; mentors and executives answer, meet, and log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from rotations.common.http import AuthedRequest
from rotations.insights.forms import InsightForm
from rotations.insights.services import InsightRefused, insight_log_for_session, split_tags
from rotations.mentoring.forms import (
    CloseCycleForm,
    CycleForm,
    EndPairingForm,
    MarkSessionForm,
    ProfileForm,
    RescheduleSessionForm,
    SwapForm,
    TopicForm,
)
from rotations.mentoring.selectors import (
    can_see_pairing,
    cycle_health,
    cycle_pairings,
    cycles_asking,
    my_pairings,
    responses,
    role_in_cycle,
)
from rotations.mentoring.services import (
    MentoringRefused,
    cycle_close,
    cycle_create,
    cycle_publish,
    cycle_update,
    match_request,
    pairing_end,
    pairing_remove,
    pairing_swap,
    profile_save,
    session_mark,
    session_reschedule,
)
from rotations.models import (
    CycleStatus,
    MentoringCycle,
    MentoringProfile,
    MentoringSession,
    MentoringTopic,
    Pairing,
    PairingStatus,
    SessionStatus,
)

MANAGE = "rotations.manage_mentoring"


def _pairing_for(person, pairing_id: int) -> Pairing:
    pairing = get_object_or_404(
        Pairing.objects.select_related("cycle", "mentee", "mentor"), pk=pairing_id
    )
    # To anyone outside the pair (and HR) it does not exist.
    if not can_see_pairing(person, pairing) or (
        pairing.status == PairingStatus.PROPOSED and not person.has_perm(MANAGE)
    ):
        raise Http404
    return pairing


def _session_for(person, session_id: int) -> MentoringSession:
    session = get_object_or_404(
        MentoringSession.objects.select_related(
            "pairing__cycle", "pairing__mentee", "pairing__mentor"
        ),
        pk=session_id,
    )
    if not can_see_pairing(person, session.pairing):
        raise Http404
    return session


@require_safe
def mentoring_home(request: AuthedRequest) -> HttpResponse:
    """Everyone's page: cycles asking for their profile, their pairings and sessions."""
    now = timezone.now()
    pairings = list(my_pairings(request.user))
    for pairing in pairings:
        sessions = list(pairing.sessions.all())
        # For the template, beside each pairing: its next sessions and those to mark.
        pairing.upcoming = [  # type: ignore[attr-defined]
            s for s in sessions if s.status == SessionStatus.SCHEDULED and s.starts_at > now
        ][:3]
        pairing.to_mark = [  # type: ignore[attr-defined]
            s for s in sessions if s.status == SessionStatus.SCHEDULED and s.starts_at <= now
        ]
    return render(
        request,
        "mentoring/home.html",
        {
            "asking": cycles_asking(request.user),
            "pairings": pairings,
            "can_manage": request.user.has_perm(MANAGE),
        },
    )


# --- HR ---------------------------------------------------------------------------------


@require_safe
@permission_required(MANAGE, raise_exception=True)
def cycle_list(request: AuthedRequest) -> HttpResponse:
    cycles = MentoringCycle.objects.annotate(
        live=Count("pairings", filter=Q(pairings__status=PairingStatus.ACTIVE)),
        proposed=Count("pairings", filter=Q(pairings__status=PairingStatus.PROPOSED)),
    )
    return render(request, "mentoring/cycle_list.html", {"cycles": cycles})


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required(MANAGE, raise_exception=True)
def cycle_new(request: AuthedRequest) -> HttpResponse:
    form = CycleForm(
        request.POST or None, initial={"mentee_levels": ["vp", "c_level"], "mentor_levels": ["ic"]}
    )
    if request.method == "POST" and form.is_valid():
        try:
            cycle = cycle_create(by=request.user, **form.settings())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"{cycle.name} is open: mentors and executives can now fill in their profiles.",
            )
            return redirect("mentoring:cycle", cycle.pk)
    return render(
        request, "mentoring/cycle_form.html", {"form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required(MANAGE, raise_exception=True)
def cycle_edit(request: AuthedRequest, cycle_id: int) -> HttpResponse:
    cycle = get_object_or_404(MentoringCycle, pk=cycle_id)
    form = CycleForm(request.POST or None, instance=cycle)
    if request.method == "POST" and form.is_valid():
        try:
            cycle_update(cycle=cycle, **form.settings())
        except MentoringRefused as refusal:
            form.add_error(None, refusal.message)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"{cycle.name} saved. Run the matcher again for the new rules to count."
            )
            return redirect("mentoring:cycle", cycle.pk)
    return render(
        request,
        "mentoring/cycle_form.html",
        {"form": form, "cycle": cycle},
        status=400 if form.errors else 200,
    )


@require_safe
@permission_required(MANAGE, raise_exception=True)
def cycle_detail(request: AuthedRequest, cycle_id: int) -> HttpResponse:
    cycle = get_object_or_404(MentoringCycle.objects.select_related("created_by"), pk=cycle_id)
    pairings = list(cycle_pairings(cycle))
    run = cycle.match_runs.select_related("run_by").first()
    paired = {p.mentee_id for p in pairings if p.status != PairingStatus.ENDED}
    unmatched = [u for u in (run.unmatched if run else []) if u["person_id"] not in paired]
    return render(
        request,
        "mentoring/cycle_detail.html",
        {
            "cycle": cycle,
            "responses": responses(cycle),
            "proposed": [p for p in pairings if p.status == PairingStatus.PROPOSED],
            "active": [p for p in pairings if p.status == PairingStatus.ACTIVE],
            "ended": [p for p in pairings if p.status == PairingStatus.ENDED],
            "health": cycle_health(pairings),
            "run": run,
            "unmatched": unmatched,
            "swap_form": SwapForm(cycle=cycle),
            "close_form": CloseCycleForm(),
            "can_close": cycle.status != CycleStatus.CLOSED
            and cycle.ends_on >= timezone.localdate(),
        },
    )


def _refused(request: AuthedRequest, refusal: MentoringRefused, to: str) -> HttpResponse:
    messages.error(request, refusal.message)
    return redirect(to)


@require_POST
@permission_required(MANAGE, raise_exception=True)
def cycle_match(request: AuthedRequest, cycle_id: int) -> HttpResponse:
    cycle = get_object_or_404(MentoringCycle, pk=cycle_id)
    back = reverse("mentoring:cycle", args=[cycle.pk])
    try:
        match_request(cycle=cycle, by=request.user)
    except MentoringRefused as refusal:
        return _refused(request, refusal, back)
    messages.success(
        request, "The matcher is working: this page refreshes itself until the proposals are in."
    )
    return redirect(back + "#proposals")


@require_POST
@permission_required(MANAGE, raise_exception=True)
def cycle_publish_view(request: AuthedRequest, cycle_id: int) -> HttpResponse:
    cycle = get_object_or_404(MentoringCycle, pk=cycle_id)
    back = reverse("mentoring:cycle", args=[cycle.pk])
    try:
        count = cycle_publish(cycle=cycle, by=request.user)
    except MentoringRefused as refusal:
        return _refused(request, refusal, back)
    messages.success(
        request, f"{count} pairs published: both sides get an email with their series invite."
    )
    return redirect(back)


@require_POST
@permission_required(MANAGE, raise_exception=True)
def cycle_close_view(request: AuthedRequest, cycle_id: int) -> HttpResponse:
    cycle = get_object_or_404(MentoringCycle, pk=cycle_id)
    back = reverse("mentoring:cycle", args=[cycle.pk])
    form = CloseCycleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the cycle closes; both sides of every pair read it.")
        return redirect(back + "#close")
    try:
        ended = cycle_close(cycle=cycle, by=request.user, reason=form.cleaned_data["reason"])
    except MentoringRefused as refusal:
        return _refused(request, refusal, back)
    messages.success(
        request,
        f"The cycle is closed. {ended} running pair{'s' if ended != 1 else ''} ended: "
        "their remaining sessions leave both calendars.",
    )
    return redirect(back)


@require_POST
@permission_required(MANAGE, raise_exception=True)
def pairing_swap_view(request: AuthedRequest, cycle_id: int) -> HttpResponse:
    cycle = get_object_or_404(MentoringCycle, pk=cycle_id)
    back = reverse("mentoring:cycle", args=[cycle.pk]) + "#proposals"
    form = SwapForm(request.POST, cycle=cycle)
    if not form.is_valid():
        messages.error(request, "Choose two proposed pairs to swap.")
        return redirect(back)
    try:
        a, b = pairing_swap(first=form.cleaned_data["first"], second=form.cleaned_data["second"])
    except MentoringRefused as refusal:
        return _refused(request, refusal, back)
    messages.success(
        request, f"Swapped: {a.mentor} now mentors {a.mentee}, {b.mentor} mentors {b.mentee}."
    )
    return redirect(back)


@require_POST
@permission_required(MANAGE, raise_exception=True)
def pairing_remove_view(request: AuthedRequest, pairing_id: int) -> HttpResponse:
    pairing = get_object_or_404(Pairing.objects.select_related("mentee", "mentor"), pk=pairing_id)
    back = reverse("mentoring:cycle", args=[pairing.cycle_id]) + "#proposals"
    try:
        pairing_remove(pairing=pairing)
    except MentoringRefused as refusal:
        return _refused(request, refusal, back)
    messages.success(
        request, f"Removed the proposed pair of {pairing.mentor} and {pairing.mentee}."
    )
    return redirect(back)


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required(MANAGE, raise_exception=True)
def topic_list(request: AuthedRequest) -> HttpResponse:
    form = TopicForm(request.POST or None)
    if request.method == "POST":
        retire = request.POST.get("retire") or request.POST.get("restore")
        if retire:
            topic = get_object_or_404(MentoringTopic, pk=retire if retire.isdigit() else 0)
            topic.is_active = "restore" in request.POST
            topic.save(update_fields=["is_active"])
            messages.success(
                request, f"“{topic.name}” {'is back on' if topic.is_active else 'is off'} the list."
            )
            return redirect("mentoring:topics")
        if form.is_valid():
            topic = form.save()
            messages.success(request, f"“{topic.name}” added.")
            return redirect("mentoring:topics")
    topics = MentoringTopic.objects.all()
    return render(
        request,
        "mentoring/topics.html",
        {"form": form, "topics": topics},
        status=400 if form.errors else 200,
    )


# --- mentors and executives -----------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def profile_edit(request: AuthedRequest, cycle_id: int) -> HttpResponse:
    cycle = get_object_or_404(MentoringCycle, pk=cycle_id)
    role = role_in_cycle(cycle, request.user)
    if role is None:
        raise PermissionDenied
    profile = MentoringProfile.objects.filter(cycle=cycle, person=request.user, role=role).first()
    initial = {}
    if profile:
        initial = {
            "topics": list(profile.topics.all()),
            "languages": profile.languages,
            "about": profile.about,
        }
        if profile.opted_in is not None:
            initial["opted_in"] = "yes" if profile.opted_in else "no"
    form = ProfileForm(
        request.POST or None, role=role, initial=initial, kept_topics=initial.get("topics", ())
    )
    if request.method == "POST" and form.is_valid():
        try:
            profile_save(
                cycle=cycle,
                person=request.user,
                role=role,
                topics=list(form.cleaned_data["topics"]),
                languages=form.cleaned_data["languages"],
                about=form.cleaned_data["about"],
                opted_in=form.cleaned_data.get("opted_in", True),
            )
        except MentoringRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request, "Thank you: your answer is saved. You can change it until the cycle ends."
            )
            return redirect("mentoring:home")
    return render(
        request,
        "mentoring/profile.html",
        {"form": form, "cycle": cycle, "role": role, "profile": profile},
        status=400 if form.errors else 200,
    )


@require_safe
def pairing_detail(request: AuthedRequest, pairing_id: int) -> HttpResponse:
    pairing = _pairing_for(request.user, pairing_id)
    sessions = list(pairing.sessions.annotate(insight_count=Count("insights")))
    now = timezone.now()
    return render(
        request,
        "mentoring/pairing.html",
        {
            "pairing": pairing,
            "sessions": sessions,
            "now": now,
            "is_mentee": pairing.mentee_id == request.user.pk,
            "end_form": EndPairingForm(),
        },
    )


@require_POST
def pairing_end_view(request: AuthedRequest, pairing_id: int) -> HttpResponse:
    pairing = _pairing_for(request.user, pairing_id)
    back = reverse("mentoring:pairing", args=[pairing.pk])
    form = EndPairingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the pairing ends; HR reads it.")
        return redirect(back)
    try:
        pairing_end(pairing=pairing, by=request.user, reason=form.cleaned_data["reason"])
    except MentoringRefused as refusal:
        return _refused(request, refusal, back)
    messages.success(
        request,
        "The pairing has ended: its sessions are cancelled in both calendars and HR is told.",
    )
    return redirect(back)


@require_http_methods(["GET", "HEAD", "POST"])
def session_reschedule_view(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = _session_for(request.user, session_id)
    zone = timezone.get_current_timezone()
    form = RescheduleSessionForm(
        request.POST or None,
        initial={
            "starts_at": timezone.localtime(session.starts_at, zone).strftime("%Y-%m-%dT%H:%M")
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            session_reschedule(
                session=session, starts_at=form.cleaned_data["starts_at"], by=request.user
            )
        except MentoringRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, "Session moved: both calendars get the update.")
            return redirect("mentoring:pairing", session.pairing_id)
    return render(
        request,
        "mentoring/reschedule.html",
        {"form": form, "session": session},
        status=400 if form.errors else 200,
    )


@require_POST
def session_mark_view(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = _session_for(request.user, session_id)
    back = reverse("mentoring:pairing", args=[session.pairing_id])
    form = MarkSessionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Mark a session as held or missed.")
        return redirect(back)
    try:
        session_mark(session=session, status=form.cleaned_data["status"], by=request.user)
    except MentoringRefused as refusal:
        return _refused(request, refusal, back)
    if (
        form.cleaned_data["status"] == SessionStatus.HELD
        and session.pairing.mentee_id == request.user.pk
    ):
        messages.success(request, "Marked as held. What did you learn? Log it while it is fresh.")
        return redirect("mentoring:session-insight", session.pk)
    messages.success(request, f"Marked as {form.cleaned_data['status']}.")
    return redirect(back)


@require_http_methods(["GET", "HEAD", "POST"])
def session_insight_new(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = _session_for(request.user, session_id)
    if session.pairing.mentee_id != request.user.pk:
        raise PermissionDenied
    form = InsightForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in InsightForm.Meta.fields}
        try:
            insight_log_for_session(
                session=session,
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
                request, "Thank you: your insight is logged. Log another if you learned more."
            )
            return redirect(reverse("mentoring:session-insight", args=[session.pk]) + "?logged=1")
    return render(
        request,
        "insights/new.html",
        {"form": form, "session": session, "logged": session.insights.order_by("created_at")},
        status=400 if form.errors else 200,
    )
