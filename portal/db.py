"""Model instances from a row of SQL written once: for the few reads every request of a hot path runs.

Building a query through the ORM costs several times what running a short one does (issue 13: about
0.8 ms against 0.1 on these machines). Where one read sits on a path that must be cheap (the booking
POST), its SQL is written once per process from the models' own table and column names (every value a
parameter), and the row it returns is turned into the models' instances here, with the same conversions
the ORM applies to each column (``from_db_value``, and the database backend's own: SQLite's booleans and
datetimes). Each such read has a test holding it to the ORM query it replaces.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db import connection


def concrete_fields(model, names=None) -> list:
    """``model``'s concrete fields, or those of them named in ``names`` (field names or attnames), in the
    model's own order: the order ``Model.from_db`` takes a subset of columns in."""
    if names is None:
        return list(model._meta.concrete_fields)
    wanted = set(names)
    return [f for f in model._meta.concrete_fields if f.name in wanted or f.attname in wanted]


def select_list(model, alias: str, names=None) -> str:
    """``alias.col1, alias.col2, ...``: every concrete column of ``model`` (or those of ``names``), in
    ``concrete_fields`` order."""
    qn = connection.ops.quote_name
    return ", ".join(f"{alias}.{qn(f.column)}" for f in concrete_fields(model, names))


@functools.lru_cache(maxsize=256)
def field_converters(vendor: str, fields: tuple) -> tuple:
    """The conversions the ORM applies to each of ``fields`` (``(model, field name)`` pairs) as it is
    loaded: ``(column, functions)`` for each, for :func:`converted`."""
    out = []
    for model, name in fields:
        col = model._meta.get_field(name).get_col(model._meta.db_table)
        out.append((col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)))
    return tuple(out)


def converted(values: Sequence, converters: Sequence) -> list:
    """``values`` as the ORM would load them, each through its :func:`field_converters` entry."""
    out = []
    for value, (col, funcs) in zip(values, converters, strict=True):
        for func in funcs:
            value = func(value, col, connection)
        out.append(value)
    return out


@functools.lru_cache(maxsize=128)
def _converters(model, vendor: str, names: tuple | None):
    fields = concrete_fields(model, names)
    return [f.attname for f in fields], field_converters(vendor, tuple((model, f.name) for f in fields))


def instances_from_row(row: Sequence, *models, start: int = 0) -> list:
    """One instance of each of ``models`` from ``row`` (from column ``start``), which holds each model's
    ``select_list`` one after the other, as loaded from the database (``Model.from_db``). An item of
    ``models`` is a model (every column) or ``(model, names)`` (only those columns: the others are
    deferred, loaded if asked for)."""
    found = []
    for spec in models:
        model, names = spec if isinstance(spec, tuple) else (spec, None)
        attnames, converters = _converters(model, connection.vendor, tuple(names) if names else None)
        values = converted(row[start : start + len(attnames)], converters)
        found.append(model.from_db(connection.alias, attnames, values))
        start += len(attnames)
    return found
