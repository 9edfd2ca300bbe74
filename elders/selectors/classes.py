"""Elder classes and clinics (the 'classes' page): the events activities for elders, read through the events
engine (its activities, sessions, registrations and check-ins; no second registration system).

An activity is for elders when it belongs to the elders area or its audience starts at 60 (老年人: 60 and
over, ``events.filters.ELDER_AGE``): the health station's clinics, the smartphone classes, tai chi, the opera
class. Everyone sees the sessions to come, with a link to the activity's page where booking happens; those
who manage some of these activities (community staff: all; partner staff: their organisation's) also see
attendance per session held: booked (confirmed places: of the session, or of the course for a course) against
checked in (the engine's check-ins; at a clinic a reading checks the elder in).

Every read is a constant number of queries whatever the number of sessions or people (subqueries and
aggregates, slices and pages).
"""

from __future__ import annotations

import datetime
import functools

from django.db import connection
from django.db.models import Case, Count, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from events.filters import ELDER_AGE
from events.models import (
    SEATED_STATUSES,
    Activity,
    ActivityStatus,
    Area,
    CapacityUnit,
    CheckIn,
    Registration,
    RegistrationScope,
    RegistrationStatus,
    Session,
)
from events.selectors import activities_manageable_by
from portal.accounts.models import User
from portal.community.models import Organization
from portal.db import instances_from_row, select_list

#: How many sessions to come the page lists, and how far ahead.
UPCOMING_LIMIT = 40
UPCOMING_DAYS = 92
#: Sessions held per page of the attendance table, and how far back it goes.
ATTENDANCE_PAGE_SIZE = 20
ATTENDANCE_DAYS = 400


def elder_activity_q(prefix: str = "") -> Q:
    """The activities for elders: of the elders area, or for an audience of 60 and over."""
    return Q(**{f"{prefix}area": Area.ELDERS}) | Q(**{f"{prefix}min_age__gte": ELDER_AGE})


def elder_activities() -> QuerySet[Activity]:
    return Activity.objects.published().filter(elder_activity_q())


def _count(qs, field: str = "pk") -> Subquery:
    return Subquery(
        qs.order_by().values(field).annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()
    )


class _CountAll(Func):
    """``COUNT(*)``, not an aggregate to Django (no GROUP BY added): the count of a subquery's rows."""

    function = "COUNT"
    template = "COUNT(*)"
    output_field = IntegerField()


def _count_all(qs) -> Subquery:
    """The number of rows of ``qs`` (a correlated subquery): ``SELECT COUNT(*) ...``, which an index that
    holds the filter's columns answers alone."""
    return Subquery(qs.order_by().annotate(n=_CountAll()).values("n"), output_field=IntegerField())


