"""What the benchmarks share: their own PostgreSQL database and Redis db, the app under
gunicorn, and wrk as the load generator. Everything runs on this machine's loopback."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list[str] | str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=False, capture_output=True, text=True, **kw)


def ensure_services() -> None:
    """Start the machine's PostgreSQL and Redis if they are down (as .ci/run does)."""
    if _run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode != 0:
        versions = os.listdir("/etc/postgresql")
        _run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[0], "main", "start"])
    if _run(["redis-cli", "-h", "127.0.0.1", "ping"]).returncode != 0:
        _run(
            "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
            shell=True,
        )
    for _ in range(30):
        if _run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode == 0:
            return
        time.sleep(1)
    raise SystemExit("PostgreSQL is not reachable on 127.0.0.1:5432")


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    log("installing wrk from Debian's packages")
    _run(["apt-get", "update", "-qq"])
    _run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return path


@contextmanager
def bench_environment(name: str, redis_db: int = 9):
    """A fresh database and Redis db, and the environment variables that point at them."""
    ensure_services()
    db = f"frontline_bench_{name}"
    psql = ["psql", PG_ADMIN_URL, "-q", "-v", "ON_ERROR_STOP=1", "-c"]
    _run(psql + [f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'])
    created = _run(psql + [f'CREATE DATABASE "{db}"'])
    if created.returncode != 0:
        raise SystemExit(created.stderr)
    redis_url = f"{REDIS_BASE}/{redis_db}"
    _run(["redis-cli", "-u", redis_url, "flushdb"])
    var = Path(tempfile.mkdtemp(prefix=f"frontline-bench-{name}-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "frontline.settings",
        "DATABASE_URL": PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{db}",
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "FRONTLINE_VAR_DIR": str(var),
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "smtp://127.0.0.1:9",
    }
    try:
        yield env
    finally:
        _run(psql + [f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'])
        _run(["redis-cli", "-u", redis_url, "flushdb"])
        shutil.rmtree(var, ignore_errors=True)


def manage(env: dict, *args: str) -> str:
    result = _run([sys.executable, "manage.py", *args], cwd=ROOT, env=env)
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    return result.stdout


@contextmanager
def gunicorn(env: dict, *, workers: int):
    # As a deployment does: pages name their hashed static files from the manifest.
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    port = free_port()
    # Logs go to a file: a pipe nobody reads fills up, and then every worker blocks
    # writing its next warning (a refused booking is one).
    log_path = Path(env["FRONTLINE_VAR_DIR"]) / "gunicorn.log"
    log_file = open(log_path, "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "frontline.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log_file,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/livez", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start: " + log_path.read_text())
        yield base
    finally:
        # A sync worker notices the stop only when its accept wait times out (up to
        # half gunicorn's timeout): allow for it, and never leave a server behind.
        proc.terminate()
        try:
            proc.wait(45)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log_file.close()


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int = 2,
    headers: dict | None = None,
    script: str | None = None,
    script_args: list[str] | None = None,
) -> dict:
    args = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    if script:
        args += ["-s", script]
    out = _run(args + [url] + (["--", *script_args] if script_args else [])).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    if not rps:
        raise SystemExit("wrk printed no figures:\n" + out)
    return {
        "rps": float(rps.group(1)),
        "requests": int(total.group(1)) if total else 0,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "output": out,
    }
