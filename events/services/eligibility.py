"""Who may book what, and the reason when not. Read-only: the writers call it again under the lock."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.community.models import ACTING_RELATIONS, Person, Relation

from ..deadline import deadline_text
from ..models import ACTIVE_STATUSES, Activity, ActivityStatus, EarlyWindowFor, Session
from ._pool import Pool, pool_for


class WindowState(models.TextChoices):
    NOT_YET_OPEN = "not_yet_open", gettext_lazy("Booking has not opened yet")
    EARLY = "early", gettext_lazy("Early booking for the priority group")
    OPEN = "open", gettext_lazy("Booking is open")
    CLOSED = "closed", gettext_lazy("Booking has closed")


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    reason: str = ""
    code: str = ""

    def __bool__(self) -> bool:
        return self.ok


OK = Eligibility(True)

#: The age from which someone counts as an adult accompanying a child (``Activity.adults_accompany``).
ADULT_AGE = 18

#: Rules on a booking as a whole (who is booked together), added by the service areas: each is called
#: as ``rule(activity=..., persons=[...], now=...)`` and returns the reasons it refuses, translated (an
#: empty list when it has nothing against it). ``booking_create`` and every other writer that checks
#: persons call them through :func:`booking_refusals`, so no page can book past them.
BookingRule = Callable[..., list[str]]
_booking_rules: list[BookingRule] = []


def booking_rule_register(rule: BookingRule) -> BookingRule:
    """Add a rule on whole bookings (idempotent; usable as a decorator). A rule should return ``[]`` at
    once for activities that are not its own (e.g. of another area), so that it costs nothing there."""
    if rule not in _booking_rules:
        _booking_rules.append(rule)
    return rule


def booking_refusals(
    *, activity: Activity, persons: Sequence[Person], now: datetime.datetime | None = None
) -> list[str]:
    """The reasons the registered booking rules refuse booking ``persons`` together (empty: none)."""
    now = now or timezone.now()
    reasons: list[str] = []
    for rule in _booking_rules:
        reasons.extend(rule(activity=activity, persons=list(persons), now=now))
    return reasons


def accompanies_child(
    *, activity: Activity, person: Person, together: Sequence[Person], day: datetime.date | None
) -> bool:
    """In a parent-and-child activity (``adults_accompany``), ``person`` is an adult who acts for (is
    guardian or carer of) a child booked with her: the age range is the children's, not hers."""
    if not activity.adults_accompany or day is None or person.birth_date is None:
        return False
    if person.age_on(day) < ADULT_AGE:
        return False
    others = [p.pk for p in together if p.pk != person.pk]
    if not others:
        return False
    return Relation.objects.filter(
        subject_id=person.pk, relative_id__in=others, kind__in=ACTING_RELATIONS
    ).exists()


def window_state(*, activity: Activity, now: datetime.datetime | None = None) -> WindowState:
    now = now or timezone.now()
    if activity.booking_closes_at and now >= activity.booking_closes_at:
        return WindowState.CLOSED
    if activity.booking_opens_at is None or now >= activity.booking_opens_at:
        return WindowState.OPEN
    if activity.early_opens_at and now >= activity.early_opens_at:
        return WindowState.EARLY
    return WindowState.NOT_YET_OPEN


def is_resident(person: Person) -> bool:
    """A resident of this community: an active person registered at one of its households."""
    return bool(person.is_active and person.household_id)


def in_early_group(*, activity: Activity, person: Person) -> bool:
    if activity.early_for == EarlyWindowFor.RESIDENTS:
        return is_resident(person)
    if activity.early_for == EarlyWindowFor.GROUP and activity.early_group_id:
        return activity.early_group.members.filter(pk=person.pk).exists()
    return False


def age_rule_date(*, activity: Activity, session: Session | None) -> datetime.date | None:
    """The date the age rule is checked on: the session's, or the first session of a course."""
    if session is not None:
        return session.local_date
    first = activity.sessions.filter(cancelled=False).order_by("starts_at").first()
    return first.local_date if first else None


