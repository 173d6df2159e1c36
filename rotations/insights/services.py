"""Insights through their life: logged after a shift, triaged, routed, merged, shipped.

Every step writes an ``InsightEvent`` (the history) in the same transaction as the
change, and a status change owes each follower but the actor a notice
(``insight_notices``), mailed by a worker after commit.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rotations.common.errors import Refused
from rotations.insights import notices as insight_notices
from rotations.insights.selectors import who_may_see
from rotations.models import (
    TRANSITIONS,
    Booking,
    BookingStatus,
    FollowReason,
    Insight,
    InsightEvent,
    InsightEventKind,
    InsightFollower,
    InsightStatus,
    InsightVote,
    MentoringSession,
    Person,
    Queue,
    SessionStatus,
    Tag,
)


class InsightRefused(Refused):
    """A rule stopped the request; ``message`` is for the person who asked."""


def split_tags(text: str) -> list[str]:
    """ "Billing, refunds;  Refunds" → ["Billing", "refunds"]: one per name, whatever the case."""
    seen: dict[str, str] = {}
    for name in re.split(r"[,;]", text or ""):
        name = " ".join(name.split())[:40]
        if name:
            seen.setdefault(name.lower(), name)
    return list(seen.values())


def insight_log(*, booking: Booking, author: Person, fields: dict, tags: list[str]) -> Insight:
    """Record what the executive saw on this shift; only after they attended it.

    The executive and the shift's buddy follow it from the start.
    """
    if booking.person_id != author.pk:
        raise InsightRefused(
            "not_yours", "Only the executive who sat the shift can log its insights."
        )
    if booking.status != BookingStatus.ATTENDED:
        raise InsightRefused(
            "not_attended",
            "Insights are logged after a shift the lead or buddy marked as attended.",
        )
    shift = booking.shift
    return _log(
        author, fields, tags, booking=booking, queue_id=shift.queue_id, buddy_id=shift.buddy_id
    )


def insight_log_for_session(
    *, session: MentoringSession, author: Person, fields: dict, tags: list[str]
) -> Insight:
    """Record what the executive learned in a mentoring session; only once it was held.

    The mentor plays the buddy's part: they see the insight and follow it from the start.
    """
    pairing = session.pairing
    if pairing.mentee_id != author.pk:
        raise InsightRefused(
            "not_yours", "Only the executive who was mentored can log the session's insights."
        )
    if session.status != SessionStatus.HELD:
        raise InsightRefused("not_held", "Insights are logged after a session marked as held.")
    return _log(author, fields, tags, session=session, queue_id=None, buddy_id=pairing.mentor_id)


MAX_TAGS = 20
# The model's limits, held here too: the service is the door every caller goes through.
TEXT_LIMITS = {"title": 200, "what_happened": 5000, "customer_quote": 2000, "suggested_fix": 5000}


def _check_limits(fields: dict, tags: list[str]) -> None:
    """Input too long for an insight: a field's error, as a form or the API shows it."""
    errors = {
        name: f"At most {limit:,} characters."
        for name, limit in TEXT_LIMITS.items()
        if len(fields.get(name) or "") > limit
    }
    if len(tags) > MAX_TAGS:
        errors["tags"] = f"At most {MAX_TAGS} tags ({len(tags)} given)."
    if errors:
        raise ValidationError(errors)


def _log(author, fields, tags, *, queue_id, buddy_id, booking=None, session=None) -> Insight:
    _check_limits(fields, tags)
    buddy_reason = FollowReason.MENTOR if session is not None else FollowReason.BUDDY
    with transaction.atomic():
        insight = Insight(
            author=author,
            booking=booking,
            session=session,
            queue_id=queue_id,
            buddy_id=buddy_id,
            **fields,
        )
        insight.search_text = _search_text(insight, tags)
        insight.save()
        if tags:
            insight.tags.set(_tags_named(tags))
        InsightEvent.objects.create(
            insight=insight, actor=author, kind=InsightEventKind.LOGGED, to_status=insight.status
        )
        followers = [InsightFollower(insight=insight, person=author, reason=FollowReason.AUTHOR)]
        if buddy_id and buddy_id != author.pk:
            followers.append(
                InsightFollower(insight=insight, person_id=buddy_id, reason=buddy_reason)
            )
        InsightFollower.objects.bulk_create(followers)
    return insight


