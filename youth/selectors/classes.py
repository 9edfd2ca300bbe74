"""Reads of holiday classes and parenting lectures (家庭教育讲座) and of the area's front door.

Each function costs a fixed number of queries whatever the number of classes, bookings or children:
seats left come from the engine's annotated subqueries, attendance from one annotated query.
"""

from __future__ import annotations

import datetime

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils import timezone

from events.models import (
    SEATED_STATUSES,
    ActivityStatus,
    Area,
    CheckIn,
    Registration,
    RegistrationStatus,
    Session,
    Shift,
)
from events.selectors import activities_manageable_by
from events.selectors.shifts import _with_taken

from ..models import ProgrammeKind, YouthActivity
from .access import ADULT_AGE, may_run_youth

#: The most classes or lectures a list shows (the story's summer has 15 classes and 8 lectures).
LIST_MAX = 100
#: Open volunteer shifts shown on the front door.
SHIFTS_MAX = 6


def _count(qs: QuerySet, group: str) -> Coalesce:
    sub = qs.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def youth_activities(*, kind: str, now: datetime.datetime | None = None) -> QuerySet[YouthActivity]:
    """Published classes (or lectures) with a meeting still to come: open for booking first, then the
    soonest; each with ``first_at``, ``last_at``, ``meetings``, ``seats_left`` (in the activity's unit)
    and ``open_now`` annotated. One query."""
    now = now or timezone.now()
    sessions = Session.objects.filter(activity=OuterRef("activity_id"), cancelled=False)
    first = sessions.order_by("starts_at").values("starts_at")[:1]
    last = sessions.order_by("-starts_at").values("starts_at")[:1]
    seated = Registration.objects.filter(
        activity=OuterRef("activity_id"), session__isnull=True, status__in=SEATED_STATUSES
    )
    persons = _count(seated, "activity")
    families = Coalesce(
        Subquery(
            seated.order_by().values("activity").annotate(n=Count("booking", distinct=True)).values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )
    window = (Q(activity__booking_closes_at__isnull=True) | Q(activity__booking_closes_at__gt=now)) & (
        Q(activity__booking_opens_at__isnull=True) | Q(activity__booking_opens_at__lte=now)
    )
    return (
        YouthActivity.objects.filter(
            kind=kind,
            activity__area=Area.YOUTH,
            activity__status=ActivityStatus.PUBLISHED,
        )
        .filter(Exists(sessions.filter(starts_at__gt=now)))
        .select_related("activity", "partner")
        .annotate(
            first_at=Subquery(first),
            next_session_id=Subquery(
                sessions.filter(ends_at__gte=now).order_by("starts_at").values("pk")[:1]
            ),
            last_at=Subquery(last),
            meetings=_count(sessions, "activity"),
            taken=Case(
                When(activity__capacity_unit="family", then=families),
                default=persons,
                output_field=IntegerField(),
            ),
            open_now=Case(When(window, then=Value(True)), default=Value(False), output_field=BooleanField()),
        )
        .annotate(seats_left=Greatest(Value(0), Coalesce(F("activity__capacity"), Value(0)) - F("taken")))
        .order_by(F("open_now").desc(), "first_at", "pk")
    )


def managed_ids(*, user, rows) -> set[int]:
    """The activities among ``rows`` (YouthActivity) the user runs: attendance links for them. One query."""
    if user is None or not user.is_authenticated:
        return set()
    ids = [r.activity_id for r in rows]
    return set(activities_manageable_by(user=user).filter(pk__in=ids).values_list("pk", flat=True))


# --- attendance ----------------------------------------------------------------------------------


def attendance_session_get(*, user, session_id) -> Session:
    """A session of a class or lecture the user runs (community staff: any; partner staff: their
    organisation's; an organiser: hers), or 404."""
    try:
        return (
            Session.objects.select_related("activity__youth", "activity__youth__partner")
            .filter(
                activity__youth__isnull=False,
                activity__in=activities_manageable_by(user=user).values("pk"),
            )
            .get(pk=int(session_id))
        )
    except (Session.DoesNotExist, TypeError, ValueError, OverflowError):
        raise Http404("No such session.") from None


def attendance_rows(*, session: Session) -> list[Registration]:
    """Everyone with a confirmed place in the class (the course's registrations, or the session's), with
    ``present_at`` (this meeting's check-in time or None), ``attended`` (meetings attended so far) and her
    booking's family grouping; children and accompanying adults alike. One query."""
    pool = (
        Q(activity_id=session.activity_id, session__isnull=True)
        if session.activity.is_course
        else Q(session_id=session.pk)
    )
    at = CheckIn.objects.filter(session=session, registration=OuterRef("pk")).values("checked_in_at")[:1]
    return list(
        Registration.objects.filter(pool, status=RegistrationStatus.CONFIRMED)
        .annotate(
            present_at=Subquery(at),
            attended=_count(CheckIn.objects.filter(registration=OuterRef("pk")), "registration"),
        )
        .select_related("person")
        .order_by("booking_id", "person__birth_date", "pk")
    )


def attendance_counts(rows: list[Registration], *, day: datetime.date) -> dict[str, int]:
    """Booked and present, all and children only; sets ``row.age`` (her age on the session's day)."""
    for r in rows:
        r.age = r.person.age_on(day) if r.person.birth_date else None
    children = [r for r in rows if r.age is not None and r.age < ADULT_AGE]
    return {
        "booked": len(rows),
        "present": sum(1 for r in rows if r.present_at),
        "children": len(children),
        "children_present": sum(1 for r in children if r.present_at),
    }


def walk_in_candidates(*, viewer, q: str, booked, limit: int = 10) -> list:
    """People the staff member may serve matching ``q`` (the platform's person search), not already
    booked in the class: who came without booking. One query."""
    from portal.community.selectors import people_search

    return list(people_search(viewer=viewer, q=q).exclude(pk__in=list(booked)).order_by("name", "pk")[:limit])


def class_sessions(*, session: Session) -> list[Session]:
    """The meetings of the session's class, for moving between them (one query)."""
    return list(
        Session.objects.filter(activity_id=session.activity_id, cancelled=False)
        .annotate(present=_count(CheckIn.objects.filter(session=OuterRef("pk")), "session"))
        .order_by("starts_at", "pk")
    )


# --- the front door ------------------------------------------------------------------------------


def youth_shifts_open(*, now: datetime.datetime | None = None, limit: int = SHIFTS_MAX) -> list[Shift]:
    """Volunteer shifts of youth activities (classes, lectures, day-care weeks) with a slot left and not
    started: the college students' way in (they sign up on the engine's shift page). One query."""
    now = now or timezone.now()
    return list(
        _with_taken(
            Shift.objects.filter(
                starts_at__gt=now,
                session__cancelled=False,
                session__activity__status=ActivityStatus.PUBLISHED,
                session__activity__area=Area.YOUTH,
            )
        )
        .filter(slots_left__gt=0)
        .select_related("session__activity")
        .order_by("starts_at", "role", "id")[:limit]
    )


def index_counts(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """How many classes and lectures are coming (one query)."""
    now = now or timezone.now()
    upcoming = Session.objects.filter(activity=OuterRef("activity_id"), cancelled=False, starts_at__gt=now)
    rows = (
        YouthActivity.objects.filter(activity__status=ActivityStatus.PUBLISHED)
        .filter(Exists(upcoming))
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    out = {k: 0 for k in ProgrammeKind.values}
    out.update({r["kind"]: r["n"] for r in rows})
    return out


def may_create_youth_activity(user) -> bool:
    from events.services.activities import may_create_activity

    return may_create_activity(user)


def staff_links_for(user) -> bool:
    return may_run_youth(user)
