"""HTTP of the youth area's figures (``youth:stats``): child service instances by programme and month for a
period (and a grid), the area's dashboard figures above them, and the same rows as CSV or Excel
(``?format=csv`` / ``?format=xlsx``, through the platform's one export helper).

Who: community staff (every grid, or one), a grid worker (her grid only, as on the dashboard), and the
staff running youth activities (every grid: the figures are counts, no child is named).
"""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from portal.accounts.middleware import shows_personal_data
from portal.community.models import Grid
from portal.exports import csv_response, xlsx_response
from portal.reports.forms import PeriodForm
from portal.reports.views import dashboard_viewer

from .. import stats as youth_stats
from ..selectors import stats as selectors
from ..selectors.access import may_run_youth

#: The export formats a ``format`` parameter may ask for; anything else shows the page.
FORMATS = ("csv", "xlsx")


def may_see_youth_figures(user) -> bool:
    return bool(user.is_authenticated and (dashboard_viewer(user) or may_run_youth(user)))


def _fixed_grid(user) -> Grid | None:
    """A grid worker sees her grid's figures only (as on the dashboard)."""
    if user.is_community_staff or not (user.is_grid_worker and user.grid_id):
        return None
    return Grid.objects.get(pk=user.grid_id)


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last twelve months, this one included (within the dashboard form's longest period)."""
    index = today.year * 12 + today.month - 1 - 11
    return datetime.date(index // 12, index % 12 + 1, 1), today


def kind_label(kind: str) -> str:
    return {
        selectors.DAYCARE: _("Holiday day-care"),
        selectors.CLASS: _("Holiday class"),
        selectors.LECTURES: _("Parenting lectures"),
        selectors.OTHER: _("Other youth activity"),
    }[kind]


@login_required
@shows_personal_data
@require_http_methods(["GET"])
def stats_page(request):
    user = request.user
    if not may_see_youth_figures(user):
        raise PermissionDenied
    fixed = _fixed_grid(user)
    asked = {
        "start": request.GET.get("start", ""),
        "end": request.GET.get("end", ""),
        "grid": request.GET.get("grid", ""),
    }
    params = {k: v for k, v in asked.items() if v}
    if not params.get("start") and not params.get("end"):
        start, end = default_period(timezone.localdate())
        params.update(start=start.isoformat(), end=end.isoformat())
    form = PeriodForm(params, fixed_grid=fixed)
    figures, rows, start, end, grid = [], [], None, None, None
    if form.is_valid():
        start, end, grid = form.period
        rows = selectors.child_instances_by_programme_month(start=start, end=end, grid=grid)
        for row in rows:
            row["kind_label"] = kind_label(row["kind"])
            row["name"] = row["programme"] or row["kind_label"]
        fmt = request.GET.get("format", "")
        if fmt in FORMATS:
            return _export(fmt, rows, start=start, end=end, grid=grid)
        figures = youth_stats.figures(start=start, end=end, grid=grid)
    totals = {
        "children": sum(r["children"] for r in rows),
        "adults": sum(r["adults"] for r in rows),
    }
    query = urlencode({k: form.data[k] for k in ("start", "end", "grid") if form.data.get(k)})
    return render(
        request,
        "youth/stats/stats.html",
        {
            "form": form,
            "figures": figures,
            "rows": rows,
            "totals": totals,
            "start": start,
            "end": end,
            "grid": grid,
            "export_query": query if form.is_valid() else "",
        },
    )


def _export(fmt: str, rows: list[dict], *, start, end, grid):
    header = [
        pgettext("calendar", "Month"),
        pgettext("youth", "Kind"),
        pgettext("youth", "Programme"),
        _("Child service instances"),
        _("Attendance of parents and other adults"),
    ]
    lines = (
        [r["month"].strftime("%Y-%m"), r["kind_label"], r["name"], r["children"], r["adults"]] for r in rows
    )
    where = f" {grid.name}" if grid is not None else ""
    stem = _("Youth services %(start)s to %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
    stem += where
    ascii_stem = f"youth-services-{start:%Y%m%d}-{end:%Y%m%d}"
    if fmt == "csv":
        return csv_response(f"{stem}.csv", header, lines, ascii_filename=f"{ascii_stem}.csv")
    return xlsx_response(
        f"{stem}.xlsx", header, lines, ascii_filename=f"{ascii_stem}.xlsx", sheet_title=_("Youth services")
    )


urlpatterns = [
    path("stats/", stats_page, name="stats"),
]
