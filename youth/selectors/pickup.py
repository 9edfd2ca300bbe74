"""Safe pickup: the staff tablet's day roster (who is booked, here, gone), the sign-out page's collectors,
the printable roster, children not collected, and a guardian's day-by-day record. Reads only; children
through youth.selectors.access; every page costs the same number of queries at 10 and 10,000 children."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from events.models import CheckIn, CheckOut, Registration, RegistrationStatus, Session
from portal.community.models import Person

from ..models import DaycareProgramme, PickupAttempt, PickupOutcome
from .access import guardians_by_child, youth_activities_managed_by
from .children import allergies_for, allergies_of_loaded, with_allergies
from .collectors import Collector, collectors_for
from .daycare import sessions_on

#: Roster filter values (``?state=``): not yet arrived, here, gone home.
STATES = ("waiting", "here", "gone")


def roster_sessions(*, user, day: datetime.date | None = None) -> QuerySet[Session]:
    """The day-care sessions of ``day`` (today) the user runs."""
    return sessions_on(day=day or timezone.localdate(), user=user)


def daycare_session_get(*, user, session_id) -> Session:
    """A day-care session the user runs (community staff: any; partner staff and organisers: theirs), with
    its programme loaded; 404 otherwise (another organisation's day-care, a class, a bad id)."""
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        raise Http404 from None
    session = (
        Session.objects.filter(
            pk=pk,
            activity__daycare_week__isnull=False,
            activity__in=youth_activities_managed_by(user).values("pk"),
        )
        .select_related("activity__daycare_week__programme")
        .first()
    )
    if session is None:
        raise Http404
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


def roster_page_loaded(*, session: Session, registrations, viewer=None) -> list[Registration]:
    """A page of ``roster_order`` (a sliced QuerySet) with its child and the day's times, in the page's
    order, in one query: the page's ids are chosen in a subquery from the registrations and the
    children's names alone (the name index of the people is walked, issue 13), and only those rows are
    read with the day's check-in and check-out and the child joined, rather than every booked child.
    With ``viewer``, the rows also carry the allergies she may see (``with_allergies``; pass
    ``allergies_loaded=True`` to :func:`roster_rows`)."""
    rows = roster_queryset(session=session).filter(pk__in=registrations.values("pk"))
    if viewer is not None:
        rows = with_allergies(rows, viewer=viewer)
    return list(rows)


@functools.lru_cache(maxsize=1)
def _roster_counts_sql() -> str:
    """The counts' statement, written once per process from the models' tables and columns. Its
    parameters: the session and the activity (``%(s)s``, ``%(a)s``) and the status confirmed
    (``%(c)s``)."""
    qn = connection.ops.quote_name
    reg = qn(Registration._meta.db_table)
    ins, outs = qn(CheckIn._meta.db_table), qn(CheckOut._meta.db_table)
    # Check-ins (sign-outs) of the session whose registration is no longer confirmed are driven from the
    # activity's few unconfirmed registrations (the partial index registration_unconfirmed); a sign-out
    # without the session's check-in (none is written so) is counted apart, for exactness.
    return f"""
        SELECT
          (SELECT COUNT(*) FROM {reg} r WHERE r.activity_id = %(a)s AND r.status = %(c)s
             AND (r.session_id IS NULL OR r.session_id = %(s)s)),
          (SELECT COUNT(*) FROM {ins} x WHERE x.session_id = %(s)s),
          (SELECT COUNT(*) FROM {ins} x INNER JOIN {reg} r ON r.id = x.registration_id
             WHERE x.session_id = %(s)s AND r.activity_id = %(a)s AND r.status <> %(c)s),
          (SELECT COUNT(*) FROM {outs} x WHERE x.session_id = %(s)s),
          (SELECT COUNT(*) FROM {outs} x INNER JOIN {reg} r ON r.id = x.registration_id
             WHERE x.session_id = %(s)s AND r.activity_id = %(a)s AND r.status <> %(c)s),
          (SELECT COUNT(*) FROM {outs} x WHERE x.session_id = %(s)s
             AND NOT EXISTS (SELECT 1 FROM {ins} y
                             WHERE y.registration_id = x.registration_id AND y.session_id = %(s)s)),
          (SELECT COUNT(*) FROM {outs} x INNER JOIN {reg} r ON r.id = x.registration_id
             WHERE x.session_id = %(s)s AND r.activity_id = %(a)s AND r.status <> %(c)s
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
    params = {"s": session.pk, "a": session.activity_id, "c": RegistrationStatus.CONFIRMED.value}
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
    (``roster_page_loaded`` or ``roster_child_get`` with ``viewer``): only the log is written."""
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
    regs = roster_queryset(session=session).filter(person_id=pk)
    if viewer is not None:
        regs = with_allergies(regs, viewer=viewer)
    reg = regs.first()
    if reg is None:
        raise Http404
    return reg


def refused_today(*, session: Session, child_id: int) -> list[PickupAttempt]:
    return list(
        PickupAttempt.objects.filter(
            session=session, child_id=child_id, outcome=PickupOutcome.REFUSED
        ).order_by("-at")[:10]
    )


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
