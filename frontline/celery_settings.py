"""The CELERY_ settings from Django's, as the plain dict Celery reads (see ``celery``).

Keys are Celery's own lowercase names (``CELERY_TASK_ACKS_LATE`` is ``task_acks_late``).
Given the prefixed names, Celery takes the three that were also its pre-4.0 names
(``CELERY_ACCEPT_CONTENT``, ...) for old-style settings and warns on every worker start.

Celery keeps reading this very dict, so a setting changed while running (a test's
``override_settings`` or pytest-django's ``settings``) is changed here too.
"""

from django.conf import settings
from django.core.signals import setting_changed


def _celery_settings() -> dict:
    return {
        name.removeprefix("CELERY_").lower(): getattr(settings, name)
        for name in dir(settings)
        if name.startswith("CELERY_")
    }


CELERY = _celery_settings()


def _follow(setting: str, **kwargs) -> None:
    if setting.startswith("CELERY_"):
        CELERY.clear()
        CELERY.update(_celery_settings())


setting_changed.connect(_follow, dispatch_uid="frontline-celery-settings")