def insight_transition(
    *,
    insight: Insight,
    actor: Person,
    to_status: str,
    expected_status: str | None = None,
    owner: Person | None = None,
    owner_team: str = "",
    due_on: date | None = None,
    reason: str = "",
) -> Insight:
    """Move an insight along its life cycle (not to "duplicate": see ``insight_merge``).

    ``expected_status`` is the status the person saw: if someone moved the insight
    meanwhile, the request is refused rather than silently undoing their step.
    """
    if to_status == InsightStatus.DUPLICATE:
        raise InsightRefused(
            "use_merge", "Mark a duplicate by merging it into the insight it repeats."
        )
    if to_status not in InsightStatus.values:
        raise InsightRefused("bad_status", "Choose one of the statuses listed.")
    reason = reason.strip()
    owner_team = owner_team.strip()
    if to_status == InsightStatus.ROUTED and owner is None and not owner_team:
        raise InsightRefused("no_owner", "Route it to a person, a team, or both.")
    if to_status == InsightStatus.DECLINED and not reason:
        raise InsightRefused(
            "no_reason", "Say why it is declined: the people following it will read it."
        )
    with transaction.atomic():
        current = _locked(insight.pk)
        if expected_status and current.status != expected_status:
            raise InsightRefused(
                "changed",
                f"Someone changed this insight meanwhile: it is now {current.get_status_display().lower()}. "
                "Look again before you move it.",
            )
        if to_status not in TRANSITIONS[current.status]:
            raise InsightRefused(
                "bad_transition",
                f"A {current.get_status_display().lower()} insight cannot be marked "
                f"{InsightStatus(to_status).label.lower()}.",
            )
        now = timezone.now()
        data: dict = {}
        from_status = current.status
        current.status = to_status
        if to_status == InsightStatus.ROUTED:
            current.owner, current.owner_team, current.due_on = owner, owner_team, due_on
            data = {
                "owner": owner.pk if owner else None,
                "owner_name": str(owner) if owner else "",
                "team": owner_team,
                "due_on": due_on.isoformat() if due_on else None,
            }
            if owner is not None:
                InsightFollower.objects.bulk_create(
                    [InsightFollower(insight=current, person=owner, reason=FollowReason.OWNER)],
                    ignore_conflicts=True,
                )
        current.decline_reason = reason if to_status == InsightStatus.DECLINED else ""
        current.triaged_at = current.triaged_at or now
        if to_status == InsightStatus.ACTIONED:
            current.actioned_at = current.actioned_at or now
        if to_status == InsightStatus.SHIPPED:
            current.actioned_at = current.actioned_at or now
            current.shipped_at = now
        if to_status == InsightStatus.ACKNOWLEDGED:
            current.shipped_at = None  # reopened: it has not shipped after all
        current.save()
        event = InsightEvent.objects.create(
            insight=current,
            actor=actor,
            kind=InsightEventKind.STATUS,
            from_status=from_status,
            to_status=to_status,
            body=reason,
            data=data,
        )
        insight_notices.notify_followers(event)
    return current


def insight_merge(*, duplicate: Insight, into: Insight, actor: Person) -> Insight:
    """Mark ``duplicate`` as repeating ``into``: its +1s, its tags and those of its
    followers who may read ``into`` join ``into``; it keeps its own links, text and
    history."""
    with transaction.atomic():
        # Both rows locked in one order, so two merges of the same pair cannot deadlock.
        locked = {
            i.pk: i
            for i in Insight.objects.select_for_update()
            .filter(pk__in=[duplicate.pk, into.pk])
            .order_by("pk")
        }
        dup, target = locked.get(duplicate.pk), locked.get(into.pk)
        if dup is None or target is None:
            raise InsightRefused("gone", "One of the two insights no longer exists.")
        if dup.pk == target.pk:
            raise InsightRefused("same", "An insight cannot be a duplicate of itself.")
        if target.status == InsightStatus.DUPLICATE:
            raise InsightRefused(
                "target_duplicate",
                f"#{target.pk} is itself a duplicate: merge into #{target.duplicate_of_id} instead.",
            )
        if InsightStatus.DUPLICATE not in TRANSITIONS[dup.status]:
            raise InsightRefused(
                "bad_transition",
                f"A {dup.get_status_display().lower()} insight cannot be merged into another.",
            )
        from_status = dup.status
        dup.status, dup.duplicate_of = InsightStatus.DUPLICATE, target
        dup.triaged_at = dup.triaged_at or timezone.now()
        dup.save(update_fields=["status", "duplicate_of", "triaged_at", "updated_at"])
        # Its followers follow the original too — those who may read it: a follower of a
        # private duplicate hears nothing of an original they cannot open.
        readers = who_may_see(target, dup.followers.values_list("person_id", flat=True))
        InsightFollower.objects.bulk_create(
            [
                InsightFollower(insight=target, person_id=p, reason=FollowReason.MERGED)
                for p in sorted(readers)
            ],
            ignore_conflicts=True,
        )
        # Its +1s count on the original too (the original's author does not +1 their own
        # insight, even by a merge). A +1's note is text of the duplicate's: it goes along
        # only when everyone who may read the original may read the duplicate too, as do
        # its tags; its own text never does (whoever searches the original finds that).
        private = _kept_from_some_reader(original=target, duplicate=dup)
        InsightVote.objects.bulk_create(
            [
                InsightVote(insight=target, person_id=v.person_id, note="" if private else v.note)
                for v in dup.votes.exclude(person_id=target.author_id)
            ],
            ignore_conflicts=True,
        )
        if not private:
            target.tags.add(*dup.tags.all())
        target.search_text = _search_text(target, [t.name for t in target.tags.all()])
        target.save(update_fields=["search_text", "updated_at"])
        event = InsightEvent.objects.create(
            insight=dup,
            actor=actor,
            kind=InsightEventKind.STATUS,
            from_status=from_status,
            to_status=InsightStatus.DUPLICATE,
            data={"into": target.pk, "into_title": target.title},
        )
        InsightEvent.objects.create(
            insight=target,
            actor=actor,
            kind=InsightEventKind.MERGED,
            data={"from": dup.pk, "from_title": dup.title},
        )
        insight_notices.notify_followers(event)
    return dup


