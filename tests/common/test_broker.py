"""Celery's configuration and the Redis transport it publishes through."""

from __future__ import annotations

import json
import os
import threading
import time
from queue import Empty

import pytest
from django.conf import settings
from django.test import override_settings
from kombu import Connection

from frontline.broker import FilesystemTransport, Transport
from frontline.celery import app


def test_celery_reads_every_celery_setting_from_django():
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.task_acks_late is settings.CELERY_TASK_ACKS_LATE is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert set(app.conf.beat_schedule) == set(settings.CELERY_BEAT_SCHEDULE)
    # Names Celery has no setting of its own for fall back to its defaults.
    assert app.conf.task_default_queue == "celery"


def test_celery_follows_a_setting_changed_while_running(settings):
    # (Not task_always_eager: a test that sets app.conf itself shadows the setting.)
    assert app.conf.task_default_priority is None
    settings.CELERY_TASK_DEFAULT_PRIORITY = 3
    assert app.conf.task_default_priority == 3
    with override_settings(CELERY_TASK_DEFAULT_QUEUE="elsewhere"):
        assert app.conf.task_default_queue == "elsewhere"
    assert (
        app.conf.task_default_queue == "celery"
    )  # a setting Django does not have: Celery's default


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the local Redis (set REDIS_URL)")
def test_the_transport_publishes_through_one_client_per_channel():
    assert app.conf.broker_transport == "frontline.broker:Transport"
    with Connection(os.environ["REDIS_URL"], transport=Transport) as connection:
        channel = connection.channel()
        queue = connection.SimpleQueue("test-broker-transport", channel=channel)
        try:
            client = channel._create_client()
            for n in range(3):
                queue.put({"n": n})
            assert channel._create_client() is client
            assert sorted(json.loads(queue.get(timeout=5).body)["n"] for _ in range(3)) == [0, 1, 2]
        finally:
            queue.clear()
            queue.close()


@pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="the broker without a server")
def test_without_redis_celery_uses_the_whole_message_filesystem_transport():
    assert app.conf.broker_url == "filesystem://"
    assert app.conf.broker_transport == "frontline.broker:FilesystemTransport"


def test_a_worker_reading_the_folder_never_sees_a_message_half_written(tmp_path):
    """A reader polling the folder while messages are written gets each one whole.

    kombu's own filesystem transport fails this: it creates the file, then writes it,
    and a reader in between takes an empty or partial message.
    """
    options = {
        "data_folder_in": str(tmp_path),
        "data_folder_out": str(tmp_path),
        "store_processed": False,
    }
    body = "x" * 2_000_000  # big enough that writing it takes a while
    count = 40
    failures: list[BaseException] = []

    with Connection(
        "filesystem://", transport=FilesystemTransport, transport_options=options
    ) as connection:
        writer, reader = connection.channel(), connection.channel()

        def write():
            try:
                for n in range(count):
                    writer._put("q", {"n": n, "body": body})
            except BaseException as exc:  # reported by the main thread
                failures.append(exc)

        thread = threading.Thread(target=write)
        thread.start()
        received = []
        deadline = time.monotonic() + 60
        while len(received) < count and time.monotonic() < deadline and not failures:
            try:
                received.append(reader._get("q"))
            except Empty:
                time.sleep(0)
        thread.join()

    assert not failures
    assert sorted(message["n"] for message in received) == list(range(count))
    assert all(message["body"] == body for message in received)
    assert not list(tmp_path.iterdir())  # no staging file left behind


def test_celery_sees_no_old_style_setting_names():
    # Otherwise every worker start warns that CELERY_ACCEPT_CONTENT & co. are deprecated.
    assert not app.conf.deprecated_settings
    assert app.conf.accept_content == settings.CELERY_ACCEPT_CONTENT
