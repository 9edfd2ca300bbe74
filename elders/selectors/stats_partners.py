"""Dashboard figures of the 'partners' piece: elders served and person-times (人次) of deliveries in the
period, by service and by organisation, and for each organisation the elders it served
(``elders.served_by_org.<organisation pk>``: "南通申丞小海护理院服务的老人").

With a grid, only deliveries to residents of that grid count. Three aggregate queries whatever the number
of rows.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from elders.models import Delivery
from elders.services.partners import day_range
from portal.reports.registry import Figure

AREA = "elders"


def _deliveries(start: datetime.date, end: datetime.date, grid):
    lo, hi = day_range(start, end)
    qs = Delivery.objects.filter(delivered_at__gte=lo, delivered_at__lt=hi)
    if grid is not None:
        qs = qs.filter(Q(elder__household__building__grid=grid))
    return qs


def figures(*, start: datetime.date, end: datetime.date, grid=None) -> list[Figure]:
    area_label = _("Elders")
    qs = _deliveries(start, end, grid)
    totals = qs.aggregate(elders=Count("elder", distinct=True), times=Count("id"))
    out = [
        Figure(
            key="elders.served",
            label=_("Elders served by partner organisations"),
            value=totals["elders"] or 0,
            unit=_("persons"),
            area=AREA,
            area_label=area_label,
            order=10,
        ),
        Figure(
            key="elders.deliveries",
            label=_("Services delivered to elders"),
            value=totals["times"] or 0,
            unit=_("person-times"),
            area=AREA,
            area_label=area_label,
            order=11,
        ),
    ]
    by_org = (
        qs.values("organization_id", "organization__name")
        .annotate(elders=Count("elder", distinct=True), times=Count("id"))
        .order_by("organization__name")
    )
    for n, row in enumerate(by_org):
        name = row["organization__name"]
        out.append(
            Figure(
                key=f"elders.served_by_org.{row['organization_id']}",
                label=_("Elders served by %(organization)s") % {"organization": name},
                value=row["elders"],
                unit=_("persons"),
                area=AREA,
                area_label=area_label,
                order=20 + 2 * n,
            )
        )
        out.append(
            Figure(
                key=f"elders.deliveries_by_org.{row['organization_id']}",
                label=_("Services delivered by %(organization)s") % {"organization": name},
                value=row["times"],
                unit=_("person-times"),
                area=AREA,
                area_label=area_label,
                order=21 + 2 * n,
            )
        )
    by_service = (
        qs.values("service__code", "service__name", "service__order")
        .annotate(times=Count("id"))
        .order_by("service__order", "service__name")
    )
    for n, row in enumerate(by_service):
        out.append(
            Figure(
                key=f"elders.deliveries_by_service.{row['service__code']}",
                label=_("%(service)s delivered") % {"service": row["service__name"]},
                value=row["times"],
                unit=_("person-times"),
                area=AREA,
                area_label=area_label,
                order=60 + n,
            )
        )
    return out
