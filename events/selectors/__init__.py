"""Reads of the registration engine, scoped to the acting user; page cost independent of row counts.

* Residents see published activities; staff see what they may manage (community staff: all; partner
  staff: their organisation's; anyone: what she organises).
* A registration, booking or offer is visible to the user who booked it, to whoever may act for its
  person, and to those who manage its activity. Lookups by id raise ``Http404`` outside that scope.
"""

from __future__ import annotations

import datetime
import functools
import re

from django.db import connection
from django.db.models import (
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

from portal.community.models import ACTING_RELATIONS, Person, Relation
from portal.community.search import name_search_q
from portal.community.selectors import person_of, phone_digits_q
from portal.db import instances_from_row, select_list

from ..models import (
    ACTIVE_STATUSES,
    SEATED_STATUSES,
    Activity,
    ActivityStatus,
    Booking,
    CheckIn,
    EarlyWindowFor,
    Offer,
    Registration,
    RegistrationStatus,
    Session,
)

# --- who manages what ---------------------------------------------------------------------------


def activities_manageable_by(*, user) -> QuerySet[Activity]:
    if user is None or not user.is_authenticated or not user.is_active:
        return Activity.objects.none()
    if user.is_community_staff:
        return Activity.objects.all()
    q = Q(organiser_user_id=user.pk)
    if user.is_partner_staff and user.organization_id:
        q |= Q(organiser_org_id=user.organization_id)
    return Activity.objects.filter(q)


def can_manage_activity(*, user, activity: Activity) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_community_staff or activity.organiser_user_id == user.pk:
        return True
    return bool(
        user.is_partner_staff and user.organization_id and activity.organiser_org_id == user.organization_id
    )


# --- activities and sessions --------------------------------------------------------------------


def _seat_counts(qs: QuerySet[Session]) -> QuerySet[Session]:
    """Annotate ``seats_taken``, ``seats_left`` and ``waitlisted`` with subqueries (no N+1), all three
    in the activity's unit: families are counted as distinct bookings when the activity counts families
    (a waiting family of three is one family waiting, as it would take one place), persons otherwise.
    ``waitlisted_persons`` is the number of people waiting."""
    seated = Registration.objects.filter(session=OuterRef("pk"), status__in=SEATED_STATUSES)
    persons = seated.order_by().values("session").annotate(n=Count("pk")).values("n")
    families = seated.order_by().values("session").annotate(n=Count("booking", distinct=True)).values("n")
    waiting = Registration.objects.filter(session=OuterRef("pk"), status=RegistrationStatus.WAITLISTED)
    waiting_persons = waiting.order_by().values("session").annotate(n=Count("pk")).values("n")
    waiting_families = (
        waiting.order_by().values("session").annotate(n=Count("booking", distinct=True)).values("n")
    )
    qs = qs.annotate(
        _persons=Coalesce(Subquery(persons, output_field=IntegerField()), Value(0)),
        _families=Coalesce(Subquery(families, output_field=IntegerField()), Value(0)),
        waitlisted_persons=Coalesce(Subquery(waiting_persons, output_field=IntegerField()), Value(0)),
        _waiting_families=Coalesce(Subquery(waiting_families, output_field=IntegerField()), Value(0)),
    ).annotate(
        seats_taken=Case(
            When(activity__capacity_unit="family", then="_families"),
            default="_persons",
            output_field=IntegerField(),
        ),
        waitlisted=Case(
            When(activity__capacity_unit="family", then="_waiting_families"),
            default="waitlisted_persons",
            output_field=IntegerField(),
        ),
    )
    return qs.annotate(seats_left=Greatest(Value(0), F("capacity") - F("seats_taken")))


def sessions_with_seats(qs: QuerySet[Session] | None = None) -> QuerySet[Session]:
    """Sessions (default: all) with ``seats_taken``, ``seats_left`` and ``waitlisted`` annotated."""
    qs = qs if qs is not None else Session.objects.all()
    return _seat_counts(qs.select_related("activity"))


def course_seats_left(*, activity: Activity) -> int:
    seated = Registration.objects.filter(activity=activity, session__isnull=True, status__in=SEATED_STATUSES)
    taken = seated.values("booking").distinct().count() if activity.counts_families else seated.count()
    return max((activity.capacity or 0) - taken, 0)


def _window_open_q(now: datetime.datetime) -> Q:
    not_closed = Q(booking_closes_at__isnull=True) | Q(booking_closes_at__gt=now)
    general = Q(booking_opens_at__isnull=True) | Q(booking_opens_at__lte=now)
    return not_closed & general


def _early_open_q(person: Person | None, now: datetime.datetime) -> Q:
    if person is None:
        return Q(pk__in=[])
    early = Q(early_opens_at__lte=now, booking_opens_at__gt=now) & (
        Q(booking_closes_at__isnull=True) | Q(booking_closes_at__gt=now)
    )
    who = Q(early_for=EarlyWindowFor.GROUP, early_group__members=person)
    if person.is_active and person.household_id:
        who |= Q(early_for=EarlyWindowFor.RESIDENTS)
    return early & who


def activities_open_for(*, person: Person | None, now: datetime.datetime | None = None) -> QuerySet[Activity]:
    """Published activities whose booking window is open to ``person`` now (the general window, or the
    early window when she is in its priority group) and that have a session still to come."""
    now = now or timezone.now()
    upcoming = Session.objects.filter(activity=OuterRef("pk"), cancelled=False, starts_at__gt=now)
    return (
        Activity.objects.published()
        .filter(_window_open_q(now) | _early_open_q(person, now))
        .filter(Exists(upcoming))
        .select_related("organiser_org", "organiser_user", "target_group")
        .distinct()
        .order_by("booking_closes_at", "id")
    )


def sessions_open_for(*, person: Person | None, now: datetime.datetime | None = None) -> QuerySet[Session]:
    """Upcoming sessions of the activities open to ``person``, with seat counts."""
    now = now or timezone.now()
    activities = activities_open_for(person=person, now=now)
    qs = Session.objects.filter(activity__in=activities.values("pk"), cancelled=False, starts_at__gt=now)
    return sessions_with_seats(qs).order_by("starts_at", "id")


def activities_visible_to(*, user) -> QuerySet[Activity]:
    published = Activity.objects.filter(status=ActivityStatus.PUBLISHED)
    if user is None or not user.is_authenticated:
        return published
    return Activity.objects.filter(
        Q(status=ActivityStatus.PUBLISHED) | Q(pk__in=activities_manageable_by(user=user).values("pk"))
    )


def activity_get_for(*, user, activity_id) -> Activity:
    try:
        return (
            activities_visible_to(user=user)
            .select_related("organiser_org", "organiser_user")
            .get(pk=activity_id)
        )
    except (Activity.DoesNotExist, ValueError, TypeError):
        raise Http404("No such activity.") from None


def session_get_for(*, user, session_id) -> Session:
    try:
        return (
            Session.objects.select_related("activity")
            .filter(activity__in=activities_visible_to(user=user).values("pk"))
            .get(pk=session_id)
        )
    except (Session.DoesNotExist, ValueError, TypeError):
        raise Http404("No such session.") from None


def session_of_activity_get(*, user, activity_id, session_id) -> Session | None:
    """One session of an activity the user can see, with its activity, in one query (a booking POST);
    None when there is no such session of that activity."""
    # ``Session.objects.select_related("activity").filter(pk=session_id, activity_id=activity_id)``, in SQL
    # written once: every booking POST reads it, and building it through the ORM cost several times what
    # running it does (issue 13; tests/events/test_selectors.py holds the two equal).
    with connection.cursor() as cursor:
        cursor.execute(_session_with_activity_sql(connection.vendor), [session_id, activity_id])
        row = cursor.fetchone()
    session = None
    if row is not None:
        session, activity = instances_from_row(row, Session, Activity)
        session.activity = activity
    if session is None or session.activity.status == ActivityStatus.PUBLISHED:
        return session  # a published activity is visible to everyone (``activities_visible_to``)
    if not activities_visible_to(user=user).filter(pk=activity_id).exists():
        return None
    return session


@functools.lru_cache(maxsize=4)
def _session_with_activity_sql(vendor: str) -> str:
    qn = connection.ops.quote_name
    session, activity = Session._meta, Activity._meta
    # Only the models' own table and column names go into the text; the ids are parameters.
    return (
        f"SELECT {select_list(Session, 's')}, {select_list(Activity, 'a')} "  # noqa: S608
        f"FROM {qn(session.db_table)} s INNER JOIN {qn(activity.db_table)} a "
        f"ON a.{qn(activity.pk.column)} = s.{qn(session.get_field('activity').column)} "
        f"WHERE s.{qn(session.pk.column)} = %s AND s.{qn(session.get_field('activity').column)} = %s"
    )


def activity_manageable_get(*, user, activity_id) -> Activity:
    try:
        return activities_manageable_by(user=user).get(pk=activity_id)
    except (Activity.DoesNotExist, ValueError, TypeError):
        raise Http404("No such activity.") from None


# --- registrations, bookings, offers ------------------------------------------------------------


def _family_q(user, *, include_on_behalf: bool = True) -> Q:
    """Her own registrations, those of the people she acts for, and the bookings she made (those made
    by staff on a resident's behalf only with ``include_on_behalf``)."""
    me = person_of(user)
    q = Q(booking__booked_by_id=user.pk)
    if not include_on_behalf:
        q &= Q(booking__on_behalf=False)
    if me is not None:
        acting = Relation.objects.filter(subject_id=me.pk, kind__in=ACTING_RELATIONS).values("relative_id")
        q |= Q(person_id=me.pk) | Q(person_id__in=acting)
    return q


def registrations_visible_to(*, user) -> QuerySet[Registration]:
    if user is None or not user.is_authenticated or not user.is_active:
        return Registration.objects.none()
    q = _family_q(user)
    if not user.is_community_staff:
        q |= Q(activity__in=activities_manageable_by(user=user).values("pk"))
        return Registration.objects.filter(q)
    return Registration.objects.all()


def family_bookings(*, user, include_past: bool = False) -> QuerySet[Registration]:
    """The registrations of her and everyone she acts for (and anyone she booked), newest first, with
    activity, session, person and any open offer joined in."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Registration.objects.none()
    qs = Registration.objects.filter(_family_q(user, include_on_behalf=False)).select_related(
        "activity", "session", "person", "booking", "offer"
    )
    if not include_past:
        now = timezone.now()
        qs = qs.filter(Q(session__isnull=True) | Q(session__ends_at__gte=now))
    return qs.order_by("session__starts_at", "activity_id", "person_id")


def places_held(*, activity: Activity, people, sessions) -> list[tuple[Person, str]]:
    """Who among ``people`` already holds a place (a seat, an offer, a waitlist place or a lottery
    application) in every pool the booking form offers: the course itself, or each of ``sessions``.
    ``[(person, status)]`` in the order of ``people``; one query. The booking form shows them as booked
    instead of as boxes to tick (a person booked for one session of several may still book another)."""
    session_ids = [] if activity.is_course else [s.pk for s in sessions]
    if not activity.is_course and not session_ids:
        return []
    regs = Registration.objects.filter(activity=activity, person__in=people, status__in=ACTIVE_STATUSES)
    regs = (
        regs.filter(session__isnull=True) if activity.is_course else regs.filter(session_id__in=session_ids)
    )
    by_person: dict[int, dict[int | None, str]] = {}
    for person_id, session_id, status in regs.values_list("person_id", "session_id", "status").order_by("id"):
        by_person.setdefault(person_id, {})[session_id] = status
    needed = {None} if activity.is_course else set(session_ids)
    held = []
    for person in people:
        pools = by_person.get(person.pk, {})
        if pools and needed <= set(pools):
            statuses = set(pools.values())
            # The best of her places speaks for her: a seat, then an offer, then a waitlist place.
            for status in ("confirmed", "offered", "waitlisted", "applied"):
                if status in statuses:
                    held.append((person, status))
                    break
    return held


def registration_get_for(*, user, registration_id) -> Registration:
    try:
        return (
            registrations_visible_to(user=user)
            .select_related("activity", "session", "person", "booking", "offer")
            .get(pk=registration_id)
        )
    except (Registration.DoesNotExist, ValueError, TypeError):
        raise Http404("No such registration.") from None


def offer_get_for(*, user, offer_id) -> Offer:
    """An offer to one of her family's bookings (for accept/decline), or Http404."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise Http404("No such offer.")
    visible = Registration.objects.filter(_family_q(user)).values("offer_id")
    try:
        return (
            Offer.objects.select_related("booking__activity", "booking__session")
            .filter(pk__in=visible)
            .get(pk=offer_id)
        )
    except (Offer.DoesNotExist, ValueError, TypeError):
        raise Http404("No such offer.") from None


def booking_get_for(*, user, booking_id) -> Booking:
    visible = registrations_visible_to(user=user).values("booking_id")
    try:
        return Booking.objects.select_related("activity", "session").filter(pk__in=visible).get(pk=booking_id)
    except (Booking.DoesNotExist, ValueError, TypeError):
        raise Http404("No such booking.") from None


def waitlist_position(*, registration: Registration) -> int | None:
    """1 for the next in line; None when she is not waiting. Families wait as one unit."""
    if registration.status != RegistrationStatus.WAITLISTED or registration.queue_no is None:
        return None
    ahead = Registration.objects.filter(
        activity_id=registration.activity_id,
        status=RegistrationStatus.WAITLISTED,
        queue_no__lt=registration.queue_no,
    )
    ahead = (
        ahead.filter(session_id=registration.session_id)
        if registration.session_id
        else ahead.filter(session__isnull=True)
    )
    if registration.activity.counts_families:
        return ahead.values("booking_id").distinct().count() + 1
    return ahead.count() + 1


def pool_counts(*, activity: Activity, session: Session | None = None) -> dict[str, int]:
    """Counts by status for one pool (one query): ``<status>`` in persons, and ``<status>_units`` in the
    activity's unit, the one its places are counted in (distinct bookings when it counts families,
    persons otherwise): "3 families on the waitlist" next to places counted in families."""
    qs = Registration.objects.filter(activity=activity)
    qs = qs.filter(session=session) if session is not None else qs.filter(session__isnull=True)
    by_status = qs.values("status").annotate(n=Count("pk"), families=Count("booking", distinct=True))
    rows = {r["status"]: r for r in by_status.order_by()}
    unit = "families" if activity.counts_families else "n"
    counts = {s: rows[s]["n"] if s in rows else 0 for s in RegistrationStatus.values}
    counts.update({f"{s}_units": rows[s][unit] if s in rows else 0 for s in RegistrationStatus.values})
    return counts


__all__ = [
    "ACTIVE_STATUSES",
    "activities_manageable_by",
    "activities_open_for",
    "activities_visible_to",
    "activity_get_for",
    "activity_manageable_get",
    "booking_get_for",
    "can_manage_activity",
    "course_seats_left",
    "family_bookings",
    "offer_get_for",
    "places_held",
    "pool_counts",
    "registration_get_for",
    "registrations_visible_to",
    "session_get_for",
    "sessions_open_for",
    "sessions_with_seats",
    "waitlist_position",
]


# --- check-in -------------------------------------------------------------------------------------


def checkin_candidates(*, session: Session, q: str, viewer=None):
    """Confirmed registrations of ``session`` whose person matches ``q`` by name as the platform's
    person search matches it (``portal.community.search.name_search_q``: the name, the pinyin "sunyan" or
    the initials "sy", every word matching), or, when ``q`` is phone digits, whose phone (or the booker's
    phone, for people without a phone of their own) ends with them. Only the session's registrations are
    searched: no address, no one outside the session.

    The phone digits match as far as ``viewer`` may search by them
    (``portal.community.selectors.phone_digits_q``: exactly the last 4 digits for a volunteer or activity
    staff; more only for community staff, and a grid worker for her grid). Without a viewer, the
    strictest rule applies. The view counts the search with ``phone_search_limited`` first.
    """
    q = (q or "").strip()
    qs = Registration.objects.filter(status=RegistrationStatus.CONFIRMED).filter(
        Q(session=session) | Q(session__isnull=True, activity_id=session.activity_id)
    )
    if not q:
        return qs.none()
    digits = re.sub(r"\D", "", q)
    match = name_search_q(q, prefix="person__")
    if len(digits) >= 4 and digits == q.replace(" ", ""):
        match = phone_digits_q(
            viewer=viewer,
            digits=digits,
            phone_field="person__phone",
            grid_field="person__household__building__grid_id",
        ) | phone_digits_q(
            viewer=viewer,
            digits=digits,
            phone_field="booking__booked_by__phone",
            grid_field="booking__booked_by__person__household__building__grid_id",
        )
    return qs.filter(match).select_related("person", "booking").order_by("person__name", "pk")


def checkin_counts(*, session: Session) -> dict[str, int]:
    """``checked_in`` and ``booked`` (confirmed persons) for ``session``: two aggregate queries."""
    booked = Registration.objects.filter(status=RegistrationStatus.CONFIRMED).filter(
        Q(session=session) | Q(session__isnull=True, activity_id=session.activity_id)
    )
    return {"checked_in": CheckIn.objects.filter(session=session).count(), "booked": booked.count()}
