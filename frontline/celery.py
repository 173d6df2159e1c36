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

app = Celery("frontline")
app.config_from_object("frontline.celery_settings:CELERY")
app.autodiscover_tasks()
