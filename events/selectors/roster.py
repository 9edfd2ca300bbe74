"""Reads for the staff pages of an activity: "activities I manage", the manage page's sessions, the
roster of a session (with attendance) and its Excel export.

Every function is scoped to the acting user (``Http404`` for what she may not manage) and costs the same
number of queries at 10 and at 10,000 bookings: counts come from subqueries and aggregates, a waitlist
position from a window function, and the roster is read as ``values()`` (no model instances, so the
export can stream rows with ``iterator()``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, DenseRank, Right
from django.http import Http404
from django.utils import timezone

from ..models import (
    SEATED_STATUSES,
    Activity,
    CheckIn,
    Registration,
    RegistrationStatus,
    Session,
    StaffMessage,
)
from . import activities_manageable_by, pool_counts, sessions_with_seats

#: Roster filters: a registration status, or attendance; "" means everyone holding a place.
ROSTER_FILTERS = ("", *RegistrationStatus.values, "checked_in", "not_checked_in")

_STATUS_ORDER = {
    RegistrationStatus.CONFIRMED: 1,
    RegistrationStatus.OFFERED: 2,
    RegistrationStatus.WAITLISTED: 3,
    RegistrationStatus.APPLIED: 4,
}

#: What a roster row reads (``values()``), no model instances.
ROSTER_FIELDS = (
    "pk",
    "status",
    "queue_no",
    "person_id",
    "person__name",
    "person__birth_date",
    "person_phone_tail",
    "person__user_id",
    "person__household__unit",
    "person__household__room",
    "person__household__building__number",
    "person__household__building__estate__name",
    "booking_id",
    "booking__on_behalf",
    "booking__booked_by_id",
    "booking__booked_by__name",
    "booker_phone_tail",
    "offer__expires_at",
    "checked_in_at",
    "meetings_attended",
    "position",
)


def _count(qs: QuerySet, group: str) -> Subquery:
    return Coalesce(
        Subquery(
            qs.order_by().values(group).annotate(n=Count("pk")).values("n"), output_field=IntegerField()
        ),
        Value(0),
    )


# --- "activities I manage" ----------------------------------------------------------------------


def managed_activities(*, user, now: datetime.datetime | None = None) -> QuerySet[Activity]:
    """The activities ``user`` manages, soonest next session first, each annotated with
    ``upcoming_sessions``, ``next_session_id``, ``next_starts_at``, ``waitlisted`` (waiting for an
    upcoming session or the course, in the activity's unit: families, i.e. bookings, when it counts
    families, else persons) and ``attended`` (check-ins so far). One query."""
    now = now or timezone.now()
    upcoming = Session.objects.filter(activity=OuterRef("pk"), cancelled=False, starts_at__gt=now)
    waiting = Registration.objects.filter(
        activity=OuterRef("pk"), status=RegistrationStatus.WAITLISTED
    ).filter(Q(session__isnull=True) | Q(session__cancelled=False, session__starts_at__gt=now))
    attended = CheckIn.objects.filter(session__activity=OuterRef("pk"))
    return (
        activities_manageable_by(user=user)
        .select_related("organiser_org", "organiser_user")
        .annotate(
            upcoming_sessions=_count(upcoming, "activity"),
            next_session_id=Subquery(upcoming.order_by("starts_at", "id").values("pk")[:1]),
            next_starts_at=Subquery(upcoming.order_by("starts_at", "id").values("starts_at")[:1]),
            _waiting_persons=_count(waiting, "activity"),
            _waiting_families=Coalesce(
                Subquery(
                    waiting.order_by()
                    .values("activity")
                    .annotate(n=Count("booking", distinct=True))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                Value(0),
            ),
            attended=_count(attended, "session__activity"),
        )
        .annotate(
            waitlisted=Case(
                When(capacity_unit="family", then="_waiting_families"),
                default="_waiting_persons",
                output_field=IntegerField(),
            )
        )
        .order_by(F("next_starts_at").asc(nulls_last=True), "-id")
    )


def next_session_seats(activities: Iterable[Activity]) -> dict[int, tuple[int, int]]:
    """``{activity id: (seats taken, capacity)}`` for the next session of each activity (annotated by
    ``managed_activities``); a course counts its whole pool. At most two queries for a page."""
    activities = list(activities)
    ids = [a.next_session_id for a in activities if a.next_session_id]
    sessions = {s.pk: s for s in sessions_with_seats(Session.objects.filter(pk__in=ids))} if ids else {}
    courses = [a for a in activities if a.is_course]
    taken: dict[int, int] = {}
    if courses:
        rows = (
            Registration.objects.filter(
                activity__in=[a.pk for a in courses], session__isnull=True, status__in=SEATED_STATUSES
            )
            .values("activity")
            .annotate(persons=Count("pk"), families=Count("booking", distinct=True))
            .order_by()
        )
        by_id = {a.pk: a for a in courses}
        taken = {
            r["activity"]: r["families"] if by_id[r["activity"]].counts_families else r["persons"]
            for r in rows
        }
    out = {}
    for a in activities:
        if a.is_course:
            out[a.pk] = (taken.get(a.pk, 0), a.capacity or 0)
        elif a.next_session_id in sessions:
            s = sessions[a.next_session_id]
            out[a.pk] = (s.seats_taken, s.capacity)
    return out


# --- one activity ---------------------------------------------------------------------------------


def session_manageable_get(*, user, session_id) -> Session:
    """A session of an activity ``user`` manages, with its activity, or ``Http404``."""
    try:
        return (
            Session.objects.select_related("activity", "activity__organiser_org", "activity__organiser_user")
            .filter(activity__in=activities_manageable_by(user=user).values("pk"))
            .get(pk=session_id)
        )
    except (Session.DoesNotExist, ValueError, TypeError):
        raise Http404("No such session.") from None


def manage_sessions(*, activity: Activity) -> QuerySet[Session]:
    """Every session of the activity with ``seats_taken``, ``seats_left``, ``waitlisted`` and
    ``checked_in`` annotated (one query)."""
    checked = CheckIn.objects.filter(session=OuterRef("pk"))
    return (
        sessions_with_seats(activity.sessions.all())
        .annotate(checked_in=_count(checked, "session"))
        .order_by("starts_at", "id")
    )


def activity_pool_counts(*, activity: Activity) -> dict[str, int] | None:
    """Counts by status of a course's pool (None for an activity booked session by session)."""
    return pool_counts(activity=activity) if activity.is_course else None


