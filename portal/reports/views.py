"""The staff dashboard: figures of every app (``registry``) for a period, grouped by service area."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from portal.community.models import Grid

from . import registry
from .forms import PeriodForm, this_month


def dashboard_viewer(user) -> bool:
    """Community staff (everything) and grid workers with a grid (their grid's figures only)."""
    return user.is_community_staff or (user.is_grid_worker and user.grid_id is not None)


def dashboard_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not dashboard_viewer(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _fixed_grid(user) -> Grid | None:
    return None if user.is_community_staff else Grid.objects.get(pk=user.grid_id)


@dashboard_required
def dashboard(request):
    form = PeriodForm(request.GET or None, fixed_grid=_fixed_grid(request.user))
    if not request.GET:
        # bound to this month, every grid (the fields show the period they are for)
        start, end = this_month()
        form = PeriodForm({"start": start.isoformat(), "end": end.isoformat()}, fixed_grid=form.fixed_grid)
    groups = []
    start = end = grid = None
    if form.is_valid():
        start, end, grid = form.period
        groups = registry.grouped_by_area(registry.figures_for(start=start, end=end, grid=grid))
    return render(
        request,
        "reports/dashboard.html",
        {"form": form, "groups": groups, "start": start, "end": end, "grid": grid},
    )
