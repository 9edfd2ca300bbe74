"""Sessions: add one, a course of N meetings, drop-in service days, a weekly or fortnightly schedule on
the portal's official calendar (planned by ``events.recurrence.schedule_plan``, previewed by staff, then
saved), change a session's time, place or capacity, and cancel one.

Every function creating sessions writes all of them or none (one ``transaction.atomic``) and refuses more
than ``MAX_SESSIONS_AT_ONCE``. The schedule's preview is not a second source of truth: the save
recomputes the plan and refuses it when its token (``schedule_plan_token``) differs from the preview's.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.audit import set_actor

from ..models import (
    ACTIVE_STATUSES,
    SEATED_STATUSES,
    Activity,
    Offer,
    Registration,
    RegistrationStatus,
    Reminder,
    ReminderState,
    Session,
)
from ..recurrence import MakeupRule, SchedulePlan, schedule_plan
from ._messages import notify_booking
from ._pool import Pool, pool_lock, pool_recount

logger = logging.getLogger(__name__)

#: The most sessions one call may create (a weekly class for four years is ~200).
MAX_SESSIONS_AT_ONCE = 200
#: The longest range a schedule may span.
MAX_SCHEDULE_DAYS = 2 * 366


def _require_manager(actor, activity: Activity) -> None:
    from ..selectors import can_manage_activity

    if not can_manage_activity(user=actor, activity=activity):
        raise PermissionDenied


def _validate_times(starts_at, ends_at, capacity) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("session times must be timezone-aware")
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("A session must end after it starts.")}, code="ends_before_start")
    if capacity < 0:
        raise ValidationError({"capacity": _("The capacity cannot be negative.")}, code="bad_capacity")


def session_create(
    *,
    actor,
    activity: Activity,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    capacity: int,
    place: str = "",
    now: datetime.datetime | None = None,
) -> Session:
    """Add one session. With ``now`` (the staff pages pass it) a start already past is refused; a
    course's session takes the course's capacity."""
    _require_manager(actor, activity)
    _validate_times(starts_at, ends_at, capacity)
    if now is not None and starts_at <= now:
        raise ValidationError({"starts_at": _("A session cannot start in the past.")}, code="in_past")
    capacity = _session_capacity(activity, capacity)
    with transaction.atomic(), set_actor(actor):
        if Session.objects.filter(activity=activity, starts_at=starts_at).exists():
            raise ValidationError(
                {"starts_at": _("This activity already has a session at that time.")}, code="duplicate"
            )
        session = Session.objects.create(
            activity=activity, starts_at=starts_at, ends_at=ends_at, capacity=capacity, place=place
        )
        _commit_lottery_seeds(activity, [session])
        return session


def _commit_lottery_seeds(activity: Activity, sessions: list[Session]) -> None:
    """A new session of a lottery gets its seed commitment now, before anyone can apply (a course's
    pool is the activity: one commitment for all its meetings)."""
    if not activity.is_lottery:
        return
    from .lottery import lottery_commitment_ensure

    for session in sessions[:1] if activity.is_course else sessions:
        lottery_commitment_ensure(activity=activity, session=session)


def _combine(day: datetime.date, t: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, t, tzinfo=timezone.get_current_timezone())


def _date_list(days: Iterable[datetime.date]) -> str:
    return "、".join(f"{d:%Y-%m-%d}" for d in sorted(days))


def _check_slot_times(start_time: datetime.time, end_time: datetime.time, capacity: int) -> None:
    if end_time <= start_time:
        raise ValidationError(
            {"end_time": _("A session must end after it starts.")}, code="ends_before_start"
        )
    if capacity < 0:
        raise ValidationError({"capacity": _("The capacity cannot be negative.")}, code="bad_capacity")


def _check_count(n: int, field: str | None = None) -> None:
    if n > MAX_SESSIONS_AT_ONCE:
        msg = _("That makes %(n)d sessions: at most %(max)d can be created at once.") % {
            "n": n,
            "max": MAX_SESSIONS_AT_ONCE,
        }
        raise ValidationError({field: msg} if field else msg, code="too_many")


def _session_capacity(activity: Activity, capacity: int) -> int:
    """A course's sessions share the course's capacity (``Activity.capacity``); theirs is not used."""
    return (activity.capacity or 0) if activity.is_course else capacity


def _create_on_days(
    *,
    actor,
    activity: Activity,
    days: list[datetime.date],
    start_time: datetime.time,
    end_time: datetime.time,
    capacity: int,
    place: str,
    now: datetime.datetime | None,
    skip_existing: bool,
    field: str,
) -> list[Session]:
    """Create one session on each of ``days``, all or none. A day that already has a session at that
    time is left alone (``skip_existing``) or refused with the dates."""
    if not days:
        raise ValidationError({field: _("There is no date to hold a session on.")}, code="no_dates")
    if now is not None:
        past = [d for d in days if _combine(d, start_time) <= now]
        if past:
            raise ValidationError(
                {field: _("A session cannot start in the past: %(dates)s.") % {"dates": _date_list(past)}},
                code="in_past",
            )
    capacity = _session_capacity(activity, capacity)
    with transaction.atomic(), set_actor(actor):
        # Lock the activity: two staff saving the same schedule at once create it once.
        Activity.objects.select_for_update().filter(pk=activity.pk).first()
        existing = set(activity.sessions.values_list("starts_at", flat=True))
        clash = [d for d in days if _combine(d, start_time) in existing]
        if clash and not skip_existing:
            raise ValidationError(
                {
                    field: _("These dates already have a session at that time: %(dates)s.")
                    % {"dates": _date_list(clash)}
                },
                code="duplicate",
            )
        todo = [d for d in sorted(set(days)) if _combine(d, start_time) not in existing]
        _check_count(len(todo), field)
        sessions = [
            Session(
                activity=activity,
                starts_at=_combine(d, start_time),
                ends_at=_combine(d, end_time),
                capacity=capacity,
                place=place,
            )
            for d in todo
        ]
        # One by one, not bulk_create: auditlog records each new session.
        for s in sessions:
            s.save()
        _commit_lottery_seeds(activity, sessions)
    return sessions


def sessions_create_on_dates(
    *,
    actor,
    activity: Activity,
    dates: Iterable[datetime.date],
    start_time: datetime.time,
    end_time: datetime.time,
    capacity: int,
    place: str = "",
    now: datetime.datetime | None = None,
) -> list[Session]:
    """Drop-in service days (the health station's free clinic on given days) or the N rows of a course:
    one session on each date, with the same hours. All or none; a date that already has a session at
    that time is refused. With ``now`` (the staff pages pass it) a date already past is refused."""
    _require_manager(actor, activity)
    _check_slot_times(start_time, end_time, capacity)
    days = sorted(set(dates))
    _check_count(len(days), "dates")
    return _create_on_days(
        actor=actor,
        activity=activity,
        days=days,
        start_time=start_time,
        end_time=end_time,
        capacity=capacity,
        place=place,
        now=now,
        skip_existing=False,
        field="dates",
    )


def course_dates(
    *, first: datetime.date, weekdays: Iterable[int], count: int, skip_holidays: bool = True
) -> list[datetime.date]:
    """The first ``count`` dates from ``first`` on ``weekdays``, public holidays skipped (the meetings of
    a course of ``count``)."""
    days = set(weekdays)
    if not days:
        raise ValidationError({"weekdays": _("Choose at least one weekday.")}, code="no_weekdays")
    _check_count(count, "count")
    # Enough weeks for the meetings plus the holidays in between; grown once more if a long holiday ate
    # into them (the National Day and Spring Festival weeks each take at most one meeting a weekday).
    weeks = -(-count // len(days)) + 4
    for _attempt in range(3):
        last = first + datetime.timedelta(weeks=weeks)
        plan = schedule_plan(first=first, last=last, weekdays=days, every=1, skip_holidays=skip_holidays)
        if len(plan.included) >= count:
            return list(plan.included[:count])
        weeks *= 2
    return list(plan.included[:count])


def sessions_create_course(
    *,
    actor,
    activity: Activity,
    first: datetime.date,
    weekdays: Iterable[int],
    count: int,
    start_time: datetime.time,
    end_time: datetime.time,
    capacity: int,
    place: str = "",
    now: datetime.datetime | None = None,
) -> list[Session]:
    """A course of ``count`` meetings from ``first`` on ``weekdays`` at the same hours, public holidays
    skipped, created together (all or none)."""
    _require_manager(actor, activity)
    _check_slot_times(start_time, end_time, capacity)
    if count < 1:
        raise ValidationError({"count": _("A course has at least one meeting.")}, code="bad_count")
    days = course_dates(first=first, weekdays=weekdays, count=count)
    return _create_on_days(
        actor=actor,
        activity=activity,
        days=days,
        start_time=start_time,
        end_time=end_time,
        capacity=capacity,
        place=place,
        now=now,
        skip_existing=False,
        field="first",
    )


def schedule_plan_for(
    *, first: datetime.date, last: datetime.date, weekdays: Iterable[int], every: int = 1, skip_holidays=True
) -> SchedulePlan:
    """``events.recurrence.schedule_plan`` with its refusals as translated ``ValidationError``s next to
    the fields of the schedule form."""
    days = set(weekdays)
    if not days:
        raise ValidationError({"weekdays": _("Choose at least one weekday.")}, code="no_weekdays")
    if last < first:
        raise ValidationError({"last": _("The end date comes before the start date.")}, code="reversed")
    if (last - first).days > MAX_SCHEDULE_DAYS:
        raise ValidationError(
            {"last": _("Generate at most two years of sessions at a time.")}, code="too_long"
        )
    if every not in (1, 2):
        raise ValidationError({"every": _("Choose weekly or fortnightly.")}, code="bad_every")
    return schedule_plan(first=first, last=last, weekdays=days, every=every, skip_holidays=skip_holidays)


def schedule_plan_token(plan: SchedulePlan) -> str:
    """A fingerprint of what the preview showed: the rule, each date with its holiday, the make-up days
    offered and the unknown years. The save refuses a plan whose token changed."""
    parts = [
        f"{plan.first:%Y%m%d}-{plan.last:%Y%m%d}",
        ",".join(str(d) for d in plan.weekdays),
        str(plan.every),
        ";".join(f"{c.date:%Y%m%d}{'+' if c.included else '-'}{c.festival}" for c in plan.candidates),
        ";".join(f"{m.date:%Y%m%d}{m.festival}" for m in plan.makeup_days),
        ",".join(str(y) for y in plan.unknown_years),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def sessions_generate_weekly(
    *,
    actor,
    activity: Activity,
    first: datetime.date,
    last: datetime.date,
    weekdays: Iterable[int],
    start_time: datetime.time,
    end_time: datetime.time,
    capacity: int,
    skip_holidays: bool = True,
    makeup: str = MakeupRule.IGNORE,
    stand_in: Mapping[datetime.date, int] | None = None,
    every: int = 1,
    makeup_days: Iterable[datetime.date] | None = None,
    place: str = "",
    plan_token: str | None = None,
    now: datetime.datetime | None = None,
) -> list[Session]:
    """Create the sessions of a weekly (``every=1``) or fortnightly (``every=2``) rule on the portal's
    calendar (``events.recurrence.schedule_plan``), all or none; dates that already have a session at that
    time are left alone, so running it again adds nothing.

    Make-up working days: ``makeup_days`` (the ones staff ticked in the preview) or, without it, the rule
    ``makeup``. With ``plan_token`` (from the preview, ``schedule_plan_token``) the plan is recomputed and
    refused if it changed since (someone edited the calendar). With ``now`` a past date is refused."""
    _require_manager(actor, activity)
    _check_slot_times(start_time, end_time, capacity)
    plan = schedule_plan_for(
        first=first, last=last, weekdays=weekdays, every=every, skip_holidays=skip_holidays
    )
    if plan_token is not None and plan_token != schedule_plan_token(plan):
        raise ValidationError(
            _("The holiday calendar changed since the preview: check the new preview below and save again."),
            code="plan_changed",
        )
    if makeup_days is not None:
        extra = set(makeup_days)
    elif makeup == MakeupRule.ALL:
        extra = {m.date for m in plan.makeup_days}
    elif makeup == MakeupRule.STAND_IN:
        stand_in = dict(stand_in or {})
        extra = {m.date for m in plan.makeup_days if stand_in.get(m.date) in set(plan.weekdays)}
    else:
        extra = set()
    try:
        days = plan.dates(makeup_days=extra)
    except ValueError as exc:
        raise ValidationError(
            _("Only the make-up working days of this schedule can be added."), code="bad_makeup"
        ) from exc
    _check_count(len(days), "last")
    if not days:
        return []
    return _create_on_days(
        actor=actor,
        activity=activity,
        days=days,
        start_time=start_time,
        end_time=end_time,
        capacity=capacity,
        place=place,
        now=now,
        skip_existing=True,
        field="first",
    )


# --- changing a session -----------------------------------------------------------------------------


def _local_text(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


def _reschedule_reminders(*, session: Session, now: datetime.datetime) -> int:
    """Move the pending reminders of ``session`` to its new start (one UPDATE per lead time)."""
    from .reminders import reminder_due_at

    moved = 0
    pending = Reminder.objects.filter(session=session, state=ReminderState.PENDING)
    for lead in set(pending.values_list("lead_minutes", flat=True)):
        due = reminder_due_at(starts_at=session.starts_at, lead_minutes=lead)
        moved += pending.filter(lead_minutes=lead).update(due_at=due)
    return moved


def session_update(
    *,
    actor,
    session: Session,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    place: str,
    capacity: int,
    now: datetime.datetime | None = None,
) -> Session:
    """Change a session's time, place or capacity.

    Everyone holding a place on it (for a course: everyone on the course) is told of a change of time or
    place, one message per booking; its pending reminders move with it. A capacity lowered below the
    places taken is refused with the count; a raised one offers the freed seats to the waitlist after
    commit (``waitlist_promote_next``, the path a cancellation takes). A course's capacity is the
    course's (``Activity.capacity``): the session's is left as it is. A cancelled session, or one that
    has started, cannot be changed."""
    activity = session.activity
    _require_manager(actor, activity)
    now = now or timezone.now()
    _validate_times(starts_at, ends_at, capacity)
    place = (place or "").strip()[:200]
    with transaction.atomic(), set_actor(actor):
        pool = pool_lock(Pool(activity=activity, session=session))
        if activity.is_course:
            locked = Session.objects.select_for_update().get(pk=session.pk)
            locked.activity = activity
        else:
            locked = pool.session
        if locked.cancelled:
            raise ValidationError(
                _("This session is cancelled: it can no longer be changed."), code="cancelled"
            )
        if locked.starts_at <= now:
            raise ValidationError(
                _("This session has started or is over: it can no longer be changed."), code="past"
            )
        if starts_at != locked.starts_at and starts_at <= now:
            raise ValidationError(
                {"starts_at": _("A session cannot be moved into the past.")}, code="in_past"
            )
        if (
            starts_at != locked.starts_at
            and Session.objects.filter(activity=activity, starts_at=starts_at).exclude(pk=locked.pk).exists()
        ):
            raise ValidationError(
                {"starts_at": _("This activity already has a session at that time.")}, code="duplicate"
            )
        raised = False
        if not activity.is_course and capacity != locked.capacity:
            taken = pool.seats_taken()
            if capacity < taken:
                if activity.counts_families:
                    msg = ngettext(
                        "%(n)d family has booked: the capacity cannot be less than %(n)d.",
                        "%(n)d families have booked: the capacity cannot be less than %(n)d.",
                        taken,
                    )
                else:
                    msg = ngettext(
                        "%(n)d person has booked: the capacity cannot be less than %(n)d.",
                        "%(n)d people have booked: the capacity cannot be less than %(n)d.",
                        taken,
                    )
                raise ValidationError({"capacity": msg % {"n": taken}}, code="below_booked")
            raised = capacity > locked.capacity
            locked.capacity = capacity
        old_starts, old_ends, old_place = locked.starts_at, locked.ends_at, locked.place
        old_where = old_place or activity.place
        new_where = place or activity.place
        time_changed = (starts_at, ends_at) != (old_starts, old_ends)
        place_changed = new_where != old_where
        locked.starts_at, locked.ends_at, locked.place = starts_at, ends_at, place
        locked.save(update_fields=["starts_at", "ends_at", "place", "capacity"])
        if time_changed:
            _reschedule_reminders(session=locked, now=now)
            # An offered seat is held at most until the (new) start.
            Offer.objects.filter(
                booking__session=locked, status=Offer.Status.OPEN, expires_at__gt=starts_at
            ).update(expires_at=starts_at)
        locked.bookings_told = 0
        if time_changed or place_changed:
            locked.bookings_told = _notify_change(
                session=locked,
                now=now,
                context={
                    "when": _local_text(starts_at),
                    "ends": timezone.localtime(ends_at).strftime("%H:%M"),
                    "old_when": _local_text(old_starts),
                    "place": new_where,
                    "old_place": old_where,
                    "time_changed": time_changed,
                    "place_changed": place_changed,
                },
            )
        if raised:
            session_id, activity_pk = locked.pk, activity.pk
            transaction.on_commit(lambda: _promote_after_commit(activity_pk, session_id))
    return locked


def _notify_change(*, session: Session, now: datetime.datetime, context: dict) -> int:
    """One message per booking holding a place (confirmed or offered) on the changed session."""
    activity = session.activity
    if activity.is_course:
        regs = Registration.objects.filter(
            activity=activity, session__isnull=True, status__in=SEATED_STATUSES
        )
    else:
        regs = Registration.objects.filter(session=session, status__in=SEATED_STATUSES)
    by_booking: dict[int, list[Registration]] = {}
    for reg in regs.select_related("booking", "booking__activity", "booking__session", "person"):
        by_booking.setdefault(reg.booking_id, []).append(reg)
    stamp = now.strftime("%Y%m%d%H%M%S%f")
    for booking_regs in by_booking.values():
        booking = booking_regs[0].booking
        notify_booking(
            booking=booking,
            template="events.session_changed",
            key=f"events.session_changed:{session.pk}:{stamp}:booking:{booking.pk}",
            context=context,
            persons=[r.person for r in booking_regs],
        )
    return len(by_booking)


def _promote_after_commit(activity_id: int, session_id: int) -> None:
    """Offer seats freed by a raised capacity to the waitlist, after the change committed: the
    existing offer path (``waitlist_promote_next``, its own transaction and pool lock). Run in the
    request rather than queued, so that a broker outage loses no offer; a failure is logged, and the
    seats still go to the waitlist at the next cancellation or expired offer."""
    from .waitlist import waitlist_promote_next

    session = (
        Session.objects.select_related("activity").filter(pk=session_id, activity_id=activity_id).first()
    )
    if session is None:
        return
    try:
        waitlist_promote_next(activity=session.activity, session=session)
    except Exception:  # the change is saved; never turn it into an error page
        logger.exception("offering the seats of session %s to its waitlist failed", session_id)


def session_cancel(*, actor, session: Session, reason: str = "", now: datetime.datetime | None = None) -> int:
    """Staff cancel a session: every active registration is cancelled, open offers withdrawn, and each
    booking told. For one meeting of a course, the course registrations stand and everyone registered is
    told. Returns the number of registrations cancelled."""
    activity = session.activity
    _require_manager(actor, activity)
    now = now or timezone.now()
    with transaction.atomic(), set_actor(actor):
        pool = pool_lock(Pool(activity=activity, session=session))
        locked = pool.session
        if locked.cancelled:
            raise ValidationError(_("This session is already cancelled."), code="already_cancelled")
        locked.cancelled = True
        locked.cancelled_at = now
        locked.cancel_reason = reason[:200]
        locked.save(update_fields=["cancelled", "cancelled_at", "cancel_reason"])
        when = timezone.localtime(locked.starts_at).strftime("%Y-%m-%d %H:%M")
        if activity.is_course:
            # One meeting of a course: the course registrations stand, everyone is told.
            regs = list(
                Registration.objects.filter(
                    activity=activity, session__isnull=True, status__in=ACTIVE_STATUSES
                )
                .exclude(status=RegistrationStatus.APPLIED)
                .select_related("booking", "person")
            )
            cancelled = 0
        else:
            regs = list(
                Registration.objects.filter(session=locked, status__in=ACTIVE_STATUSES).select_related(
                    "booking", "person"
                )
            )
            Offer.objects.filter(booking__session=locked, status=Offer.Status.OPEN).update(
                status=Offer.Status.WITHDRAWN, decided_at=now
            )
            Registration.objects.filter(pk__in=[r.pk for r in regs]).update(
                status=RegistrationStatus.CANCELLED, cancelled_at=now, cancelled_by=actor, updated_at=now
            )
            pool_recount(pool)
            cancelled = len(regs)
        by_booking: dict[int, list[Registration]] = {}
        for reg in regs:
            by_booking.setdefault(reg.booking_id, []).append(reg)
        for booking_regs in by_booking.values():
            booking = booking_regs[0].booking
            notify_booking(
                booking=booking,
                template="events.session_cancelled",
                key=f"events.session_cancelled:{locked.pk}:booking:{booking.pk}",
                context={"reason": reason, "when": when},
                persons=[r.person for r in booking_regs],
            )
    return cancelled