def upcoming_sessions(*, now: datetime.datetime | None = None) -> list[Session]:
    """The sessions to come of the published activities for elders (the next ``UPCOMING_DAYS`` days, at
    most ``UPCOMING_LIMIT``), soonest first, each with its activity (and the activity's organiser) loaded
    and ``places_left`` (of the session, or of the course) or None when the activity takes anyone who
    comes. One query, its SQL written once (``portal.db``): the ORM's version (``sessions_with_seats``,
    five subqueries) cost more to build and plan than to run (issue 13); the seats taken are counted as the
    engine counts them (families as bookings when the activity counts families; a course's places in
    persons)."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _upcoming_sql(connection.vendor),
            [
                ActivityStatus.PUBLISHED,
                Area.ELDERS,
                ELDER_AGE,
                now,
                now + datetime.timedelta(days=UPCOMING_DAYS),
                UPCOMING_LIMIT,
            ],
        )
        rows = cursor.fetchall()
    sessions = []
    for row in rows:
        session, activity, org, user = instances_from_row(row[:-1], Session, Activity, Organization, User)
        activity.organiser_org = org if org.pk is not None else None
        activity.organiser_user = user if user.pk is not None else None
        session.activity = activity
        taken = row[-1] or 0
        if activity.is_course:
            session.places_left = max((activity.capacity or 0) - taken, 0)
        elif session.capacity:
            session.places_left = max(session.capacity - taken, 0)
        else:
            session.places_left = None
        sessions.append(session)
    return sessions


@functools.lru_cache(maxsize=4)
def _upcoming_sql(vendor: str) -> str:
    qn = connection.ops.quote_name
    session, activity, reg = Session._meta, Activity._meta, Registration._meta

    def col(meta, name: str) -> str:
        return qn(meta.get_field(name).column)

    seated = ", ".join(f"'{status}'" for status in SEATED_STATUSES)  # the engine's constants
    reg_table = qn(reg.db_table)
    course_taken = (
        f"SELECT COUNT(*) FROM {reg_table} r WHERE r.{col(reg, 'activity')} = a.{col(activity, 'id')} "  # noqa: S608
        f"AND r.{col(reg, 'session')} IS NULL AND r.{col(reg, 'status')} IN ({seated})"
    )
    persons = (
        f"SELECT COUNT(*) FROM {reg_table} r WHERE r.{col(reg, 'session')} = s.{col(session, 'id')} "  # noqa: S608
        f"AND r.{col(reg, 'status')} IN ({seated})"
    )
    families = (
        f"SELECT COUNT(DISTINCT r.{col(reg, 'booking')}) FROM {reg_table} r "  # noqa: S608
        f"WHERE r.{col(reg, 'session')} = s.{col(session, 'id')} AND r.{col(reg, 'status')} IN ({seated})"
    )
    # Only the models' own table and column names and the engine's constants go into the text; the
    # values are parameters.
    return (
        f"SELECT {select_list(Session, 's')}, {select_list(Activity, 'a')}, "  # noqa: S608
        f"{select_list(Organization, 'o')}, {select_list(User, 'u')}, "
        f"CASE WHEN a.{col(activity, 'registration_scope')} = '{RegistrationScope.COURSE}' "
        f"THEN ({course_taken}) "
        f"WHEN a.{col(activity, 'capacity_unit')} = '{CapacityUnit.FAMILY}' THEN ({families}) "
        f"ELSE ({persons}) END "
        f"FROM {qn(session.db_table)} s "
        f"INNER JOIN {qn(activity.db_table)} a ON a.{col(activity, 'id')} = s.{col(session, 'activity')} "
        f"LEFT OUTER JOIN {qn(Organization._meta.db_table)} o "
        f"ON o.{qn(Organization._meta.pk.column)} = a.{col(activity, 'organiser_org')} "
        f"LEFT OUTER JOIN {qn(User._meta.db_table)} u "
        f"ON u.{qn(User._meta.pk.column)} = a.{col(activity, 'organiser_user')} "
        f"WHERE a.{col(activity, 'status')} = %s "
        f"AND (a.{col(activity, 'area')} = %s OR a.{col(activity, 'min_age')} >= %s) "
        f"AND NOT s.{col(session, 'cancelled')} "
        f"AND s.{col(session, 'starts_at')} > %s AND s.{col(session, 'starts_at')} < %s "
        f"ORDER BY s.{col(session, 'starts_at')}, s.{col(session, 'id')} LIMIT %s"
    )


def upcoming_by_activity(*, now: datetime.datetime | None = None) -> list[dict]:
    """``upcoming_sessions`` grouped by activity, in the order of each activity's next session:
    ``[{"activity": Activity, "sessions": [Session, ...]}]``."""
    groups: dict[int, dict] = {}
    for s in upcoming_sessions(now=now):
        groups.setdefault(s.activity_id, {"activity": s.activity, "sessions": []})["sessions"].append(s)
    return list(groups.values())


def may_see_attendance(*, viewer) -> bool:
    """Whoever manages at least one activity for elders (one query; anonymous: none)."""
    if viewer is None or not viewer.is_authenticated:
        return False
    return activities_manageable_by(user=viewer).filter(elder_activity_q()).exists()


def attendance_sessions(*, viewer, now: datetime.datetime | None = None) -> QuerySet[Session]:
    """The sessions held (started, not cancelled, within ``ATTENDANCE_DAYS``) of the activities for elders
    the viewer manages, latest first, annotated with ``booked`` (confirmed places of the session, or of
    the course) and ``checked_in`` (check-ins at the session). One query per page."""
    now = now or timezone.now()
    manageable = activities_manageable_by(user=viewer).filter(elder_activity_q())
    # Each count reads an index alone (issue 13): the registrations' pool index (activity, session,
    # status) and the check-ins' session index, COUNT(*) needing no other column.
    session_places = _count_all(
        Registration.objects.filter(
            activity_id=OuterRef("activity_id"),
            session_id=OuterRef("pk"),
            status=RegistrationStatus.CONFIRMED,
        )
    )
    course_places = _count_all(
        Registration.objects.filter(
            activity_id=OuterRef("activity_id"), session__isnull=True, status=RegistrationStatus.CONFIRMED
        )
    )
    checkins = _count_all(CheckIn.objects.filter(session_id=OuterRef("pk")))
    return (
        Session.objects.filter(
            activity__in=manageable.values("pk"),
            cancelled=False,
            starts_at__lte=now,
            starts_at__gte=now - datetime.timedelta(days=ATTENDANCE_DAYS),
        )
        .select_related("activity")
        .annotate(
            booked=Case(
                When(
                    activity__registration_scope=RegistrationScope.COURSE,
                    then=Coalesce(course_places, Value(0)),
                ),
                default=Coalesce(session_places, Value(0)),
                output_field=IntegerField(),
            ),
            checked_in=Coalesce(checkins, Value(0)),
        )
        .order_by("-starts_at", "-id")
    )


def attendance_totals(*, viewer, now: datetime.datetime | None = None) -> list[dict] | None:
    """Per activity for elders the viewer manages with sessions held: sessions held and person-visits
    (人次) within ``ATTENDANCE_DAYS``, most visits first; None when she manages none at all (she sees no
    attendance: ``may_see_attendance`` in the same query). One query: a row per activity she manages, its
    figures counted from the sessions' (activity, starts_at) and the check-ins' session indexes rather
    than every check-in joined and grouped."""
    if viewer is None or not viewer.is_authenticated:
        return None
    now = now or timezone.now()
    held = Session.objects.filter(
        cancelled=False,
        starts_at__lte=now,
        starts_at__gte=now - datetime.timedelta(days=ATTENDANCE_DAYS),
    )
    rows = list(
        activities_manageable_by(user=viewer)
        .filter(elder_activity_q())
        .annotate(
            held_sessions=Coalesce(_count_all(held.filter(activity_id=OuterRef("pk"))), Value(0)),
            visits=Coalesce(
                _count_all(
                    CheckIn.objects.filter(
                        session__in=held.filter(activity_id=OuterRef(OuterRef("pk"))).values("pk")
                    )
                ),
                Value(0),
            ),
        )
        .values("pk", "title", "held_sessions", "visits")
        .order_by("-visits", "title", "pk")
    )
    if not rows:
        return None
    return [
        {"activity_id": r["pk"], "title": r["title"], "sessions": r["held_sessions"], "visits": r["visits"]}
        for r in rows
        if r["held_sessions"]
    ]


# --- the page's two reads of attendance, their SQL written once (issue 13) -----------------------------
#
# ``attendance_totals`` and a page of ``attendance_sessions`` as the ORM states them above cost about
# three times more to build and compile than PostgreSQL takes to run them. Here only the viewer's scope
# (the activities for elders she manages, ``activities_manageable_by``) is built by the ORM, once for
# both, as a subquery of ids; the rest is text written once per process from the models' own table and
# column names, every value a parameter. A test holds both to the ORM's versions.


def _manageable_sql(viewer) -> tuple[str, list] | None:
    """The SQL of the ids of the activities for elders the viewer manages; None when she manages none
    by her role (an empty scope)."""
    from django.core.exceptions import EmptyResultSet

    if viewer is None or not viewer.is_authenticated:
        return None
    qs = activities_manageable_by(user=viewer).filter(elder_activity_q()).order_by().values("pk")
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, list(params)


@functools.lru_cache(maxsize=4)
def _attendance_sql(vendor: str) -> tuple[str, str, str]:
    """(the totals' text, the page's text, the page's count text), each with ``{scope}`` to fill in."""
    qn = connection.ops.quote_name
    session, activity, reg, checkin = Session._meta, Activity._meta, Registration._meta, CheckIn._meta

    def col(meta, name: str) -> str:
        return qn(meta.get_field(name).column)

    s_table, a_table = qn(session.db_table), qn(activity.db_table)
    reg_table, checkin_table = qn(reg.db_table), qn(checkin.db_table)
    held = (
        f"NOT {{alias}}.{col(session, 'cancelled')} AND {{alias}}.{col(session, 'starts_at')} <= %s "
        f"AND {{alias}}.{col(session, 'starts_at')} >= %s"
    )
    a_id, s_id = col(activity, "id"), col(session, "id")
    totals = (
        f"SELECT a.{a_id}, a.{col(activity, 'title')}, "  # noqa: S608 - the models' own names
        f"(SELECT COUNT(*) FROM {s_table} h WHERE {held.format(alias='h')} "
        f"AND h.{col(session, 'activity')} = a.{a_id}) AS held_sessions, "
        f"(SELECT COUNT(*) FROM {checkin_table} k WHERE k.{col(checkin, 'session')} IN "
        f"(SELECT h.{s_id} FROM {s_table} h WHERE {held.format(alias='h')} "
        f"AND h.{col(session, 'activity')} = a.{a_id})) AS visits "
        f"FROM {a_table} a WHERE a.{a_id} IN ({{scope}}) "
        f"ORDER BY visits DESC, a.{col(activity, 'title')} ASC, a.{a_id} ASC"
    )
    confirmed = f"r.{col(reg, 'status')} = '{RegistrationStatus.CONFIRMED}'"  # the engine's constant
    booked = (
        f"CASE WHEN a.{col(activity, 'registration_scope')} = '{RegistrationScope.COURSE}' "  # noqa: S608
        f"THEN (SELECT COUNT(*) FROM {reg_table} r WHERE r.{col(reg, 'activity')} = s.{col(session, 'activity')} "
        f"AND r.{col(reg, 'session')} IS NULL AND {confirmed}) "
        f"ELSE (SELECT COUNT(*) FROM {reg_table} r WHERE r.{col(reg, 'activity')} = s.{col(session, 'activity')} "
        f"AND r.{col(reg, 'session')} = s.{s_id} AND {confirmed}) END"
    )
    where = (
        f"FROM {s_table} s INNER JOIN {a_table} a ON a.{a_id} = s.{col(session, 'activity')} "
        f"WHERE s.{col(session, 'activity')} IN ({{scope}}) AND {held.format(alias='s')}"
    )
    page = (
        f"SELECT {select_list(Session, 's')}, {select_list(Activity, 'a')}, {booked}, "  # noqa: S608
        f"(SELECT COUNT(*) FROM {checkin_table} k WHERE k.{col(checkin, 'session')} = s.{s_id}), "
        f"COUNT(*) OVER () {where} "
        f"ORDER BY s.{col(session, 'starts_at')} DESC, s.{s_id} DESC LIMIT %s OFFSET %s"
    )
    count = f"SELECT COUNT(*) {where}"  # noqa: S608
    return totals, page, count


def attendance_of(*, viewer, now: datetime.datetime | None = None, number=None):
    """``(attendance_totals(viewer, now), the page `number` of attendance_sessions(viewer, now))`` as the
    classes page shows them (the page as ``portal.pagination.page_with_count`` gives it, its sessions with
    their activity, ``booked`` and ``checked_in``), or ``(None, None)`` when she manages no activity for
    elders: two queries (for a page past the end two more: the count, then the last page)."""
    from django.core.paginator import Page, Paginator

    from portal.pagination import requested_page

    scope = _manageable_sql(viewer)
    if scope is None:
        return None, None
    scope_sql, scope_params = scope
    now = now or timezone.now()
    since = now - datetime.timedelta(days=ATTENDANCE_DAYS)
    totals_sql, page_sql, count_sql = _attendance_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(totals_sql.format(scope=scope_sql), [now, since, now, since, *scope_params])
        rows = cursor.fetchall()
    if not rows:
        return None, None
    totals = [
        {"activity_id": pk, "title": title, "sessions": held, "visits": visits}
        for pk, title, held, visits in rows
        if held
    ]
    page_sql, count_sql = page_sql.format(scope=scope_sql), count_sql.format(scope=scope_sql)
    per_page = ATTENDANCE_PAGE_SIZE

    def read(number: int) -> tuple[list[Session], int | None]:
        with connection.cursor() as cursor:
            cursor.execute(page_sql, [*scope_params, now, since, per_page, (number - 1) * per_page])
            found = cursor.fetchall()
        sessions = []
        for row in found:
            session, activity = instances_from_row(row[:-3], Session, Activity)
            session.activity = activity
            session.booked, session.checked_in = row[-3] or 0, row[-2] or 0
            sessions.append(session)
        return sessions, (found[0][-1] if found else None)

    number = requested_page(number, per_page)
    if number is not None:
        sessions, count = read(number)
        if sessions or number == 1:
            paginator = Paginator([], per_page)
            paginator.count = count or 0
            return totals, Page(sessions, number, paginator)
    with connection.cursor() as cursor:
        cursor.execute(count_sql, [*scope_params, now, since])
        count = cursor.fetchone()[0]
    paginator = Paginator([], per_page)
    paginator.count = count
    sessions, _count = read(paginator.num_pages)
    return totals, Page(sessions, paginator.num_pages, paginator)