def staff_messages_of(*, activity: Activity, limit: int = 10) -> list[StaffMessage]:
    """The latest messages staff sent about the activity: who sent what, to how many. One query."""
    return list(
        StaffMessage.objects.filter(activity=activity)
        .select_related("sent_by", "session")
        .order_by("-created_at", "-id")[:limit]
    )


# --- the roster -------------------------------------------------------------------------------------


def _pool(session: Session) -> Q:
    if session.activity.is_course:
        return Q(activity_id=session.activity_id, session__isnull=True)
    return Q(session=session)


def roster_queryset(*, session: Session, show: str = "") -> QuerySet:
    """The roster of ``session`` as ``values()`` rows (see ``ROSTER_FIELDS``): for a course, the course's
    registrations with this meeting's attendance. ``show`` is one of ``ROSTER_FILTERS``; by default
    everyone holding a place (confirmed, offered, waitlisted, applied). ``position`` is the place in the
    waitlist (a family waits as one unit: its members share a number). One query."""
    if show not in ROSTER_FILTERS:
        show = ""
    at = CheckIn.objects.filter(session=session, registration=OuterRef("pk")).values("checked_in_at")[:1]
    qs = Registration.objects.filter(_pool(session)).annotate(
        checked_in_at=Subquery(at),
        # only the last digits ever leave the database (privacy), and no phone number object per row
        person_phone_tail=Right(F("person__phone"), 4, output_field=CharField()),
        booker_phone_tail=Right(F("booking__booked_by__phone"), 4, output_field=CharField()),
    )
    if session.activity.is_course:
        qs = qs.annotate(
            meetings_attended=_count(CheckIn.objects.filter(registration=OuterRef("pk")), "registration")
        )
    else:
        qs = qs.annotate(meetings_attended=Value(None, output_field=IntegerField()))
    if show in RegistrationStatus.values:
        qs = qs.filter(status=show)
    else:
        qs = qs.filter(status__in=list(_STATUS_ORDER))
        if show == "checked_in":
            qs = qs.filter(checked_in_at__isnull=False)
        elif show == "not_checked_in":
            qs = qs.filter(checked_in_at__isnull=True, status=RegistrationStatus.CONFIRMED)
    status_rank = Case(
        *(When(status=s, then=Value(n)) for s, n in _STATUS_ORDER.items()),
        default=Value(9),
        output_field=IntegerField(),
    )
    qs = qs.annotate(
        status_rank=status_rank,
        position=Window(
            DenseRank(), partition_by=[F("status")], order_by=[F("queue_no").asc(nulls_last=True)]
        ),
    )
    return qs.values(*ROSTER_FIELDS).order_by(
        "status_rank", F("queue_no").asc(nulls_last=True), "person__name_pinyin", "person__name", "pk"
    )


def roster_counts(*, session: Session) -> dict[str, int]:
    """Counts by status in the session's pool plus ``checked_in`` for this session: two queries."""
    counts = pool_counts(activity=session.activity, session=None if session.activity.is_course else session)
    counts["checked_in"] = CheckIn.objects.filter(session=session).count()
    return counts


def phone_tail(phone) -> str:
    """Only the last four digits of a phone number (privacy): "****1111"."""
    digits = re.sub(r"\D", "", str(phone or ""))
    return f"****{digits[-4:]}" if len(digits) >= 4 else ""


