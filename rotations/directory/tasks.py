"""The directory's tasks: an uploaded file imported by a worker, and the sweep that asks
again for any left waiting."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from rotations.common.jobs import task_name
from rotations.directory import services


@shared_task(
    name=task_name("run_directory_import"),
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=6,
)
def run_directory_import(job_id: int) -> str:
    """Import one uploaded file. Idempotent: a finished job is left as it is."""
    job = services.directory_import_run(job_id=job_id)
    return job.status if job else "gone"


@shared_task(name=task_name("requeue_directory_imports"))
def requeue_directory_imports() -> int:
    return services.directory_imports_requeue()
