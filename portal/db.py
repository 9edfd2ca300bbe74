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


def select_list(model, alias: str) -> str:
    """``alias.col1, alias.col2, ...``: every concrete column of ``model``, in ``concrete_fields`` order."""
    qn = connection.ops.quote_name
    return ", ".join(f"{alias}.{qn(f.column)}" for f in model._meta.concrete_fields)


@functools.lru_cache(maxsize=64)
def _converters(model, vendor: str):
    fields = model._meta.concrete_fields
    out = []
    for field in fields:
        col = field.get_col(model._meta.db_table)
        out.append((col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)))
    return [f.attname for f in fields], out


def instances_from_row(row: Sequence, *models) -> list:
    """One instance of each of ``models`` from ``row``, which holds each model's ``select_list`` one
    after the other, as loaded from the database (``Model.from_db``)."""
    found, start = [], 0
    for model in models:
        names, converters = _converters(model, connection.vendor)
        values = []
        for value, (col, funcs) in zip(row[start : start + len(names)], converters, strict=True):
            for func in funcs:
                value = func(value, col, connection)
            values.append(value)
        found.append(model.from_db(connection.alias, names, values))
        start += len(names)
    return found
