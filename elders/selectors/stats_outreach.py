"""Dashboard figures of the visit-and-call roster: contacts made in the period (visits, calls, reached),
elders overdue now, needs raised and closed in the period. Aggregate queries only (two), with a grid:
only that grid's elders."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.reports.registry import Figure

from ..models import ContactLog, ContactMethod, ContactPlan, Need, NeedStatus


def _bounds(start: datetime.date, end: datetime.date):
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )


def _grid_q(grid) -> Q:
    return Q(elder__household__building__grid=grid) if grid is not None else Q()


def figures(*, start: datetime.date, end: datetime.date, grid=None) -> list[Figure]:
    lo, hi = _bounds(start, end)
    today = timezone.localdate()
    logs = ContactLog.objects.filter(_grid_q(grid), contacted_at__gte=lo, contacted_at__lt=hi).aggregate(
        contacts=Count("pk"),
        visits=Count("pk", filter=Q(method=ContactMethod.VISIT)),
        calls=Count("pk", filter=Q(method=ContactMethod.CALL)),
        reached=Count("pk", filter=Q(reached=True)),
    )
    overdue = ContactPlan.objects.filter(_grid_q(grid), is_active=True, due_on__lt=today).count()
    needs = Need.objects.filter(_grid_q(grid)).aggregate(
        raised=Count("pk", filter=Q(created_at__gte=lo, created_at__lt=hi)),
        closed=Count("pk", filter=Q(status=NeedStatus.CLOSED, closed_at__gte=lo, closed_at__lt=hi)),
    )
    area, area_label = "elders", _("Elders")
    rows = [
        ("outreach_contacts", _("Visits and calls made"), logs["contacts"], _("contacts")),
        ("outreach_visits", _("Home visits"), logs["visits"], _("visits")),
        ("outreach_calls", _("Phone calls"), logs["calls"], _("calls")),
        ("outreach_reached", _("Contacts that reached the elder"), logs["reached"], _("contacts")),
        ("outreach_overdue", _("Elders overdue for a contact (now)"), overdue, _("elders")),
        ("outreach_needs_raised", _("Needs raised"), needs["raised"], _("needs")),
        ("outreach_needs_closed", _("Needs handled and closed"), needs["closed"], _("needs")),
    ]
    return [
        Figure(
            key=f"elders.{key}",
            label=label,
            value=value,
            unit=unit,
            area=area,
            area_label=area_label,
            order=300 + i,
        )
        for i, (key, label, value, unit) in enumerate(rows)
    ]
