"""Mentoring's task: run the matcher for one request."""

from __future__ import annotations

import logging

from celery import shared_task

from rotations.common.jobs import task_name
from rotations.mentoring.models import MatchRun
from rotations.mentoring.services import MentoringRefused, match_failed, run_matching

log = logging.getLogger(__name__)


@shared_task(name=task_name("run_cycle_matching"), acks_late=True)
def run_cycle_matching(run_id: int) -> int:
    """Run the mentoring matcher for one request. Idempotent: a run answered is left alone."""
    try:
        run = MatchRun.objects.select_related("cycle", "run_by").get(pk=run_id)
    except MatchRun.DoesNotExist:
        return 0
    if not run.is_running:
        return run.proposed
    try:
        run = run_matching(cycle=run.cycle, by=run.run_by, run=run)
    except MentoringRefused as refusal:
        match_failed(run_id, refusal.message)
        return 0
    except Exception as exc:  # the run must not stay "running" forever
        log.exception("matching run %s failed", run_id)
        match_failed(run_id, f"{type(exc).__name__}: {exc}")
        raise
    return run.proposed
