"""The youth area's figures, for the dashboard (``youth.stats``) and the staff figures page (``youth:stats``).

A **child service instance** (青少年服务人次) is one child's check-in at one session of a youth-area activity
(``events.Area.YOUTH``: a day-care day, a holiday class meeting, a lecture, a workshop), the child being
under 18 on the day of the session. A child in the day-care for a week of five days is five instances; a
child at four meetings of a class is four. Sessions count by their start, in the period (local dates, both
included), when not cancelled. With a grid (网格), only children (and guardians) whose household is in a
building of that grid count; classes and lectures held count when someone of that grid came.

Every function is a constant number of aggregate queries, whatever the number of rows.
"""

from __future__ import annotations

import datetime

from django.db.models import (
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear, TruncMonth
from django.utils import timezone

from events.models import Area, CheckIn, Registration, RegistrationStatus, Session
from events.stats import held_q

from ..models import PickupAttempt, PickupOutcome, ProgrammeKind
from .access import ADULT_AGE

#: Programme kinds of the by-month rows: a day-care programme, a holiday class, the lectures together,
#: any other youth-area activity (a workshop of the events demo).
DAYCARE, CLASS, LECTURES, OTHER = "daycare", "class", "lectures", "other"
KIND_ORDER = (DAYCARE, CLASS, LECTURES, OTHER)


def bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )


def _ymd(year, month, day):
    return year * Value(10000) + month * Value(100) + day


def age_code(*, day: str, birth: str):
    """``YYYYMMDD(day) - YYYYMMDD(birth)``: below ``ADULT_AGE * 10000`` exactly when the person is under
    ``ADULT_AGE`` on the day (``day`` a datetime field, read in local time; ``birth`` a date field). Portable:
    no date arithmetic of the database."""
    tz = timezone.get_current_timezone()
    return ExpressionWrapper(
        _ymd(ExtractYear(day, tzinfo=tz), ExtractMonth(day, tzinfo=tz), ExtractDay(day, tzinfo=tz))
        - _ymd(ExtractYear(birth), ExtractMonth(birth), ExtractDay(birth)),
        output_field=IntegerField(),
    )


#: On a check-in annotated by :func:`youth_checkins`: the person was a child on the session's day.
CHILD = Q(age_code__lt=ADULT_AGE * 10000, registration__person__birth_date__isnull=False)


def _grid_q(grid, prefix: str = "registration__person__") -> Q:
    return Q(**{f"{prefix}household__building__grid": grid}) if grid is not None else Q()


def youth_checkins(*, start: datetime.date, end: datetime.date, grid=None) -> QuerySet[CheckIn]:
    """Check-ins at youth-area sessions starting in the period (not cancelled), annotated ``age_code``
    (filter with :data:`CHILD` for the children's) and ``kind`` (``DAYCARE``, ``CLASS``, ``LECTURES``,
    ``OTHER``)."""
    lo, hi = bounds(start, end)
    return (
        CheckIn.objects.filter(
            _grid_q(grid),
            session__activity__area=Area.YOUTH,
            session__starts_at__gte=lo,
            session__starts_at__lt=hi,
            session__cancelled=False,
        )
        .alias(age_code=age_code(day="session__starts_at", birth="registration__person__birth_date"))
        .alias(
            kind=Case(
                When(session__activity__daycare_week__isnull=False, then=Value(DAYCARE)),
                When(session__activity__youth__kind=ProgrammeKind.LECTURE, then=Value(LECTURES)),
                When(session__activity__youth__kind=ProgrammeKind.CLASS, then=Value(CLASS)),
                default=Value(OTHER),
                output_field=CharField(),
            )
        )
    )


def child_instances(*, start: datetime.date, end: datetime.date, grid=None) -> int:
    """The number of child service instances in the period (one query)."""
    return youth_checkins(start=start, end=end, grid=grid).filter(CHILD).count()


