"""Who may read and triage which insight (``get_<thing>_for_<action>``, as in
``rotations.shifts.permissions``): an insight someone may not read does not exist for
them (404); one they may read but not triage is refused (403)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from rotations.insights.selectors import can_triage, insight_detail, visible_insights
from rotations.models import Insight, Person


def get_insight_for_view(person: Person, insight_id: int) -> Insight:
    """An insight this person may read; to anyone else it does not exist."""
    if not visible_insights(person).filter(pk=insight_id).exists():
        raise Http404
    return insight_detail(insight_id)


def get_insight_for_triage(person: Person, insight_id: int) -> Insight:
    insight = get_insight_for_view(person, insight_id)
    if not can_triage(person, insight):
        raise PermissionDenied
    return insight


def can_see_dashboard(person: Person) -> bool:
    return person.has_perm("rotations.view_insight_dashboard")
