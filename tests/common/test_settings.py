"""Settings come from the environment; production is the default."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "DB_ENGINE": settings.DATABASES["default"]["ENGINE"],
    "DB_NAME": settings.DATABASES["default"]["NAME"],
    "DB_HOST": settings.DATABASES["default"].get("HOST"),
    "BROKER": settings.CELERY_BROKER_URL,
    "CACHE": settings.CACHES["default"]["BACKEND"],
    "EMAIL_BACKEND": settings.EMAIL_BACKEND,
    "EMAIL_HOST": getattr(settings, "EMAIL_HOST", None),
    "EMAIL_PORT": getattr(settings, "EMAIL_PORT", None),
    "EMAIL_USE_TLS": getattr(settings, "EMAIL_USE_TLS", None),
    "OIDC_APPS": settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"],
    "PROXIES": settings.ALLAUTH_TRUSTED_PROXY_COUNT,
    "CLIENT_IP_HEADER": settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER,
}))
"""


def run(args, env, tmp_path):
    base = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "frontline.settings",
        "FRONTLINE_VAR_DIR": str(tmp_path / "var"),
        "HOME": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_with(env, tmp_path) -> dict:
    result = run(["-c", PRINT_SETTINGS], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_deploy_check_passes_with_only_the_three_documented_settings(tmp_path):
    env = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50)[:50],
        "ALLOWED_HOSTS": "frontline.example.com",
    }
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_a_secret_key_production_refuses_to_start(tmp_path):
    result = run(["manage.py", "check"], {"ALLOWED_HOSTS": "frontline.example.com"}, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_defaults_need_no_server(tmp_path):
    s = settings_with({"SECRET_KEY": "x" * 50}, tmp_path)
    assert s["DEBUG"] is False
    assert s["DB_ENGINE"] == "django.db.backends.sqlite3"
    assert s["DB_NAME"] == str(tmp_path / "var" / "frontline.sqlite3")
    assert s["BROKER"] == "filesystem://"
    assert s["CACHE"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert s["EMAIL_BACKEND"] == "frontline.mail.EmlFileBackend"
    assert s["OIDC_APPS"] == []
    assert (s["PROXIES"], s["CLIENT_IP_HEADER"]) == (0, None)  # X-Forwarded-For not trusted


def test_urls_point_the_app_at_postgresql_redis_and_smtp(tmp_path):
    s = settings_with(
        {
            "SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgres://frontline:pw@db.internal:5432/frontline",
            "REDIS_URL": "redis://cache.internal:6379/0",
            "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
            "OIDC_SERVER_URL": "https://idp.example.com",
            "OIDC_CLIENT_ID": "frontline",
            "OIDC_CLIENT_SECRET": "s3cret",
            "TRUSTED_PROXY_COUNT": "1",
            "TRUSTED_CLIENT_IP_HEADER": "X-Real-IP",
        },
        tmp_path,
    )
    assert (s["PROXIES"], s["CLIENT_IP_HEADER"]) == (1, "X-Real-IP")
    assert s["DB_ENGINE"] == "django.db.backends.postgresql"
    assert (s["DB_NAME"], s["DB_HOST"]) == ("frontline", "db.internal")
    assert s["BROKER"] == "redis://cache.internal:6379/0"
    assert s["CACHE"] == "frontline.cache.RedisCache"
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"], s["EMAIL_USE_TLS"]) == ("smtp.example.com", 587, True)
    assert [
        (a["provider_id"], a["client_id"], a["settings"]["server_url"]) for a in s["OIDC_APPS"]
    ] == [("company", "frontline", "https://idp.example.com")]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "perhaps"}, "perhaps"),
        ({"DATABASE_URL": "nosuchdb://x"}, "nosuchdb"),
    ],
)
def test_a_bad_value_fails_loudly(tmp_path, env, message):
    result = run(["manage.py", "check"], {"SECRET_KEY": "x" * 50, **env}, tmp_path)
    assert result.returncode != 0
    assert message in result.stderr


def test_eml_backend_writes_one_openable_file_per_message(tmp_path, settings):
    from email import message_from_bytes

    from django.core.mail import EmailMessage

    from frontline.mail import EmlFileBackend

    backend = EmlFileBackend(file_path=str(tmp_path / "mail"))
    sent = backend.send_messages(
        [
            EmailMessage("Hello", "Body one", "a@example.com", ["b@example.com"]),
            EmailMessage("Again", "Body two", "a@example.com", ["c@example.com"]),
        ]
    )
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert sent == 2
    assert len(files) == 2
    subjects = sorted(message_from_bytes(f.read_bytes())["Subject"] for f in files)
    assert subjects == ["Again", "Hello"]