def age_on(birth_date: datetime.date | None, day: datetime.date) -> int | None:
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _address(row: dict) -> str:
    estate = row.get("person__household__building__estate__name")
    if not estate:
        return ""
    numbers = "-".join(
        str(p)
        for p in (
            row.get("person__household__building__number"),
            row.get("person__household__unit"),
            row.get("person__household__room"),
        )
        if p
    )
    return f"{estate} {numbers}"


def roster_row(row: dict, *, day: datetime.date) -> dict:
    """A roster row for a page or the export: no full phone number, the age on the session date, the
    household as "estate 3-1-502", the booker and whether staff booked on the person's behalf."""
    own = row["person__user_id"] is not None and row["person__user_id"] == row["booking__booked_by_id"]
    return {
        "pk": row["pk"],
        "name": row["person__name"],
        "age": age_on(row["person__birth_date"], day),
        "household": _address(row),
        "booked_by": row["booking__booked_by__name"] or phone_tail(row["booker_phone_tail"]),
        "booked_by_self": own,
        "on_behalf": row["booking__on_behalf"],
        "status": row["status"],
        "status_label": RegistrationStatus(row["status"]).label,
        "position": row["position"] if row["status"] == RegistrationStatus.WAITLISTED else None,
        "offer_expires_at": row["offer__expires_at"] if row["status"] == RegistrationStatus.OFFERED else None,
        # Her own phone, else the family member who booked for her; never the staff member who booked
        # on her behalf (the desk's number would be no use for reaching her).
        "phone_tail": phone_tail(row["person_phone_tail"])
        or ("" if row["booking__on_behalf"] else phone_tail(row["booker_phone_tail"])),
        "checked_in_at": row["checked_in_at"],
        "meetings_attended": row["meetings_attended"],
    }


def roster_rows(*, session: Session, show: str = "", chunk_size: int = 2000) -> Iterator[dict]:
    """Every roster row, streamed from one query (for the export)."""
    day = session.local_date
    for row in roster_queryset(session=session, show=show).iterator(chunk_size=chunk_size):
        yield roster_row(row, day=day)


def session_cancel_told(*, session: Session) -> int:
    """How many people the cancellation notice of ``session`` went to (each counted once, whatever the
    number of channels and of her bookings): read back from the outbox rows written by ``session_cancel``."""
    from portal.notify.models import Message

    rows = Message.objects.filter(key__startswith=f"events.session_cancelled:{session.pk}:").values_list(
        "user_id", "person_id"
    )
    # A carer told about her own children's booking and about her mother's is one person told.
    return len({("user", user_id) if user_id else ("person", person_id) for user_id, person_id in rows})


# --- roster actions: one row's registration, its full phone number ----------------------------------


def roster_registration_get(*, session: Session, registration_id) -> Registration:
    """A registration on the roster of ``session`` (its own, or the course's pool), with its booking,
    booker and person, or ``Http404``. ``session`` comes from ``session_manageable_get`` (scoped)."""
    try:
        return (
            Registration.objects.select_related(
                "booking__booked_by", "person", "activity", "session", "offer"
            )
            .filter(_pool(session))
            .get(pk=registration_id)
        )
    except (Registration.DoesNotExist, ValueError, TypeError):
        raise Http404("No such registration on this roster.") from None


def roster_phone_reveal(*, viewer, session: Session, registration_id, ip: str | None = None) -> dict:
    """The full number behind a roster row's masked one (to call a no-show), logged every time.

    The same number the row shows the last digits of: her own phone, else that of the family member who
    booked for her (never the desk's, for a booking staff made on her behalf). Each reveal writes one
    ``AccessLog`` row, the record of every view of sensitive data: who saw whose number, when, where.
    Returns ``{"pk", "phone", "name"}``, ``phone`` None when there is no number (nothing logged then)."""
    from portal.community.models import AccessLog, Person

    reg = roster_registration_get(session=session, registration_id=registration_id)
    phone, owner = reg.person.phone or None, reg.person
    if not phone and not reg.booking.on_behalf and reg.booking.booked_by.phone:
        phone = reg.booking.booked_by.phone
        owner = Person.objects.filter(user_id=reg.booking.booked_by_id).first() or reg.person
    if phone:
        AccessLog.objects.create(
            user=viewer,
            person=owner,
            fields="phone",
            reason=f"events roster, session {session.pk}, registration {reg.pk}"[:100],
            ip_address=ip or None,
        )
    return {"pk": reg.pk, "phone": phone, "name": owner.name}


__all__ = [
    "ROSTER_FILTERS",
    "activity_pool_counts",
    "age_on",
    "manage_sessions",
    "managed_activities",
    "next_session_seats",
    "phone_tail",
    "roster_counts",
    "roster_phone_reveal",
    "roster_queryset",
    "roster_registration_get",
    "roster_row",
    "roster_rows",
    "session_cancel_told",
    "session_manageable_get",
    "staff_messages_of",
]
