"""Every task is published only once the transaction that asked for it has committed."""

from __future__ import annotations

import logging
from unittest import mock

import pytest
from celery import current_app
from django.db import transaction

from rotations.common.jobs import OnCommitTask, enqueue, task_name

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def publish():
    """The broker's side of every publish, recorded (``Task.apply_async`` of Celery's base)."""
    with mock.patch("celery.app.task.Task.apply_async") as published:
        yield published


def test_it_is_every_tasks_class():
    for name, task in current_app.tasks.items():
        if name.startswith("rotations."):
            assert isinstance(task, OnCommitTask), name


def test_a_task_asked_for_in_a_transaction_is_published_after_it_commits(publish):
    with transaction.atomic():
        enqueue("sweep_outbox")
        assert publish.call_count == 0
    publish.assert_called_once_with((), None)


def test_a_rolled_back_change_asks_for_nothing(publish):
    with pytest.raises(RuntimeError, match="changed my mind"):
        with transaction.atomic():
            enqueue("sweep_outbox")
            raise RuntimeError("changed my mind")
    assert publish.call_count == 0


def test_outside_a_transaction_it_is_published_at_once_and_a_failure_is_the_callers(publish):
    publish.side_effect = ConnectionError("broker down")
    with pytest.raises(ConnectionError, match="broker down"):
        enqueue("queue_due_emails", countdown=3)
    publish.assert_called_once_with((), None, countdown=3)


def test_a_broker_down_after_the_commit_is_logged_and_the_change_stands(publish, caplog):
    from rotations.models import Department

    publish.side_effect = ConnectionError("broker down")
    with caplog.at_level(logging.ERROR), transaction.atomic():
        Department.objects.create(name="Kept")
        enqueue("sweep_outbox")
    assert Department.objects.filter(name="Kept").exists()
    assert any("broker down" in (r.exc_text or str(r.exc_info)) for r in caplog.records)


def test_names_stay_what_beat_and_waiting_messages_know():
    from django.conf import settings

    assert task_name("sweep_outbox") == "rotations.tasks.sweep_outbox"
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in current_app.tasks, entry["task"]
