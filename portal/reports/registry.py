"""Which apps feed the staff dashboard, found the way the admin finds ``admin.py``.

The protocol
------------
An installed app that has figures for the dashboard and the ledgers (台账) puts a ``stats.py`` module next
to its ``models.py`` with one function::

    def figures(*, start: datetime.date, end: datetime.date, grid=None) -> list[Figure]: ...

* ``start`` and ``end`` are local dates, both included (the period the figures are for), within
  ``portal.fields.MIN_DATE``..``MAX_DATE`` (the dashboard's form refuses others), so ``end`` plus a day
  never overflows;
* ``grid`` is a ``portal.community.Grid`` or ``None``; with a grid, the figures count only what concerns
  the residents of that grid (a grid worker sees her grid's figures only);
* it returns ``Figure``s (below): aggregate queries only, a constant number of them whatever the
  number of rows (no Python loops over rows).

``portal`` imports no service area and not ``events``: the modules are found by name
(``<app>.stats``), so a new area appears on the dashboard by adding its ``stats.py``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule

from portal.fields import MAX_DATE, MIN_DATE

MODULE_NAME = "stats"


@dataclass(frozen=True)
class Figure:
    """One number on the dashboard.

    ``key``: stable identifier (``"events.attendance"``), for tests and exports;
    ``label`` and ``unit``: translated text (``"Attendance"``, ``"person-times"``);
    ``area``: the service area's code (``"elders"``; ``""`` for the whole community), ``area_label`` its
    translated name; ``order``: where the figure stands within its area (lower first)."""

    key: str
    label: str
    value: int | Decimal
    unit: str = ""
    area: str = ""
    area_label: str = ""
    order: int = 0


FiguresFn = Callable[..., list[Figure]]

_providers: dict[str, FiguresFn] | None = None


def discover(*, refresh: bool = False) -> dict[str, FiguresFn]:
    """``{app label: figures function}`` of every installed app whose ``stats`` module has ``figures``."""
    global _providers
    if _providers is not None and not refresh:
        return _providers
    found: dict[str, FiguresFn] = {}
    for config in apps.get_app_configs():
        if config.name == __package__ or not module_has_submodule(config.module, MODULE_NAME):
            continue
        module = import_module(f"{config.name}.{MODULE_NAME}")
        fn = getattr(module, "figures", None)
        if callable(fn):
            found[config.label] = fn
    _providers = found
    return found


def figures_for(*, start: datetime.date, end: datetime.date, grid=None) -> list[Figure]:
    """Every provider's figures for the period (and grid), in app order."""
    if not (MIN_DATE <= start <= MAX_DATE and MIN_DATE <= end <= MAX_DATE):
        raise ValueError(
            f"period {start}..{end} outside {MIN_DATE}..{MAX_DATE}: validate it with a form first"
        )
    out: list[Figure] = []
    for fn in discover().values():
        out.extend(fn(start=start, end=end, grid=grid))
    return out


@dataclass
class AreaFigures:
    area: str
    label: str
    figures: list[Figure]


def grouped_by_area(figures: list[Figure]) -> list[AreaFigures]:
    """The figures grouped by area: the whole community (``area == ""``) first, then areas in the order
    they first appear; within an area by ``order``."""
    groups: dict[str, AreaFigures] = {}
    for fig in figures:
        group = groups.setdefault(fig.area, AreaFigures(area=fig.area, label=fig.area_label, figures=[]))
        group.figures.append(fig)
    ordered = sorted(groups.values(), key=lambda g: g.area != "")
    for group in ordered:
        group.figures.sort(key=lambda f: f.order)
    return ordered
