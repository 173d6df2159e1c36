"""No log line carries a calendar feed's secret: the web process as the Procfile starts
it (gunicorn, its access log and Django's own warnings) writes ``/calendar/[secret].ics``."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import Request, urlopen

from frontline.logs import redact
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_redact_hides_the_secret_and_keeps_the_rest():
    line = 'GET /calendar/AbC_12-x.ics?x=1 HTTP/1.1" 200 "https://h/calendar/AbC_12-x.ics"'
    assert (
        redact(line)
        == 'GET /calendar/[secret].ics?x=1 HTTP/1.1" 200 "https://h/calendar/[secret].ics"'
    )
    assert redact("GET /schedule/ HTTP/1.1") == "GET /schedule/ HTTP/1.1"


def web_command(port: int) -> list[str]:
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    command = line.removeprefix("web:").strip()
    command = command.replace("${PORT:-8000}", str(port)).replace("${WEB_CONCURRENCY:-2}", "1")
    command = command.replace('"${FORWARDED_ALLOW_IPS:-127.0.0.1}"', "127.0.0.1")
    args = shlex.split(command)
    assert args[0] == "gunicorn"
    return [sys.executable, "-m", "gunicorn", *args[1:]]


def test_the_web_process_logs_no_feed_secret(tmp_path):
    secret = "Zq7-secret-feed-token_0123456789abcdef"
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "true",
        "FRONTLINE_VAR_DIR": str(tmp_path),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        web = subprocess.Popen(web_command(port), cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urlopen(f"http://127.0.0.1:{port}/livez", timeout=2).read()
                    break
                except OSError:
                    assert web.poll() is None, err.read_text()
                    assert time.monotonic() < deadline, err.read_text()
                    time.sleep(0.2)
            request = Request(
                f"http://127.0.0.1:{port}/calendar/{secret}.ics",
                headers={"Referer": f"http://127.0.0.1:{port}/calendar/{secret}.ics"},
            )
            try:
                urlopen(request, timeout=10).read()
            except OSError:
                pass  # an unknown token, or no tables in this empty database: logged either way
            time.sleep(0.5)
        finally:
            web.terminate()
            web.wait(timeout=10)
    logs = out.read_text() + err.read_text()
    assert "/calendar/[secret].ics" in logs  # the request was logged...
    assert secret not in logs  # ...without its secret


def test_gunicorns_error_log_is_redacted_too(tmp_path):
    from gunicorn.config import Config

    from frontline.logs import GunicornLogger

    cfg = Config()
    cfg.set("errorlog", str(tmp_path / "error.log"))
    logger = GunicornLogger(cfg)
    try:
        raise RuntimeError("while reading /calendar/Zq7-secret.ics")
    except RuntimeError:
        logger.exception("Error handling request /calendar/%s.ics", "Zq7-secret")
    for handler in logger.error_log.handlers:
        handler.flush()
    text = (tmp_path / "error.log").read_text()
    assert "Error handling request /calendar/[secret].ics" in text
    assert "Zq7-secret" not in text  # the traceback's line as well
