"""Every CSV file the app writes, through one writer whose cells a spreadsheet will not run.

A spreadsheet takes a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or a
carriage return before one) for a formula, and runs it when the file is opened: a queue,
a tag or a person named ``=HYPERLINK(…)`` would. Such a cell is written with a leading
apostrophe, which spreadsheets show as text. Exports are private: never stored by a cache.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.cache import add_never_cache_headers

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class CsvWriter:
    """``csv.writer``, with every cell made safe (``safe_cell``)."""

    def __init__(self, out) -> None:
        self._writer = csv.writer(out)

    def writerow(self, values: Iterable[object]):
        return self._writer.writerow([safe_cell(value) for value in values])


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str) -> tuple[HttpResponse, CsvWriter]:
    """A CSV download and the writer that fills it."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    _private_download(response, filename)
    return response, CsvWriter(response)


def streamed_csv(rows: Iterable[Iterable[object]], filename: str) -> StreamingHttpResponse:
    """A CSV download written row by row as it is sent (an export of any size)."""
    writer = CsvWriter(_Echo())

    def lines() -> Iterator[str]:
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    _private_download(response, filename)
    return response


def _private_download(response: HttpResponse | StreamingHttpResponse, filename: str) -> None:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)  # Cache-Control: max-age=0, no-cache, no-store, …