def _kept_from_some_reader(*, original: Insight, duplicate: Insight) -> bool:
    """Whether someone who may read ``original`` may not read ``duplicate``. HR read
    both; the others who may read a private insight are its author, buddy, owner and
    the leads of its queue."""
    if duplicate.is_shared:
        return False
    if original.is_shared:
        return True
    leads = (
        Queue.leads.through.objects.filter(queue_id=original.queue_id).values_list(
            "person_id", flat=True
        )
        if original.queue_id
        else []
    )
    named = {original.author_id, original.buddy_id, original.owner_id, *leads} - {None}
    readers = who_may_see(original, named)  # type: ignore[arg-type]
    return who_may_see(duplicate, readers) != readers


def insight_comment(*, insight: Insight, actor: Person, body: str) -> InsightEvent:
    body = body.strip()
    if not body:
        raise InsightRefused("empty", "Write something to comment.")
    return InsightEvent.objects.create(
        insight=insight, actor=actor, kind=InsightEventKind.COMMENT, body=body[:5000]
    )


def insight_follow(*, insight: Insight, person: Person) -> bool:
    """Follow it; False when they already did."""
    with transaction.atomic():
        _, created = InsightFollower.objects.get_or_create(
            insight=insight, person=person, defaults={"reason": FollowReason.CHOSE}
        )
        if created:
            InsightEvent.objects.create(
                insight=insight, actor=person, kind=InsightEventKind.FOLLOWED
            )
    return created


def insight_unfollow(*, insight: Insight, person: Person) -> bool:
    with transaction.atomic():
        deleted, _ = InsightFollower.objects.filter(insight=insight, person=person).delete()
        if deleted:
            InsightEvent.objects.create(
                insight=insight, actor=person, kind=InsightEventKind.UNFOLLOWED
            )
    return bool(deleted)


def insight_plus_one(*, insight: Insight, person: Person, note: str = "") -> InsightVote:
    """ "I saw this too": one per person; the voter follows it from then on."""
    if insight.author_id == person.pk:
        raise InsightRefused("own", "You logged it: a +1 is for others who saw it too.")
    if insight.status == InsightStatus.DUPLICATE:
        raise InsightRefused(
            "duplicate", f"This one was merged: give #{insight.duplicate_of_id} your +1."
        )
    note = note.strip()[:500]
    with transaction.atomic():
        vote, created = InsightVote.objects.get_or_create(
            insight=insight, person=person, defaults={"note": note}
        )
        if not created:
            raise InsightRefused("voted", "You already gave it a +1.")
        InsightFollower.objects.bulk_create(
            [InsightFollower(insight=insight, person=person, reason=FollowReason.PLUS_ONE)],
            ignore_conflicts=True,
        )
        InsightEvent.objects.create(
            insight=insight, actor=person, kind=InsightEventKind.PLUS_ONE, body=note
        )
    return vote


def _locked(pk: int) -> Insight:
    try:
        return Insight.objects.select_for_update().get(pk=pk)
    except Insight.DoesNotExist:
        raise InsightRefused("gone", "This insight no longer exists.") from None


def _search_text(insight: Insight, tags: list[str]) -> str:
    return " ".join(
        part
        for part in (
            insight.title,
            insight.what_happened,
            insight.customer_quote,
            insight.ticket_refs,
            insight.suggested_fix,
            *tags,
        )
        if part
    )


def _tags_named(names: list[str]) -> list[Tag]:
    query = Q()
    for name in names:
        query |= Q(name__iexact=name)
    existing = {t.name.lower() for t in Tag.objects.filter(query)}
    # A tag another person creates meanwhile loses on the unique name, silently.
    Tag.objects.bulk_create(
        [Tag(name=n) for n in names if n.lower() not in existing], ignore_conflicts=True
    )
    return list(Tag.objects.filter(query))
