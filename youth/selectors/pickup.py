"""Safe pickup: the staff tablet's day roster (who is booked, here, gone), the sign-out page's collectors,
the printable roster, children not collected, and a guardian's day-by-day record. Reads only; children
through youth.selectors.access; every page costs the same number of queries at 10 and 10,000 children."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from events.models import Activity, CheckIn, CheckOut, Registration, RegistrationStatus, Session
from portal.community.models import Person, SensitiveProfile
from portal.db import converted, field_converters, instances_from_row, select_list

from ..models import DaycareProgramme, DaycareWeek, PickupAttempt, PickupOutcome
from .access import guardians_by_child, youth_activities_managed_by, youth_activities_managed_where
from .children import _allergies_visible_q, allergies_for, allergies_of_loaded
from .collectors import Collector, collectors_for
from .daycare import sessions_on

#: Roster filter values (``?state=``): not yet arrived, here, gone home.
STATES = ("waiting", "here", "gone")


def roster_sessions(*, user, day: datetime.date | None = None) -> QuerySet[Session]:
    """The day-care sessions of ``day`` (today) the user runs."""
    return sessions_on(day=day or timezone.localdate(), user=user)


@functools.lru_cache(maxsize=4)
def _session_sql(vendor: str) -> str:
    """The session with its activity, week and programme: the columns of each, in one row."""
    qn = connection.ops.quote_name
    return (
        f"SELECT {select_list(Session, 's')}, {select_list(Activity, 'a')}, {select_list(DaycareWeek, 'w')}, "  # noqa: S608
        f"{select_list(DaycareProgramme, 'g')} FROM {qn(Session._meta.db_table)} s "
        f"INNER JOIN {qn(Activity._meta.db_table)} a ON a.{qn('id')} = s.{qn('activity_id')} "
        f"INNER JOIN {qn(DaycareWeek._meta.db_table)} w ON w.{qn('activity_id')} = a.{qn('id')} "
        f"INNER JOIN {qn(DaycareProgramme._meta.db_table)} g ON g.{qn('id')} = w.{qn('programme_id')} "
        f"WHERE s.{qn('id')} = %s AND "  # noqa: S608  (the models' own names; the values are parameters)
    )


def daycare_session_get(*, user, session_id) -> Session:
    """A day-care session the user runs (community staff: any; partner staff and organisers: theirs), with
    its activity, week and programme loaded; 404 otherwise (another organisation's day-care, a class, a
    bad id). One short statement written once (issue 13: building the ORM query cost ten times running
    it), the rule ``youth_activities_managed_by``'s (``youth_activities_managed_where``); held to the ORM
    query by tests/youth/test_roster_raw.py."""
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        raise Http404 from None
    scope = youth_activities_managed_where(user, "a")
    if scope is None or not -(2**63) <= pk < 2**63:
        raise Http404
    with connection.cursor() as cursor:
        cursor.execute(_session_sql(connection.vendor) + scope[0], [pk, *scope[1]])
        row = cursor.fetchone()
    if row is None:
        raise Http404
    session, activity, week, programme = instances_from_row(
        row, Session, Activity, DaycareWeek, DaycareProgramme
    )
    week.programme = programme
    activity.daycare_week = week
    session.activity = activity
    return session


def programme_of(session: Session) -> DaycareProgramme:
    return session.activity.daycare_week.programme


def _booked(session: Session) -> QuerySet[Registration]:
    """Confirmed registrations covering the session (the week's, or the session's own)."""
    return Registration.objects.filter(
        activity_id=session.activity_id, status=RegistrationStatus.CONFIRMED
    ).filter(Q(session__isnull=True) | Q(session_id=session.pk))


def roster_order(*, session: Session, state: str = "") -> QuerySet[Registration]:
    """The children booked for the session in name order, ``state`` filtering: what a page of the roster is
    chosen from (its ids, the children's name index walked), without the day's times."""
    ins = CheckIn.objects.filter(registration_id=OuterRef("pk"), session_id=session.pk)
    outs = CheckOut.objects.filter(registration_id=OuterRef("pk"), session_id=session.pk)
    qs = _booked(session).order_by("person__name", "person_id")
    if state == "waiting":
        qs = qs.filter(~Exists(ins))
    elif state == "here":
        qs = qs.filter(Exists(ins)).filter(~Exists(outs))
    elif state == "gone":
        qs = qs.filter(Exists(outs))
    return qs


def roster_queryset(*, session: Session, state: str = "") -> QuerySet[Registration]:
    """The children booked for the session, each annotated with ``signed_in_at``, ``signed_out_at`` and
    ``released_to`` (the session's check-in and check-out LEFT JOINed: at most one of each per
    registration and session, by their unique constraints; one query for the page), in name order;
    ``state`` filters."""
    return (
        roster_order(session=session, state=state)
        .select_related("person")
        .annotate(
            day_in=FilteredRelation("checkins", condition=Q(checkins__session_id=session.pk)),
            day_out=FilteredRelation("checkouts", condition=Q(checkouts__session_id=session.pk)),
        )
        .annotate(
            signed_in_at=F("day_in__checked_in_at"),
            signed_out_at=F("day_out__checked_out_at"),
            released_to=F("day_out__released_to"),
        )
    )


@functools.lru_cache(maxsize=16)
def _roster_sql(vendor: str, state: str, one: bool) -> str:
    """The roster's rows (``roster_queryset``'s, with ``with_allergies``'s two columns), written once per
    state (``roster_order``'s filters, the same EXISTS), the session's check-in and sign-out LEFT JOINed to
    the rows (at most one of each per registration and session, by their unique constraints). A page's
    registrations are chosen first, in a derived table cut by LIMIT: read along the children's name index
    (``person_name_order``), each name probing her registrations, stopping at the page's last row; only
    those rows are then joined to their child's allergies and whether she may see them (a subquery's SQL,
    compiled apart and put in at ``{visible}``: probed for each of the page's rows, never for the whole
    list). Parameters, in order: the visible subquery's; the activity, the session (confirmed is written in); the
    session once for each EXISTS of a state; the child (``one``; a page's LIMIT and OFFSET are written
    in, whole numbers); the session twice
    (the rows' check-in and sign-out)."""
    qn = connection.ops.quote_name
    reg, person = qn(Registration._meta.db_table), qn(Person._meta.db_table)
    ins, outs = qn(CheckIn._meta.db_table), qn(CheckOut._meta.db_table)
    profile = qn(SensitiveProfile._meta.db_table)
    rid, pid = f"r.{qn('id')}", f"r.{qn('person_id')}"

    def day_joins(a_in: str, a_out: str) -> str:
        return (
            f"LEFT OUTER JOIN {ins} {a_in} ON {a_in}.{qn('registration_id')} = r.{qn('id')} "
            f"AND {a_in}.{qn('session_id')} = %s "
            f"LEFT OUTER JOIN {outs} {a_out} ON {a_out}.{qn('registration_id')} = r.{qn('id')} "
            f"AND {a_out}.{qn('session_id')} = %s "
        )

    def day(table: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM {table} x WHERE x.{qn('registration_id')} = {rid} "  # noqa: S608
            f"AND x.{qn('session_id')} = %s)"
        )

    where = {
        "": "",
        "waiting": f" AND NOT {day(ins)}",
        "here": f" AND {day(ins)} AND NOT {day(outs)}",
        "gone": f" AND {day(outs)}",
    }[state]
    order = f"p.{qn('name')}, {pid}, {rid}"
    chosen = (
        f"SELECT {rid} AS {qn('rid')} FROM {reg} r INNER JOIN {person} p ON p.{qn('id')} = {pid} "  # noqa: S608
        f"WHERE r.{qn('activity_id')} = %s AND r.{qn('status')} = {_confirmed_literal()} "
        f"AND (r.{qn('session_id')} IS NULL OR r.{qn('session_id')} = %s){where}"
        + (f" AND {pid} = %s" if one else f" ORDER BY {order} LIMIT {{limit:d}} OFFSET {{offset:d}}")
    )
    columns = (
        f"{select_list(Registration, 'r')}, {select_list(Person, 'p')}"
        if one
        else f"{select_list(Registration, 'r', PAGE_REGISTRATION)}, {select_list(Person, 'p', PAGE_PERSON)}"
    )
    return (
        f"SELECT {columns}, "  # noqa: S608
        f"ci.{qn('checked_in_at')}, co.{qn('checked_out_at')}, co.{qn('released_to')}, "
        f"CASE WHEN EXISTS ({{visible}}) THEN 1 ELSE 0 END, sp.{qn('allergies')} "
        f"FROM ({chosen}) page INNER JOIN {reg} r ON {rid} = page.{qn('rid')} "
        f"INNER JOIN {person} p ON p.{qn('id')} = {pid} "
        f"{day_joins('ci', 'co')}"
        f"LEFT OUTER JOIN {profile} sp ON sp.{qn('person_id')} = p.{qn('id')} "
        f"ORDER BY {order}"
    )  # noqa: S608  (the models' own names; the values are parameters)


#: The columns a page of the roster reads of each registration and child: those the page and the access
#: log use (the other fields are deferred: read if ever asked for, never on the page). One child's read
#: (the sign-out page, whose POST hands her to the service) takes every column.
PAGE_REGISTRATION = ("id", "activity_id", "session_id", "person_id", "status")
PAGE_PERSON = ("id", "name", "birth_date", "is_active")


_DAY = ((CheckIn, "checked_in_at"), (CheckOut, "checked_out_at"), (CheckOut, "released_to"))


def _visible_sql(viewer) -> tuple[str, list]:
    """``with_allergies``'s test, whether ``viewer`` may see the child's allergies (the same Q), as SQL
    correlated to the row's child ``p``."""
    if viewer is None or not viewer.is_authenticated:
        return "SELECT 1 WHERE 1 = 0", []
    qn = connection.ops.quote_name
    qs = Person.objects.filter(_allergies_visible_q(viewer), pk=RawSQL(f"p.{qn('id')}", ())).order_by()  # noqa: S611 (a column name)
    sql, params = qs.values("pk").query.get_compiler(connection=connection).as_sql()
    return sql, list(params)


def _roster_read(
    *, session: Session, viewer, state: str = "", child_id: int | None = None, limit: int = 0, offset: int = 0
) -> list[Registration]:
    """``roster_queryset(session=session, state=state)`` through ``with_allergies(viewer=viewer)``: a page
    of it (``limit``, ``offset``) or the registrations of one child, in one statement written once
    (issue 13: building the ORM query cost more than running it). Each registration with its ``person``
    loaded (a page: the columns ``PAGE_REGISTRATION`` and ``PAGE_PERSON``, the others deferred),
    ``signed_in_at``, ``signed_out_at``, ``released_to``, ``child_allergies_visible`` and
    ``child_allergies``, as the ORM query gives them (tests/youth/test_roster_raw.py)."""
    visible, visible_params = _visible_sql(viewer)
    sql = _roster_sql(connection.vendor, state, child_id is not None).replace("{visible}", visible)
    if child_id is None:
        # LIMIT and OFFSET written in (whole numbers): a page's statement keeps one generic plan.
        sql = sql.replace("{limit:d}", str(int(limit))).replace("{offset:d}", str(int(offset)))
    params = [
        *visible_params,
        session.activity_id,
        session.pk,
        *[session.pk] * {"": 0, "waiting": 1, "here": 2, "gone": 1}[state],
        *([child_id] if child_id is not None else []),
        session.pk,
        session.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if child_id is not None:
        n_reg, n_person = len(Registration._meta.concrete_fields), len(Person._meta.concrete_fields)
    else:
        n_reg, n_person = len(PAGE_REGISTRATION), len(PAGE_PERSON)
    parts = (
        (Registration, Person)
        if child_id is not None
        else ((Registration, PAGE_REGISTRATION), (Person, PAGE_PERSON))
    )
    day_conv = field_converters(connection.vendor, _DAY)
    out = []
    for row in rows:
        reg, person = instances_from_row(row, *parts)
        reg.person = person
        reg.signed_in_at, reg.signed_out_at, reg.released_to = converted(
            row[n_reg + n_person : n_reg + n_person + 3], day_conv
        )
        reg.child_allergies_visible = bool(row[-2])
        reg.child_allergies = row[-1]
        out.append(reg)
    return out


class RosterPageList:
    """The children booked for the session in name order (``state`` filtering) as a sequence for a
    ``Paginator``: its length the counts' (given), a slice of it read by :func:`_roster_read` with the
    allergies ``viewer`` may see (pass ``allergies_loaded=True`` to :func:`roster_rows`)."""

    def __init__(self, *, session: Session, viewer, state: str, count: int):
        self.session, self.viewer, self.state, self.count = session, viewer, state, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("a roster is read a page at a time")
        start, stop = index.start or 0, min(index.stop, self.count)
        if stop <= start:
            return []
        return _roster_read(
            session=self.session, viewer=self.viewer, state=self.state, limit=stop - start, offset=start
        )


def _confirmed_literal() -> str:
    """The status confirmed as an SQL literal (a constant of the code: letters only)."""
    value = RegistrationStatus.CONFIRMED.value
    assert value.isalpha() and value.isascii()  # noqa: S101
    return f"'{value}'"


@functools.lru_cache(maxsize=1)
def _roster_counts_sql() -> str:
    """The counts' statement, written once per process from the models' tables and columns. Its
    parameters: the session and the activity (``%(s)s``, ``%(a)s``); the status confirmed is written in
    (a constant of the code), so that PostgreSQL can keep one plan of it for every session, which
    proves the partial index of unconfirmed registrations from the text alone, instead of planning it
    again at each request."""
    qn = connection.ops.quote_name
    confirmed = _confirmed_literal()
    reg = qn(Registration._meta.db_table)
    ins, outs = qn(CheckIn._meta.db_table), qn(CheckOut._meta.db_table)
    # Check-ins (sign-outs) of the session whose registration is no longer confirmed are driven from the
    # activity's few unconfirmed registrations (the partial index registration_unconfirmed); a sign-out
    # without the session's check-in (none is written so) is counted apart, for exactness.
    return f"""
        SELECT
          (SELECT COUNT(*) FROM {reg} r WHERE r.activity_id = %(a)s AND r.status = {confirmed}
             AND (r.session_id IS NULL OR r.session_id = %(s)s)),
          (SELECT COUNT(*) FROM {ins} x WHERE x.session_id = %(s)s),
          (SELECT COUNT(*) FROM {ins} x INNER JOIN {reg} r ON r.id = x.registration_id
             WHERE x.session_id = %(s)s AND r.activity_id = %(a)s AND r.status <> {confirmed}),
          (SELECT COUNT(*) FROM {outs} x WHERE x.session_id = %(s)s),
          (SELECT COUNT(*) FROM {outs} x INNER JOIN {reg} r ON r.id = x.registration_id
             WHERE x.session_id = %(s)s AND r.activity_id = %(a)s AND r.status <> {confirmed}),
          (SELECT COUNT(*) FROM {outs} x WHERE x.session_id = %(s)s
             AND NOT EXISTS (SELECT 1 FROM {ins} y
                             WHERE y.registration_id = x.registration_id AND y.session_id = %(s)s)),
          (SELECT COUNT(*) FROM {outs} x INNER JOIN {reg} r ON r.id = x.registration_id
             WHERE x.session_id = %(s)s AND r.activity_id = %(a)s AND r.status <> {confirmed}
             AND NOT EXISTS (SELECT 1 FROM {ins} y
                             WHERE y.registration_id = x.registration_id AND y.session_id = %(s)s))
    """  # noqa: S608  (the table names are the models' own; the values are parameters)


def roster_counts(*, session: Session) -> dict[str, int]:
    """How many are booked, not yet arrived, here and gone (one statement), exactly as joining every
    registration booked to the session's check-in and check-out counts them (tests/youth/
    test_page_queries.py holds them to it), without reading every child booked (issue 13).

    Each count reads one index: the booked registrations (``registration_pool``), the session's
    check-ins and its sign-outs (their session indexes), less the check-ins and sign-outs of the activity's
    registrations no longer confirmed (``registration_unconfirmed``: a child cancelled after she arrived);
    the sign-outs without a check-in (there should be none) are probed one by one. What makes this exact,
    kept by ``events.services``: a check-in or a sign-out is written only for a confirmed registration
    of the session's activity covering the session (``checkin_record``, ``checkout_record``), and a
    registration never changes activity or session."""
    params = {"s": session.pk, "a": session.activity_id}
    with connection.cursor() as cursor:
        cursor.execute(_roster_counts_sql(), params)
        booked, ins, ins_off, outs, outs_off, outs_alone, outs_alone_off = cursor.fetchone()
    came, gone = ins - ins_off, outs - outs_off
    gone_without_coming = outs_alone - outs_alone_off
    return {
        "booked": booked,
        "waiting": booked - came,
        "here": came - (gone - gone_without_coming),
        "gone": gone,
    }


@dataclass
class RosterRow:
    registration: Registration
    child: Person
    allergies: str = ""
    guardians: list[Person] = field(default_factory=list)
    collectors: list[Collector] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.registration.signed_out_at:
            return "gone"
        if self.registration.signed_in_at:
            return "here"
        return "waiting"


def roster_rows(
    *,
    viewer,
    session: Session,
    registrations,
    where: str,
    ip: str | None = None,
    full: bool = False,
    allergies_loaded: bool = False,
) -> list[RosterRow]:
    """The rows of a page of the roster with each child's allergies (logged: ``allergies_for``); ``full``
    adds the guardians and the collectors of the day (the printable roster). Constant queries.
    ``allergies_loaded``: the registrations were read with the allergies ``viewer`` may see
    (a ``RosterPageList`` page or ``roster_child_get`` with ``viewer``): only the log is written."""
    regs = list(registrations)
    ids = [r.person_id for r in regs]
    if allergies_loaded:
        allergies = allergies_of_loaded(viewer=viewer, rows=regs, where=where, ip=ip)
    else:
        allergies = allergies_for(viewer=viewer, child_ids=ids, where=where, ip=ip) if ids else {}
    guardians = guardians_by_child(ids) if full and ids else {}
    day = timezone.localtime(session.starts_at).date()
    collectors = collectors_for(child_ids=ids, day=day) if full and ids else {}
    return [
        RosterRow(
            registration=r,
            child=r.person,
            allergies=allergies.get(r.person_id, ""),
            guardians=guardians.get(r.person_id, []),
            collectors=[c for c in collectors.get(r.person_id, []) if c.kind == "pickup"],
        )
        for r in regs
    ]


def roster_child_get(*, session: Session, child_id, viewer=None) -> Registration:
    """The child's confirmed registration covering the session, with her sign-in and sign-out; 404 when
    she is not booked for it (a child of another day-care, a bad id). With ``viewer``, also her allergies
    as ``viewer`` may see them, in the same query (``with_allergies``)."""
    try:
        pk = int(child_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not -(2**63) <= pk < 2**63:
        raise Http404
    regs = _roster_read(session=session, viewer=viewer, child_id=pk)
    if not regs:
        raise Http404
    return regs[0]


@functools.lru_cache(maxsize=4)
def _refused_sql(vendor: str) -> str:
    qn = connection.ops.quote_name
    return (
        f"SELECT {select_list(PickupAttempt, 'x')} FROM {qn(PickupAttempt._meta.db_table)} x "  # noqa: S608
        f"WHERE x.{qn('session_id')} = %s AND x.{qn('child_id')} = %s AND x.{qn('outcome')} = %s "
        f"ORDER BY x.{qn('at')} DESC LIMIT 10"
    )  # noqa: S608  (the models' own names; the values are parameters)


def refused_today(*, session: Session, child_id: int) -> list[PickupAttempt]:
    """The session's refused attempts to collect the child, the latest first (ten at most), in a
    statement written once (held to the ORM query by tests/youth/test_roster_raw.py)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _refused_sql(connection.vendor), [session.pk, int(child_id), PickupOutcome.REFUSED.value]
        )
        rows = cursor.fetchall()
    return [instances_from_row(row, PickupAttempt)[0] for row in rows]


def not_collected(*, user, now=None) -> list:
    """Children signed in and not signed out after their programme's end time, at the day-care sessions
    the user runs, today and on the past days of this week; (session, registration, check-in) rows."""
    from ..services.pickup import not_collected_rows

    now = now or timezone.now()
    today = timezone.localdate(now)
    monday = today - datetime.timedelta(days=today.weekday())
    start = datetime.datetime.combine(monday, datetime.time.min, tzinfo=timezone.get_current_timezone())
    sessions = Session.objects.filter(
        activity__in=youth_activities_managed_by(user).values("pk"),
        activity__daycare_week__isnull=False,
        cancelled=False,
        starts_at__gte=start,
        starts_at__lte=now,
    )
    return not_collected_rows(sessions=sessions, now=now)


# --- the guardian's view ------------------------------------------------------------------------------


@dataclass
class ChildDay:
    session: Session
    signed_in_at: datetime.datetime | None = None
    signed_out_at: datetime.datetime | None = None
    released_to: str = ""
    refused: list[PickupAttempt] = field(default_factory=list)


def child_days(*, child: Person, limit: int = 60) -> list[ChildDay]:
    """Her day-care days, the latest first: sign-in and sign-out times, who collected her, refused
    attempts. Four queries."""
    ins = list(
        CheckIn.objects.filter(registration__person=child, session__activity__daycare_week__isnull=False)
        .select_related("session__activity")
        .order_by("-session__starts_at")[:limit]
    )
    days: dict[int, ChildDay] = {
        ci.session_id: ChildDay(session=ci.session, signed_in_at=ci.checked_in_at) for ci in ins
    }
    for co in CheckOut.objects.filter(registration__person=child, session_id__in=list(days)):
        day = days[co.session_id]
        day.signed_out_at, day.released_to = co.checked_out_at, co.released_to
    refused = PickupAttempt.objects.filter(child=child, outcome=PickupOutcome.REFUSED).select_related(
        "session__activity"
    )
    for attempt in refused.order_by("at")[:limit]:
        day = days.get(attempt.session_id)
        if day is None:
            day = days[attempt.session_id] = ChildDay(session=attempt.session)
        day.refused.append(attempt)
    return sorted(days.values(), key=lambda d: d.session.starts_at, reverse=True)