def _fmt(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


def _refuse(code: str, reason: str) -> Eligibility:
    return Eligibility(False, reason, code)


def activity_bookable(
    *, activity: Activity, session: Session | None, now: datetime.datetime | None = None
) -> Eligibility:
    """What does not depend on the person: published, session not cancelled or started, window not closed."""
    now = now or timezone.now()
    if activity.status != ActivityStatus.PUBLISHED:
        return _refuse("not_published", _("This activity is not open for booking."))
    if session is not None:
        if session.activity_id != activity.pk:
            return _refuse("wrong_session", _("This session does not belong to this activity."))
        if session.cancelled:
            return _refuse("session_cancelled", _("This session has been cancelled."))
        if session.starts_at <= now:
            return _refuse("session_started", _("This session has already started."))
    elif activity.is_course and not activity.sessions.filter(cancelled=False, starts_at__gt=now).exists():
        return _refuse("no_sessions", _("This course has no sessions still to come."))
    state = window_state(activity=activity, now=now)
    if state == WindowState.CLOSED:
        return _refuse(
            "window_closed",
            _("Booking closed on %(when)s.") % {"when": deadline_text(activity.booking_closes_at)},
        )
    if state == WindowState.NOT_YET_OPEN:
        opens = activity.early_opens_at or activity.booking_opens_at
        return _refuse("window_not_open", _("Booking opens on %(when)s.") % {"when": _fmt(opens)})
    return OK


def person_eligible(
    *,
    activity: Activity,
    session: Session | None,
    person: Person,
    now: datetime.datetime | None = None,
    pool: Pool | None = None,
    together: Sequence[Person] = (),
    pool_checks: bool = True,
) -> Eligibility:
    """Whether ``person`` may be booked into the activity (and session), with the reason when not.

    ``together`` are the persons of the same booking: in a
    parent-and-child activity (``adults_accompany``) an adult who acts for a child among them is not held
    to the age range, which is the children's. ``pool_checks=False`` is for the booking service, which
    has checked the activity (``activity_bookable``) once for the whole booking and checks what depends on
    the pool's registrations (already booked, the household's places, counting the others booked with
    her) for all its persons at once.
    """
    now = now or timezone.now()
    if pool_checks:
        base = activity_bookable(activity=activity, session=session, now=now)
        if not base:
            return base
    name = person.name
    if window_state(activity=activity, now=now) == WindowState.EARLY and not in_early_group(
        activity=activity, person=person
    ):
        return _refuse(
            "early_window_only",
            _("Until %(when)s booking is open only to the priority group, and %(name)s is not in it.")
            % {"when": _fmt(activity.booking_opens_at), "name": name},
        )
    day = None
    if activity.min_age is not None or activity.max_age is not None:
        day = age_rule_date(activity=activity, session=session)
    if day is not None and accompanies_child(activity=activity, person=person, together=together, day=day):
        pass  # she comes with her child: the age range is the child's
    elif activity.min_age is not None or activity.max_age is not None:
        if person.birth_date is None:
            return _refuse(
                "age_unknown",
                _("%(name)s's date of birth is not on record, so the age rule cannot be checked.")
                % {"name": name},
            )
        if day is not None:
            age = person.age_on(day)
            if activity.min_age is not None and age < activity.min_age:
                return _refuse(
                    "too_young",
                    _("%(name)s will be %(age)s on %(day)s; this activity is for ages %(min)s and over.")
                    % {"name": name, "age": age, "day": day.isoformat(), "min": activity.min_age},
                )
            if activity.max_age is not None and age > activity.max_age:
                return _refuse(
                    "too_old",
                    _("%(name)s will be %(age)s on %(day)s; this activity is for ages up to %(max)s.")
                    % {"name": name, "age": age, "day": day.isoformat(), "max": activity.max_age},
                )
    if activity.residents_only and not is_resident(person):
        return _refuse(
            "not_resident",
            _(
                "This activity is for residents of this community only, and %(name)s is not registered at a household here."
            )
            % {"name": name},
        )
    if activity.target_group_id and not activity.target_group.members.filter(pk=person.pk).exists():
        return _refuse(
            "not_in_group",
            _("This activity is for %(group)s only, and %(name)s is not in that group.")
            % {"group": activity.target_group.name, "name": name},
        )
    if not pool_checks:
        return OK
    pool = pool or pool_for(activity=activity, session=session)
    active = pool.registrations().filter(status__in=ACTIVE_STATUSES)
    if active.filter(person_id=person.pk).exists():
        return _refuse("already_booked", _("%(name)s is already booked for this.") % {"name": name})
    if activity.max_per_household and person.household_id:
        taken = active.filter(person__household_id=person.household_id).count()
        if taken + 1 > activity.max_per_household:
            return _refuse(
                "household_full",
                _(
                    "At most %(max)s people per household may book this; %(taken)s from %(name)s's household already have."
                )
                % {"max": activity.max_per_household, "taken": taken, "name": name},
            )
    return OK
