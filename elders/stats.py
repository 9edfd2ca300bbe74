"""Figures for the staff dashboard and the ledgers (see portal.reports.registry): each piece of the area
adds its own (``elders.selectors.<piece>.figures``), gathered here."""

from __future__ import annotations

import datetime

from portal.reports.registry import Figure


def figures(*, start: datetime.date, end: datetime.date, grid=None) -> list[Figure]:
    out: list[Figure] = []
    for piece in _pieces():
        out.extend(piece(start=start, end=end, grid=grid))
    return out


def _pieces():
    from .selectors import stats_health, stats_outreach, stats_partners

    return (stats_partners.figures, stats_health.figures, stats_outreach.figures)
