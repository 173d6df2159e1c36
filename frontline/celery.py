"""The Celery app: configuration comes from Django settings prefixed CELERY_.

Celery looks its settings up on every publish, several spellings of each name (with and
without the prefix, old and new style); through Django's lazy settings object every
miss raises and catches an AttributeError, which cost more than the publish's round
trip to Redis. So Celery reads a plain dict of the CELERY_ settings, made when it first
asks (``frontline.celery_settings``), where a miss is a dictionary lookup.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontline.settings")

# Every task publishes only after the transaction that asked for it commits
# (rotations/common/jobs.py); each domain's tasks module is imported when the app is
# ready (rotations/apps.py), in the web processes as in the worker.
app = Celery("frontline", task_cls="rotations.common.jobs:OnCommitTask")
app.config_from_object("frontline.celery_settings:CELERY")
