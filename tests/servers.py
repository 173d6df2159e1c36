"""Real servers for tests: an SMTP server (aiosmtpd) and a Celery worker process."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes = b""


@dataclass
class SmtpHandler:
    received: list[Received] = field(default_factory=list)
    # While set, every message is refused with a temporary failure (a mail server that
    # is up but not accepting), so senders must retry.
    refusing: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    # ``hold_next()`` makes the next message wait in DATA, unanswered, until ``release``
    # is set: the moment to kill a sender. With ``accept=True`` the server has already
    # taken the message when it stalls (the one window an outbox cannot close).
    _hold: bool = False
    _accept_held: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def hold_next(self, *, accept: bool) -> None:
        self.holding.clear()
        self.release.clear()
        self._accept_held = accept
        self._hold = True

    async def handle_DATA(self, server, session, envelope):
        if self.refusing:
            return "451 4.3.0 Try again later"
        held, self._hold = self._hold, False
        if not held or self._accept_held:
            self._record(envelope)
        if held:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 120)
            if not self._accept_held:
                return "421 4.3.0 Closing, message not taken"
        return "250 Message accepted for delivery"

    def _record(self, envelope) -> None:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(
                Received(
                    envelope.mail_from, list(envelope.rcpt_tos), message, envelope.original_content
                )
            )


class SmtpServer:
    def __init__(self) -> None:
        self.handler = SmtpHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= count:
                return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s), received {len(self.received)}")


def database_url() -> str:
    """The URL of the database the tests are using right now (the test database)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] or ""
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    host = s["HOST"] or "127.0.0.1"
    port = s["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{s['NAME']}"


class CeleryWorker:
    """``celery worker`` in its own process, on the broker the settings name."""

    def __init__(
        self, *, env: dict[str, str] | None = None, concurrency: int = 1, beat_schedule: str = ""
    ) -> None:
        self.env = {**os.environ, "DATABASE_URL": database_url(), **(env or {})}
        self.concurrency = concurrency
        # A schedule file path: run beat inside the worker (-B), as a one-process deployment.
        self.beat_schedule = beat_schedule
        self.process: subprocess.Popen | None = None
        self.output: list[str] = []
        self._ready = threading.Event()

    def start(self, *, purge: bool = True, timeout: float = 60.0) -> CeleryWorker:
        args = [
            sys.executable,
            "-m",
            "celery",
            "--app",
            "frontline",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(self.concurrency),
            "--without-mingle",
            "--without-gossip",
            "--hostname",
            f"test-{os.getpid()}@%h",
        ]
        if purge:
            args.append("--purge")
        if self.beat_schedule:
            args += ["--beat", "--schedule", self.beat_schedule]
        self._ready.clear()
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        reader = threading.Thread(target=self._read, args=(self.process,), daemon=True)
        reader.start()
        # A worker that dies while starting (a settings or import error) fails the test at
        # once with its output, instead of after the whole timeout.
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                reader.join(5)
                raise AssertionError(
                    f"the Celery worker did not start (exit code {self.process.returncode}):\n"
                    + self.log
                )
        return self

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.output.append(line)
            if " ready." in line:
                self._ready.set()

    @property
    def log(self) -> str:
        return "".join(self.output)

    def kill(self) -> None:
        """SIGKILL the worker and all its pool processes, as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
