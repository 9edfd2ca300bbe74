"""Booking: for herself and the dependents she acts for, by staff on a resident's behalf, cancelling.

In a first-come-first-served activity a booking takes the seats left, in the order the persons are
given, and puts the rest on the waitlist (or is refused whole when there is no waitlist). In a lottery
activity it is an application (status ``applied``), settled by ``lottery.lottery_draw``.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.audit import set_actor
from portal.community.models import Person
from portal.community.selectors import may_act_for, people_actable_among, people_visible_to

from ..models import (
    ACTIVE_STATUSES,
    SEATED_STATUSES,
    Activity,
    Booking,
    LotteryDraw,
    Offer,
    Registration,
    RegistrationStatus,
    Session,
)
from ._messages import notify_booking
from ._pool import Pool, pool_claim, pool_for, pool_lock, pool_take, pool_take_supported, race_pause
from .eligibility import activity_bookable, booking_refusals, person_eligible
from .lottery import lottery_commitment_ensure
from .reminders import reminders_cancel_for, reminders_schedule_new


def _held_here(pool: Pool, persons: Sequence[Person]) -> set[int]:
    """Those of ``persons`` who already hold a place (or wait, or applied) in the pool."""
    return set(
        pool.registrations()
        .filter(status__in=ACTIVE_STATUSES, person_id__in=[p.pk for p in persons])
        .order_by()
        .values_list("person_id", flat=True)
    )


def _already_booked(persons: Sequence[Person], held: set[int]) -> list[str]:
    return [_("%(name)s is already booked for this.") % {"name": p.name} for p in persons if p.pk in held]


def _check_people(*, activity, session, persons, now, check_held: bool = True) -> None:
    """Raise one ValidationError with every person's reason, or return when all may be booked.

    Checked once, before the lock: who the persons are (age, group, residence, early window) does not
    change while the seat is decided; what does (the household's places, a second booking of the same
    person) is settled under the lock by ``_household_refusals`` and the one-active-registration
    constraints. ``check_held=False`` (a booking form's POST) leaves a second booking of the same person
    to those constraints (``_book`` then names her), unless the household limit needs to know."""
    errors = []
    for person in persons:
        result = person_eligible(
            activity=activity, session=session, person=person, now=now, together=persons, pool_checks=False
        )
        if not result:
            errors.append(result.reason)
    pool = pool_for(activity=activity, session=session)
    if check_held or activity.max_per_household:
        errors.extend(_already_booked(persons, _held_here(pool, persons)))
    if not errors:
        errors.extend(_household_refusals(pool=pool, persons=persons))
    # The rules on the booking as a whole that service areas add (who may be booked together).
    errors.extend(booking_refusals(activity=activity, persons=persons, now=now))
    if errors:
        raise ValidationError(errors, code="not_eligible")


def _household_refusals(*, pool: Pool, persons: Sequence[Person]) -> list[str]:
    """The per-household maximum (``Activity.max_per_household``), for all the persons at once."""
    limit = pool.activity.max_per_household
    households = Counter(p.household_id for p in persons if p.household_id)
    if not limit or not households:
        return []
    taken = dict(
        pool.registrations()
        .filter(status__in=ACTIVE_STATUSES, person__household_id__in=list(households))
        .values_list("person__household_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    reasons, seen = [], Counter()
    for person in persons:
        if not person.household_id:
            continue
        seen[person.household_id] += 1
        already = taken.get(person.household_id, 0)
        if already + seen[person.household_id] > limit:
            reasons.append(
                _(
                    "At most %(max)s people per household may book this; %(taken)s from %(name)s's household already have."
                )
                % {"max": limit, "taken": already + seen[person.household_id] - 1, "name": person.name}
            )
    return reasons


def _distinct(persons: Sequence[Person]) -> list[Person]:
    out, seen = [], set()
    for p in persons:
        if p.pk not in seen:
            seen.add(p.pk)
            out.append(p)
    if not out:
        raise ValidationError(_("Choose at least one person to book for."), code="no_persons")
    return out


@dataclass(frozen=True)
class Decision:
    """What a booking got, person by person (in the order booked): ``statuses``, the waitlist numbers
    (``queue_nos``) and places in line (``positions``, 1 = next; None when not waiting). Kept on the
    returned booking as ``booking.decision`` (and ``booking.persons``), so that the page saying what
    happened need not read back what was just written."""

    statuses: list[str]
    queue_nos: list[int | None]
    positions: list[int | None]


def _sold_out(pool: Pool) -> bool:
    """A first-come pool with no waitlist and no seat left, from the counters as last read (no lock)."""
    activity = pool.activity
    if activity.is_lottery or activity.waitlist_enabled:
        return False
    row = pool.row
    return row.pool_waitlisted > 0 or row.pool_seats_taken >= pool.capacity


def _check_pool_open(*, activity: Activity, session: Session | None, now: datetime.datetime) -> None:
    """Refuse what holds for everyone: the activity or session not bookable now, or sold out with no
    waitlist (from the counters as read, without the lock: a seat given back later is there for whoever
    asks next)."""
    base = activity_bookable(activity=activity, session=session, now=now)
    if not base:
        raise ValidationError(base.reason, code=base.code)
    if _sold_out(pool_for(activity=activity, session=session)):
        raise ValidationError(_("This is fully booked."), code="full")


def _book(
    *,
    actor,
    activity: Activity,
    session: Session | None,
    persons: list[Person],
    on_behalf: bool,
    now: datetime.datetime,
    pool_checked: bool = False,
    check_held: bool = True,
) -> Booking:
    if not activity.is_course and session is None:
        raise ValidationError(_("Choose a session to book."), code="no_session")
    if activity.is_course:
        session = None
    if not pool_checked:
        _check_pool_open(activity=activity, session=session, now=now)
    _check_people(activity=activity, session=session, persons=persons, now=now, check_held=check_held)
    try:
        with transaction.atomic(), set_actor(actor):
            # Written before the lock: the booking row is this request's own until it commits.
            booking = Booking.objects.create(
                activity=activity, session=session, booked_by=actor, on_behalf=on_behalf
            )
            pool = pool_for(activity=activity, session=session)
            # The common case, a first-come pool without a household limit, in one statement; anything
            # else (and the reason of a refusal) from the locked row.
            decision = _claim_at_once(pool=pool, persons=persons)
            if decision is None:
                pool = pool_lock(pool)
                race_pause()
                if pool.session is not None and pool.session.cancelled:
                    raise ValidationError(_("This session has been cancelled."), code="session_cancelled")
                refusals = _household_refusals(pool=pool, persons=persons)
                if refusals:
                    raise ValidationError(refusals, code="not_eligible")
                decision = _allocate(pool=pool, persons=persons)
            Registration.objects.bulk_create(
                [
                    Registration(
                        booking=booking,
                        activity=activity,
                        session=pool.session,
                        person=person,
                        status=status,
                        queue_no=queue_no,
                    )
                    for person, status, queue_no in zip(
                        persons, decision.statuses, decision.queue_nos, strict=True
                    )
                ]
            )
            # The seat is decided: what follows only records it (still in this transaction).
            if RegistrationStatus.CONFIRMED in decision.statuses:
                # The reminder rows now (the periodic scan is only the safety net).
                reminders_schedule_new(booking=booking, session=pool.session, now=now)
            if on_behalf:
                _notify_booked_on_behalf(booking=booking, persons=persons, statuses=decision.statuses)
    except IntegrityError as exc:
        # The same person booked twice at the same moment (two taps, two phones): the second one meets
        # the one-active-registration constraint, checked by the database under the lock.
        if not _one_place_violated(exc):
            raise
        # Named, read after the rollback: who holds the place now (the other tap's booking committed).
        held = _already_booked(persons, _held_here(pool_for(activity=activity, session=session), persons))
        raise ValidationError(
            held or _("Someone in this booking has just been booked for this."), code="already_booked"
        ) from exc
    booking.decision = decision
    booking.persons = persons
    return booking


def _one_place_violated(exc: IntegrityError) -> bool:
    """Whether ``exc`` is a registration's one-active-place-per-person constraint: PostgreSQL names the
    constraint, SQLite the columns of the unique index."""
    text = str(exc)
    return "registration_one_per_person" in text or (
        "UNIQUE constraint failed: events_registration." in text and "events_registration.person_id" in text
    )


def _notify_booked_on_behalf(*, booking: Booking, persons: list[Person], statuses: list[str]) -> None:
    """Staff booked for residents: tell them, or those who act for them (a child's guardian)."""
    by_status: dict[str, list[str]] = {}
    for person, status in zip(persons, statuses, strict=True):
        by_status.setdefault(status, []).append(person.name)
    notify_booking(
        booking=booking,
        template="events.booked_on_behalf",
        key=f"events.booked_on_behalf:{booking.pk}",
        context={
            "confirmed": "、".join(by_status.get(RegistrationStatus.CONFIRMED, [])),
            "waitlisted": "、".join(by_status.get(RegistrationStatus.WAITLISTED, [])),
            "applied": "、".join(by_status.get(RegistrationStatus.APPLIED, [])),
        },
        persons=persons,
    )


def _one_statement_applies(pool: Pool, persons: Sequence[Person]) -> bool:
    """Whether the booking's seats can be decided by ``pool_take``: a first-come pool counting persons,
    with no household limit to check under the lock."""
    activity = pool.activity
    return (
        pool_take_supported()
        and not activity.is_lottery
        and not activity.counts_families
        and not (activity.max_per_household and any(p.household_id for p in persons))
    )


def _claim_at_once(*, pool: Pool, persons: Sequence[Person]) -> Decision | None:
    """Lock the pool, decide and move its counters in one statement (``pool_take``), and return the
    decision, which ``_seats_for`` derives from the counters as they were; None when the pool cannot be
    claimed so, or refused (cancelled, full): the locked row then says why."""
    if not _one_statement_applies(pool, persons):
        return None
    count = len(persons)
    before = pool_take(pool, count=count, waitlist=pool.activity.waitlist_enabled)
    if before is None:
        return None
    race_pause()
    taken, waitlisted, last = before
    seats = _seats_for(capacity=pool.capacity, taken=taken, waitlisted=waitlisted, count=count)
    waiting = count - seats
    row = pool.row
    row.pool_seats_taken, row.pool_waitlisted = taken + seats, waitlisted + waiting
    row.pool_last_queue_no = last + waiting
    return Decision(
        [RegistrationStatus.CONFIRMED] * seats + [RegistrationStatus.WAITLISTED] * waiting,
        [None] * seats + list(range(last + 1, last + 1 + waiting)),
        [None] * seats + [waitlisted + i + 1 for i in range(waiting)],
    )


def _seats_for(*, capacity: int, taken: int, waitlisted: int, count: int) -> int:
    """How many of ``count`` persons booked together get a seat: the seats left, none while anyone
    waits (nobody jumps the queue). ``pool_take`` computes the same in SQL."""
    left = 0 if waitlisted > 0 else max(capacity - taken, 0)
    return min(left, count)


def _allocate(*, pool: Pool, persons: Sequence[Person]) -> Decision:
    """The status, waitlist number and place in line of each person booked together, decided from the
    locked pool's counters, which are moved in the same step (``pool_claim``)."""
    count = len(persons)
    activity = pool.activity
    row = pool.row
    if activity.is_lottery:
        if LotteryDraw.objects.filter(activity=activity, session=pool.session).exists():
            raise ValidationError(_("The lottery has already been drawn."), code="lottery_drawn")
        # The seed is committed before the first application is saved (normally long before, when the
        # activity or session was made a lottery; this is the safety net), under the pool's lock.
        lottery_commitment_ensure(activity=activity, session=pool.session)
        return Decision([RegistrationStatus.APPLIED] * count, [None] * count, [None] * count)
    # Nobody jumps the queue: while anyone waits, new bookings wait behind them.
    left = 0 if row.pool_waitlisted > 0 else max(pool.capacity - row.pool_seats_taken, 0)
    if activity.counts_families:
        if left >= 1:
            pool_claim(pool, seats=1, waiting=0, last_queue_no=None)
            return Decision([RegistrationStatus.CONFIRMED] * count, [None] * count, [None] * count)
        seats = 0
    else:
        seats = _seats_for(
            capacity=pool.capacity, taken=row.pool_seats_taken, waitlisted=row.pool_waitlisted, count=count
        )
    waiting = count - seats
    if waiting and not activity.waitlist_enabled:
        if left == 0:
            raise ValidationError(_("This is fully booked."), code="full")
        raise ValidationError(
            ngettext(
                "Only %(left)d place is left, for %(count)d people.",
                "Only %(left)d places are left, for %(count)d people.",
                left,
            )
            % {"left": left, "count": count},
            code="full",
        )
    statuses = [RegistrationStatus.CONFIRMED] * seats + [RegistrationStatus.WAITLISTED] * waiting
    if not waiting:
        pool_claim(pool, seats=seats, waiting=0, last_queue_no=None)
        return Decision(statuses, [None] * count, [None] * count)
    first = row.pool_last_queue_no + 1
    if activity.counts_families:
        # The family waits as one unit: one number, one place in line behind the families waiting.
        ahead = _families_waiting(pool)
        queue, positions, last = [first] * count, [ahead + 1] * count, first
    else:
        queue = [None] * seats + list(range(first, first + waiting))
        positions = [None] * seats + [row.pool_waitlisted + i + 1 for i in range(waiting)]
        last = first + waiting - 1
    pool_claim(pool, seats=seats, waiting=waiting, last_queue_no=last)
    return Decision(statuses, queue, positions)


def _families_waiting(pool: Pool) -> int:
    if not pool.row.pool_waitlisted:
        return 0
    return (
        pool.registrations()
        .filter(status=RegistrationStatus.WAITLISTED)
        .order_by()
        .values("booking_id")
        .distinct()
        .count()
    )


def booking_create(
    *,
    actor,
    activity: Activity,
    persons: Sequence[Person],
    session: Session | None = None,
    now: datetime.datetime | None = None,
) -> Booking:
    """Book ``persons`` (herself and/or people she acts for) in one go. In a lottery activity this is
    the application. Raises ``PermissionDenied`` for a person she may not act for and a translated
    ``ValidationError`` listing each refused person's reason; nothing is saved unless all may be booked.
    The returned booking carries what each person got (``booking.decision``, a :class:`Decision`)."""
    persons = _distinct(persons)
    if len(people_actable_among(actor=actor, person_ids=[p.pk for p in persons])) != len(persons):
        raise PermissionDenied
    return _book(
        actor=actor,
        activity=activity,
        session=session,
        persons=persons,
        on_behalf=False,
        now=now or timezone.now(),
    )


def booking_create_by_ids(
    *,
    actor,
    activity: Activity,
    person_ids: Sequence[int],
    session: Session | None = None,
    now: datetime.datetime | None = None,
) -> Booking:
    """``booking_create`` for the ids a booking form posted: the persons are read, and her right to act
    for each of them checked, in one query, and booked in the form's order (the eldest first).
    ``PermissionDenied`` for an id she may not book for."""
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        raise ValidationError(_("Choose at least one person to book for."), code="no_persons")
    now = now or timezone.now()
    if activity.is_course:
        session = None
    elif session is None:
        raise ValidationError(_("Choose a session to book."), code="no_session")
    # What does not depend on who is booked first, before reading anyone: a sold-out class refuses the
    # crowd at the cost of the session it has already read.
    _check_pool_open(activity=activity, session=session, now=now)
    persons = people_actable_among(actor=actor, person_ids=ids)
    if len(persons) != len(ids):
        raise PermissionDenied
    # In the order the booking form lists them, the eldest first: who is seated when few seats are left.
    persons.sort(key=lambda p: (p.birth_date is None, p.birth_date or datetime.date.min, p.pk))
    return _book(
        actor=actor,
        activity=activity,
        session=session,
        persons=persons,
        on_behalf=False,
        now=now,
        pool_checked=True,
        # A second booking of the same person (two taps) meets the one-place constraints under the
        # lock, and is named then: not worth a query on every booking.
        check_held=False,
    )


def booking_create_on_behalf(
    *,
    staff,
    activity: Activity,
    persons: Sequence[Person],
    session: Session | None = None,
    now: datetime.datetime | None = None,
) -> Booking:
    """Staff book for residents who cannot book themselves (no phone); recorded as on their behalf.

    The same rules apply as for a resident's own booking; the persons must be within the staff
    member's scope (her grid, her organisation's clients, or everyone for community staff)."""
    if staff is None or not staff.is_authenticated or not staff.works_for_community:
        raise PermissionDenied
    persons = _distinct(persons)
    visible = set(
        people_visible_to(viewer=staff).filter(pk__in=[p.pk for p in persons]).values_list("pk", flat=True)
    )
    if len(visible) != len(persons):
        raise PermissionDenied
    return _book(
        actor=staff,
        activity=activity,
        session=session,
        persons=persons,
        on_behalf=True,
        now=now or timezone.now(),
    )


def _may_manage_registration(actor, registration: Registration) -> bool:
    from ..selectors import can_manage_activity

    return (
        registration.booking.booked_by_id == actor.pk
        or may_act_for(actor=actor, person=registration.person)
        or can_manage_activity(user=actor, activity=registration.activity)
    )


def cancel_deadline(*, registration: Registration) -> datetime.datetime | None:
    """Until when a seat can be given back: ``cancel_hours_before`` before the (first) session."""
    session = registration.session
    if session is None:
        session = registration.activity.sessions.filter(cancelled=False).order_by("starts_at").first()
    if session is None:
        return None
    return session.starts_at - datetime.timedelta(hours=registration.activity.cancel_hours_before)


def registration_cancel(
    *, actor, registration: Registration, now: datetime.datetime | None = None, reason: str = ""
) -> Registration:
    """Cancel one person's registration (a seat until the deadline; a waitlist place or a lottery
    application at any time). A freed seat is offered to the next on the waitlist at once. Staff who
    manage the activity may cancel past the deadline (it binds residents); ``reason`` is kept with it."""
    from .waitlist import promote_locked

    now = now or timezone.now()
    if not _may_manage_registration(actor, registration):
        raise PermissionDenied
    with transaction.atomic(), set_actor(actor):
        pool = pool_lock(Pool(activity=registration.activity, session=registration.session))
        reg = Registration.objects.select_related("booking", "person", "activity").get(pk=registration.pk)
        if not reg.is_active:
            raise ValidationError(
                _("This registration is already %(status)s.") % {"status": reg.get_status_display()},
                code="not_active",
            )
        staff = _staff_for(actor, reg)
        if reg.status in SEATED_STATUSES and not staff:
            deadline = cancel_deadline(registration=reg)
            if deadline is not None and now > deadline:
                raise ValidationError(
                    _("Cancellation closed on %(when)s. Please call the community office.")
                    % {"when": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")},
                    code="cancel_deadline",
                )
        freed = reg.status in SEATED_STATUSES
        offer_id = reg.offer_id if reg.status == RegistrationStatus.OFFERED else None
        reg.status = RegistrationStatus.CANCELLED
        reg.cancelled_at = now
        reg.cancelled_by = actor
        reg.cancel_reason = reason[:200]
        reg.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "updated_at"])
        if (
            offer_id
            and not Registration.objects.filter(offer_id=offer_id, status=RegistrationStatus.OFFERED).exists()
        ):
            Offer.objects.filter(pk=offer_id, status=Offer.Status.OPEN).update(
                status=Offer.Status.DECLINED, decided_at=now
            )
        if freed:
            # Pending reminders of a booking nobody is confirmed on any more (others keep theirs).
            reminders_cancel_for(booking=reg.booking)
            promote_locked(pool=pool, now=now)
    registration.refresh_from_db()
    return registration


def _staff_for(actor, reg: Registration) -> bool:
    from ..selectors import can_manage_activity

    return can_manage_activity(user=actor, activity=reg.activity)


#: The longest reason staff may give for cancelling a place on a resident's behalf.
CANCEL_REASON_MAX = 200


def registration_cancel_on_behalf(
    *, staff, registration: Registration, reason: str, now: datetime.datetime | None = None
) -> Registration:
    """Staff cancel one person's place for a resident who asked them to (she phoned the office).

    The one cancel path (``registration_cancel``: the freed seat goes to the waitlist at once), with
    ``cancelled_by`` the staff member and the reason kept; the residents' cancellation deadline does not
    bind staff. Whoever booked (or, for a booking made on her behalf, the person herself) is told, through
    the outbox, that the committee cancelled it on her behalf at her request."""
    if staff is None or not staff.is_authenticated or not _staff_for(staff, registration):
        raise PermissionDenied
    reason = " ".join((reason or "").split()).rstrip("。.")
    if not reason:
        raise ValidationError(
            {"reason": _("Give the reason, e.g. “the resident phoned to cancel”.")}, code="no_reason"
        )
    if len(reason) > CANCEL_REASON_MAX:
        raise ValidationError(
            {"reason": _("The reason can be at most %(n)d characters long.") % {"n": CANCEL_REASON_MAX}},
            code="reason_too_long",
        )
    with transaction.atomic():
        reg = registration_cancel(actor=staff, registration=registration, now=now, reason=reason)
        notify_booking(
            booking=reg.booking,
            template="events.cancelled_on_behalf",
            key=f"events.cancelled_on_behalf:{reg.pk}",
            context={"reason": reason},
            persons=[reg.person],
        )
    return reg
