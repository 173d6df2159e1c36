"""Insights' task: mail the notices followers are owed."""

from __future__ import annotations

from celery import shared_task

from rotations.common.jobs import task_name
from rotations.insights import notices


@shared_task(name=task_name("flush_insight_notices"))
def flush_insight_notices(person_ids: list[int] | None = None) -> int:
    """Mail waiting insight notices (after a status change, and from the beat's sweep)."""
    return notices.flush(person_ids)
