"""Hand-written statements for the hottest path, still speaking in model instances.

On this stack the ORM spends about 0.7 ms of CPU compiling a query and building its
results, against about 0.2 ms for running the statement itself. A booking makes seven
statements, so on the booking path the compiling was most of the request. The statements
there are written out instead, with these helpers so that they still read and write
model instances exactly as the ORM would on every backend:

* ``Columns`` puts a model's columns in a SELECT and builds the instance back from the
  row, with the backend's own converters (SQLite returns dates as text, for example);
* ``insert`` writes new instances with their fields' own preparation (``auto_now_add``,
  defaults, the backend's date and UUID formats) and sets their ids;
* ``param`` turns a value into a statement parameter the way the field's lookups do, and
  ``storable_id`` says whether a number could be an id at all.

``insert`` sends no ``pre_save``/``post_save``, so it refuses a model that has receivers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from django.db import connection
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save
from django.utils.functional import cached_property

M = TypeVar("M", bound=Model)


def concrete_field(model: type[Model], name: str) -> Field:
    """The model's field called ``name``: a column of its own table, not a reverse relation."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise LookupError(f"{model.__name__}.{name} is not a column of its table")
    return field


def db_table(model: type[Model]) -> str:
    return str(model._meta.db_table)


class Columns(Generic[M]):
    """Some or all of a model's columns, selected under a table alias."""

    def __init__(self, model: type[M], alias: str, fields: Sequence[str] | None = None):
        opts = model._meta
        self.model = model
        self.fields: list[Field] = (
            [concrete_field(model, name) for name in fields]
            if fields is not None
            else list(opts.concrete_fields)
        )
        self.attnames = [field.attname for field in self.fields]
        self.alias = alias
        self._converters: dict[str, list] = {}

    @cached_property
    def sql(self) -> str:
        """The select list: ``alias."column", …``."""
        quote = connection.ops.quote_name
        return ", ".join(f"{self.alias}.{quote(str(field.column))}" for field in self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def values(self, row: Sequence, start: int = 0) -> list:
        """The columns' values from ``row`` (from ``start``), as Python values."""
        values = list(row[start : start + len(self.fields)])
        for index, converters, column in self._converters_for_backend():
            value = values[index]
            for convert in converters:
                value = convert(value, column, connection)
            values[index] = value
        return values

    def build(self, row: Sequence, start: int = 0) -> M:
        """The model instance, as the ORM would have built it from the same row."""
        return self.model.from_db(connection.alias, self.attnames, self.values(row, start))

    def _converters_for_backend(self) -> list:
        found = self._converters.get(connection.vendor)
        if found is None:
            found = []
            for index, field in enumerate(self.fields):
                column = field.get_col(db_table(field.model))
                converters = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if converters:
                    found.append((index, converters, column))
            self._converters[connection.vendor] = found
        return found


def storable_id(model: type[Model], pk) -> bool:
    """Whether ``pk`` could be one of this model's ids. The ORM answers "no such row" for
    any other number; a written-out statement on SQLite would raise on it instead."""
    low, high = connection.ops.integer_field_range(model._meta.pk.get_internal_type())
    return isinstance(pk, int) and low <= pk <= high


def param(model: type[Model], field_name: str, value):
    """``value`` as a statement parameter for this field, in the backend's format."""
    return concrete_field(model, field_name).get_db_prep_value(value, connection)


def insert(objs: Sequence[Model]) -> None:
    """Insert new instances of one model in one statement and set their ids."""
    if not objs:
        return
    model = type(objs[0])
    opts = model._meta
    fields = [field for field in opts.local_concrete_fields if field is not opts.auto_field]
    if any(obj.pk is not None for obj in objs) or any(
        f.generated or f.has_db_default() for f in fields
    ):
        raise ValueError("insert() writes new rows whose every value Python sets.")
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        # The ORM's save() would tell them; insert() would silently not.
        raise ValueError(f"{model.__name__} has save signal receivers: save it with the ORM.")
    quote = connection.ops.quote_name
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(db_table(model))} ({', '.join(quote(str(f.column)) for f in fields)})"
        " VALUES "
    )
    rows = [
        [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            cursor.execute(
                sql + ", ".join([one_row] * len(objs)) + f" RETURNING {quote(str(opts.pk.column))}",
                [value for row in rows for value in row],
            )
            # Rows come back in the order they were given, as Django's bulk_create
            # relies on for both PostgreSQL and SQLite.
            ids = [row[0] for row in cursor.fetchall()]
        else:  # SQLite before 3.35: no RETURNING, one row at a time
            ids = []
            for row in rows:
                cursor.execute(sql + one_row, row)
                ids.append(
                    connection.ops.last_insert_id(cursor, db_table(model), str(opts.pk.column))
                )
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
