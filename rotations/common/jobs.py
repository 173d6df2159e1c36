"""How work reaches a Celery worker: one task class, and one way for a service to ask.

Tasks are the leaves of the code: a tasks module imports services, and a service never
imports a tasks module. A service asks for a task by its name (``enqueue``), and every
task is the app's ``OnCommitTask`` (``frontline/celery.py`` makes it Celery's task
class), which publishes a task asked for inside a transaction only once that
transaction has committed, by construction, as pretix's ``TransactionAwareTask`` does:
a worker never reads rows that are not there yet, and a rolled-back change asks for
nothing.

The publish after the commit is robust: the change has been made, so a broker that is
down must not turn it into an error page. The failure is logged, and the work it stood
for is done later by the beat's sweeps (each task is idempotent, and each piece of work
it does is recorded in the database before it is asked for).

Task names stay ``rotations.tasks.<name>``, as they were when all tasks lived in one
module: a task already waiting in a broker, or named in beat's schedule, keeps working.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, current_app
from django.db import transaction

log = logging.getLogger(__name__)


def task_name(name: str) -> str:
    """The registered name of the task called ``name`` (see the module's docstring)."""
    return f"rotations.tasks.{name}"


class OnCommitTask(Task):
    """Every task: published once the transaction that asked for it commits."""

    # Celery's own parameters all arrive in ``options``, and go on to it unchanged.
    def apply_async(self, args=None, kwargs=None, **options) -> Any:  # type: ignore[override]
        if transaction.get_connection().in_atomic_block:
            # A function, not a functools.partial: Django names a robust hook that fails
            # by its __qualname__, which a partial lacks (the log line would raise).
            def publish() -> None:
                super(OnCommitTask, self).apply_async(args, kwargs, **options)

            publish.__qualname__ = f"publish {self.name}"
            transaction.on_commit(publish, robust=True)
            return None
        return super().apply_async(args, kwargs, **options)


def enqueue(name: str, *args: Any, countdown: float | None = None) -> None:
    """Have the task ``name`` (see ``task_name``) run with ``args``: after the current
    transaction commits, or at once outside one. Outside a transaction a failed publish
    raises, so the caller can tell (``rotations.invites.outbox.kick`` does)."""
    task = current_app.tasks[task_name(name)]
    if countdown is None:
        task.apply_async(args)
    else:
        task.apply_async(args, countdown=countdown)


def tasks_run_eagerly() -> bool:
    """Whether tasks run in the caller's process (``CELERY_TASK_ALWAYS_EAGER``)."""
    return bool(current_app.conf.task_always_eager)
