"""Shifts' task: keep every pattern's shifts on the schedule as far ahead as it reaches."""

from __future__ import annotations

from celery import shared_task

from rotations.common.jobs import task_name
from rotations.shifts.services import patterns


@shared_task(name=task_name("extend_pattern_schedules"))
def extend_pattern_schedules() -> int:
    """Add the days that have come within each pattern's horizon (beat, every six hours)."""
    return patterns.extend_pattern_schedules()
