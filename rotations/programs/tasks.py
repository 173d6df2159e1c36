"""Programs' tasks: reminders at each point, and the auto-scheduler's plans."""

from __future__ import annotations

import logging

from celery import shared_task

from rotations.common.jobs import task_name
from rotations.programs import services
from rotations.programs.models import SchedulePlan

log = logging.getLogger(__name__)


@shared_task(name=task_name("send_program_nudges"))
def send_program_nudges() -> int:
    """Remind people behind at each program's reminder points (each point once)."""
    return services.send_due_nudges()


@shared_task(name=task_name("plan_due_programs"))
def plan_due_programs() -> int:
    """Programs past their deadline that want the auto-scheduler get a plan to review."""
    return services.plan_due_programs()


@shared_task(name=task_name("make_schedule_plan"), bind=True, acks_late=True)
def make_schedule_plan(self, plan_id: int) -> int:
    """Run the auto-scheduler for one plan. Idempotent: a plan already made is left alone."""
    try:
        plan = services.make_plan(SchedulePlan(pk=plan_id))
    except SchedulePlan.DoesNotExist:
        return 0
    except Exception as exc:  # the plan must not stay "planning" forever
        log.exception("planning %s failed", plan_id)
        services.plan_failed(plan_id, f"{type(exc).__name__}: {exc}")
        raise
    return plan.stats.get("placed", 0)
