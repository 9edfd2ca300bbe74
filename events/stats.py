"""The registration engine's figures for the staff dashboard and the ledgers (台账).

Found by ``portal.reports.registry`` (the ``stats.py`` protocol). For a period (local dates, both
included) and optionally a grid (网格):

* activities held, sessions held: sessions not cancelled that start in the period and have started by
  now: a session later in the period (or one to come in the current month) has not been held yet;
* bookings and persons registered: confirmed places in the pools of those sessions (a course counts when
  one of its meetings held is in the period);
* attendance (person-times, 人次): check-ins at sessions not cancelled in the period (a check-in is a
  visit that happened, even at the desk before the start). A check-in is one person at one session,
  so a family booking at the marathon counts each parent and child who came;
* volunteer hours approved (and pending), by the date of the service.

With a grid, only residents of that grid count (activities and sessions: those a grid resident attended;
volunteer hours: volunteers living in the grid). Every figure is an aggregate query; the number of
queries is the same whatever the number of rows.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from portal.reports.registry import Figure
from portal.volunteers.models import HoursEntry, HoursStatus

from .models import Area, CheckIn, Registration, RegistrationStatus, Session

#: The figures, in the order they are shown: key, label.
KEYS = ("activities", "sessions", "bookings", "registered", "attendance")


def _bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )


def _labels() -> dict[str, tuple[str, str]]:
    return {
        "activities": (_("Activities held"), _("activities")),
        "sessions": (_("Sessions held"), pgettext("activity", "sessions")),
        "bookings": (_("Bookings"), _("bookings")),
        "registered": (_("Persons registered"), _("persons")),
        "attendance": (_("Attendance"), _("person-times")),
        "hours": (_("Volunteer hours approved"), _("hours")),
        "hours_pending": (_("Volunteer hours awaiting approval"), _("hours")),
    }


def _grid_q(prefix: str, grid) -> Q:
    return Q(**{f"{prefix}household__building__grid": grid}) if grid is not None else Q()


def held_q(
    *, start: datetime.date, end: datetime.date, now: datetime.datetime | None = None, prefix: str = ""
) -> Q:
    """Sessions held in the period: not cancelled, starting in it, and started by ``now`` (``prefix``
    reaches the session through a relation, "session__")."""
    lo, hi = _bounds(start, end)
    now = now or timezone.now()
    return Q(
        **{
            f"{prefix}starts_at__gte": lo,
            f"{prefix}starts_at__lt": hi,
            f"{prefix}starts_at__lte": now,
            f"{prefix}cancelled": False,
        }
    )


def counts_by_area(
    *, start: datetime.date, end: datetime.date, grid=None, now: datetime.datetime | None = None
) -> dict[str, dict[str, int]]:
    """``{area: {key: number}}`` for the areas with anything held in the period (three queries)."""
    lo, hi = _bounds(start, end)
    held = held_q(start=start, end=end, now=now)
    sessions = Session.objects.filter(held)
    if grid is not None:
        sessions = sessions.filter(checkins__registration__person__household__building__grid=grid)
    rows: dict[str, dict[str, int]] = {}

    def put(area, **values):
        rows.setdefault(area, dict.fromkeys(KEYS, 0)).update(values)

    for row in sessions.values("activity__area").annotate(
        activities=Count("activity", distinct=True), sessions=Count("id", distinct=True)
    ):
        put(row["activity__area"], activities=row["activities"], sessions=row["sessions"])

    # A session-by-session place is in a held session; a course place in a course with a held meeting.
    in_pool = Q(session__in=Session.objects.filter(held).values("id")) | Q(
        session__isnull=True, activity_id__in=Session.objects.filter(held).values("activity_id")
    )
    regs = (
        Registration.objects.filter(in_pool, _grid_q("person__", grid), status=RegistrationStatus.CONFIRMED)
        .values("activity__area")
        .annotate(bookings=Count("booking", distinct=True), registered=Count("id", distinct=True))
    )
    for row in regs:
        put(row["activity__area"], bookings=row["bookings"], registered=row["registered"])

    visits = (
        CheckIn.objects.filter(
            _grid_q("registration__person__", grid),
            session__starts_at__gte=lo,
            session__starts_at__lt=hi,
            session__cancelled=False,
        )
        .values("session__activity__area")
        .annotate(attendance=Count("id"))
    )
    for row in visits:
        put(row["session__activity__area"], attendance=row["attendance"])
    return rows


def volunteer_hours(*, start: datetime.date, end: datetime.date, grid=None) -> dict[str, Decimal]:
    """Approved and pending hours of service dated in the period (one query)."""
    totals = HoursEntry.objects.filter(
        _grid_q("volunteer__person__", grid), date__gte=start, date__lte=end
    ).aggregate(
        approved=Sum("hours", filter=Q(status=HoursStatus.APPROVED)),
        pending=Sum("hours", filter=Q(status=HoursStatus.PENDING)),
    )
    return {key: totals[key] or Decimal("0") for key in ("approved", "pending")}


def figures(
    *, start: datetime.date, end: datetime.date, grid=None, now: datetime.datetime | None = None
) -> list[Figure]:
    labels = _labels()
    by_area = counts_by_area(start=start, end=end, grid=grid, now=now)
    whole = _("All areas") if grid is None else _("All areas in %(grid)s") % {"grid": grid.name}
    out: list[Figure] = []
    for order, key in enumerate(KEYS):
        label, unit = labels[key]
        total = sum(row[key] for row in by_area.values())
        out.append(
            Figure(key=f"events.{key}", label=label, value=total, unit=unit, area_label=whole, order=order)
        )
    hours = volunteer_hours(start=start, end=end, grid=grid)
    for order, (key, value) in enumerate(
        (("hours", hours["approved"]), ("hours_pending", hours["pending"])), start=10
    ):
        label, unit = labels[key]
        out.append(
            Figure(key=f"events.{key}", label=label, value=value, unit=unit, area_label=whole, order=order)
        )
    for area in Area:
        row = by_area.get(area.value)
        if not row:
            continue
        for order, key in enumerate(KEYS):
            label, unit = labels[key]
            out.append(
                Figure(
                    key=f"events.{key}",
                    label=label,
                    value=row[key],
                    unit=unit,
                    area=area.value,
                    area_label=str(area.label),
                    order=order,
                )
            )
    return out
