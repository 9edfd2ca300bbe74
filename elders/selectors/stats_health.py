"""Dashboard figures of the health station. Aggregate queries only (three, whatever the number of rows).

* clinic person-visits: distinct (elder, clinic session) pairs with readings taken in the period (each such
  visit is also the elder's check-in at the session: one person-visit however many readings);
* clinics held: distinct sessions with readings in the period;
* readings recorded, of which abnormal and urgent (flagged at entry);
* follow-ups created in the period, of those still to do, and follow-ups closed in the period.
"""

from __future__ import annotations

import datetime

from django.db.models import CharField, Count, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.reports.registry import Figure

from ..models import FlagLevel, FollowUp, FollowUpStatus, Reading


def _bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )


def figures(*, start: datetime.date, end: datetime.date, grid=None) -> list[Figure]:
    since, until = _bounds(start, end)
    readings = Reading.objects.filter(taken_at__gte=since, taken_at__lt=until)
    followups = FollowUp.objects.all()
    if grid is not None:
        readings = readings.filter(elder__household__building__grid=grid)
        followups = followups.filter(elder__household__building__grid=grid)
    visit_key = Concat("elder_id", Value(":"), "session_id", output_field=CharField())
    r = readings.aggregate(
        visits=Count(visit_key, filter=Q(session__isnull=False), distinct=True),
        clinics=Count("session", distinct=True),
        total=Count("pk"),
        abnormal=Count("pk", filter=Q(level=FlagLevel.ABNORMAL)),
        urgent=Count("pk", filter=Q(level=FlagLevel.URGENT)),
    )
    created = Q(created_at__gte=since, created_at__lt=until)
    f = followups.aggregate(
        created=Count("pk", filter=created),
        still_open=Count("pk", filter=created & Q(status=FollowUpStatus.OPEN)),
        closed=Count("pk", filter=Q(status=FollowUpStatus.CLOSED, closed_at__gte=since, closed_at__lt=until)),
    )
    area, label = "elders", _("Elders")
    visits, times = _("person-visits"), _("readings")
    return [
        Figure(
            "elders.clinic_visits", _("Health station: clinic visits"), r["visits"], visits, area, label, 40
        ),
        Figure(
            "elders.clinics_held",
            _("Health station: clinics with readings"),
            r["clinics"],
            _("clinics"),
            area,
            label,
            41,
        ),
        Figure("elders.readings", _("Health readings recorded"), r["total"], times, area, label, 42),
        Figure(
            "elders.readings_abnormal", _("Readings flagged abnormal"), r["abnormal"], times, area, label, 43
        ),
        Figure("elders.readings_urgent", _("Readings flagged urgent"), r["urgent"], times, area, label, 44),
        Figure(
            "elders.followups_created",
            _("Health follow-ups created"),
            f["created"],
            _("follow-ups"),
            area,
            label,
            45,
        ),
        Figure(
            "elders.followups_open",
            _("Of those, still to do"),
            f["still_open"],
            _("follow-ups"),
            area,
            label,
            46,
        ),
        Figure(
            "elders.followups_closed",
            _("Health follow-ups closed"),
            f["closed"],
            _("follow-ups"),
            area,
            label,
            47,
        ),
    ]
