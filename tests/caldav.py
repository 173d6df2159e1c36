"""A real CalDAV server for tests: Radicale in its own process, on a free loopback port.

Radicale runs with ``auth type = none`` (any user name and password are accepted) and
its default ``owner_only`` rights, so every request is sent as one user whose principal
collection Radicale creates on first contact. Storage lives in a temporary folder that
``stop()`` removes. Only the standard library is used for HTTP.
"""

from __future__ import annotations

import base64
import http.client
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote
from xml.etree import ElementTree

MKCALENDAR_BODY = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set>
    <D:prop>
      <D:displayname>{name}</D:displayname>
      <C:supported-calendar-component-set>
        <C:comp name="VEVENT"/>
      </C:supported-calendar-component-set>
    </D:prop>
  </D:set>
</C:mkcalendar>
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class CalDavError(AssertionError):
    pass


class RadicaleServer:
    """``python -m radicale`` with a throw-away storage folder.

    >>> server = RadicaleServer().start()
    >>> server.make_calendar("shifts")
    >>> server.put("shifts", "a.ics", ics_bytes).status   # 201 (created) or 204
    >>> server.get("shifts", "a.ics").body
    >>> server.stop()
    """

    host = "127.0.0.1"

    def __init__(self, *, user: str = "frontline") -> None:
        self.user = user
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="radicale-test-"))
        self.process: subprocess.Popen | None = None
        self._log = self.folder / "radicale.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def log(self) -> str:
        try:
            return self._log.read_text(errors="replace")
        except OSError:
            return ""

    def start(self, *, timeout: float = 15.0) -> RadicaleServer:
        config = self.folder / "config"
        config.write_text(
            "[server]\n"
            f"hosts = {self.host}:{self.port}\n"
            "[auth]\n"
            "type = none\n"
            "[rights]\n"
            "type = owner_only\n"
            "[storage]\n"
            f"filesystem_folder = {self.folder / 'collections'}\n"
            "[web]\n"
            "type = none\n"
            "[logging]\n"
            "level = warning\n"
        )
        with self._log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                log_text = self.log
                self.stop()
                raise CalDavError(
                    f"Radicale exited while starting (code {self.process.returncode}):\n{log_text}"
                )
            try:
                # Any HTTP answer means it is listening; OPTIONS is cheap and authless.
                if self.request("OPTIONS", "/").status < 500:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                log_text = self.log
                self.stop()
                raise CalDavError(f"Radicale did not answer within {timeout}s:\n{log_text}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> RadicaleServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- HTTP -------------------------------------------------------------------------

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Response:
        credentials = base64.b64encode(f"{self.user}:unused".encode()).decode()
        all_headers = {"Authorization": f"Basic {credentials}", **(headers or {})}
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            answer = connection.getresponse()
            return Response(
                answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
            )
        finally:
            connection.close()

    def collection_path(self, calendar: str) -> str:
        return f"/{quote(self.user)}/{quote(calendar)}/"

    def item_path(self, calendar: str, name: str) -> str:
        return self.collection_path(calendar) + quote(name)

    def make_calendar(self, calendar: str, *, display_name: str = "") -> Response:
        """MKCALENDAR (RFC 4791 §5.3.1) a VEVENT calendar; raises unless 201 Created."""
        body = MKCALENDAR_BODY.format(name=display_name or calendar).encode()
        response = self.request(
            "MKCALENDAR",
            self.collection_path(calendar),
            body,
            {"Content-Type": "application/xml; charset=utf-8"},
        )
        if response.status != 201:
            raise CalDavError(
                f"MKCALENDAR {calendar} answered {response.status}: "
                f"{response.body.decode(errors='replace')}\n{self.log}"
            )
        return response

    def put(self, calendar: str, name: str, ics: bytes) -> Response:
        """PUT a calendar object resource; the response is returned as is (not checked)."""
        return self.request(
            "PUT",
            self.item_path(calendar, name),
            ics,
            {"Content-Type": "text/calendar; charset=utf-8"},
        )

    def get(self, calendar: str, name: str) -> Response:
        return self.request("GET", self.item_path(calendar, name))

    def events_between(self, calendar: str, start: datetime, end: datetime) -> list[str]:
        """The names of the objects with a VEVENT (or an occurrence) overlapping [start, end).

        A CalDAV calendar-query REPORT with a time-range filter (RFC 4791 §7.8.1, §9.9):
        the server expands recurrences and time zones itself, so this is an independent
        opinion on when an event happens.
        """
        body = CALENDAR_QUERY_BODY.format(start=_utc(start), end=_utc(end)).encode()
        response = self.request(
            "REPORT",
            self.collection_path(calendar),
            body,
            {"Content-Type": "application/xml; charset=utf-8", "Depth": "1"},
        )
        if response.status != 207:
            raise CalDavError(
                f"REPORT on {calendar} answered {response.status}: "
                f"{response.body.decode(errors='replace')}\n{self.log}"
            )
        tree = ElementTree.fromstring(response.body)
        hrefs = [element.text or "" for element in tree.iter("{DAV:}href")]
        return sorted(unquote(href.rsplit("/", 1)[-1]) for href in hrefs if href)


CALENDAR_QUERY_BODY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter>
    <C:comp-filter name="VCALENDAR">
      <C:comp-filter name="VEVENT">
        <C:time-range start="{start}" end="{end}"/>
      </C:comp-filter>
    </C:comp-filter>
  </C:filter>
</C:calendar-query>
"""


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("time-range bounds must be aware datetimes")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def without_method(ics: bytes) -> bytes:
    """The calendar as a CalDAV calendar object resource: RFC 4791 §4.1 forbids METHOD."""
    lines = ics.split(b"\r\n")
    return b"\r\n".join(line for line in lines if not line.upper().startswith(b"METHOD:"))