def youth_counts(
    *, start: datetime.date, end: datetime.date, grid=None, now: datetime.datetime | None = None
) -> dict[str, int]:
    """Every number of the dashboard's youth figures (four aggregate queries)."""
    lo, hi = bounds(start, end)
    visits = youth_checkins(start=start, end=end, grid=grid).aggregate(
        child_instances=Count("pk", filter=CHILD),
        daycare_instances=Count("pk", filter=CHILD & Q(kind=DAYCARE)),
        class_instances=Count("pk", filter=CHILD & Q(kind=CLASS)),
        other_instances=Count("pk", filter=CHILD & Q(kind__in=[LECTURES, OTHER])),
        children=Count("registration__person", filter=CHILD, distinct=True),
        daycare_children=Count("registration__person", filter=CHILD & Q(kind=DAYCARE), distinct=True),
        lecture_attendance=Count("pk", filter=Q(kind=LECTURES)),
    )
    held = Session.objects.filter(held_q(start=start, end=end, now=now), activity__area=Area.YOUTH)
    if grid is not None:
        held = held.filter(_grid_q(grid, "checkins__registration__person__"))
    sessions = held.aggregate(
        classes_held=Count("activity", filter=Q(activity__youth__kind=ProgrammeKind.CLASS), distinct=True),
        lectures_held=Count("activity", filter=Q(activity__youth__kind=ProgrammeKind.LECTURE), distinct=True),
        daycare_days=Count("pk", filter=Q(activity__daycare_week__isnull=False), distinct=True),
    )
    # Day-care places: confirmed places (a child for a week) in the weeks with a day held in the period.
    weeks_held = Session.objects.filter(
        held_q(start=start, end=end, now=now), activity__daycare_week__isnull=False
    ).values("activity_id")
    places = Registration.objects.filter(
        _grid_q(grid, "person__"), activity_id__in=weeks_held, status=RegistrationStatus.CONFIRMED
    ).count()
    refused = PickupAttempt.objects.filter(
        _grid_q(grid, "child__"), outcome=PickupOutcome.REFUSED, at__gte=lo, at__lt=hi
    ).count()
    return {**visits, **sessions, "daycare_places": places, "pickups_refused": refused}


def child_instances_by_programme_month(*, start: datetime.date, end: datetime.date, grid=None) -> list[dict]:
    """Rows ``{"kind", "programme_id", "programme", "month", "children", "adults"}``, by month then kind
    and programme name: child service instances (``children``) and adults' attendances (``adults``:
    guardians at lectures and parent-and-child classes). ``programme`` is the day-care programme's title, the
    class's (or other activity's) title, or ``""`` for the lectures together (``kind == LECTURES``); ``month``
    the first day of the month (a date). One query."""
    tz = timezone.get_current_timezone()
    rows = (
        youth_checkins(start=start, end=end, grid=grid)
        .annotate(
            programme_kind=F("kind"),
            programme_id=Case(
                When(
                    session__activity__daycare_week__isnull=False,
                    then=F("session__activity__daycare_week__programme_id"),
                ),
                When(session__activity__youth__kind=ProgrammeKind.LECTURE, then=Value(0)),
                default=F("session__activity_id"),
                output_field=IntegerField(),
            ),
            programme=Case(
                When(
                    session__activity__daycare_week__isnull=False,
                    then=F("session__activity__daycare_week__programme__title"),
                ),
                When(session__activity__youth__kind=ProgrammeKind.LECTURE, then=Value("")),
                default=F("session__activity__title"),
                output_field=CharField(),
            ),
            kind_order=Case(
                *(When(kind=k, then=Value(i)) for i, k in enumerate(KIND_ORDER)),
                output_field=IntegerField(),
            ),
            month=TruncMonth("session__starts_at", tzinfo=tz),
        )
        .values("programme_kind", "kind_order", "programme_id", "programme", "month")
        .annotate(children=Count("pk", filter=CHILD), adults=Count("pk", filter=~CHILD))
        .order_by("month", "kind_order", "programme", "programme_id")
    )
    return [
        {
            "kind": r["programme_kind"],
            "programme_id": r["programme_id"],
            "programme": r["programme"],
            "month": timezone.localtime(r["month"]).date()
            if isinstance(r["month"], datetime.datetime)
            else r["month"],
            "children": r["children"],
            "adults": r["adults"],
        }
        for r in rows
    ]
