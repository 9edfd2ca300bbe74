"""Sessions: create one, generate a weekly recurrence on the official calendar, cancel one."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ACTIVE_STATUSES, Activity, Offer, Registration, RegistrationStatus, Session
from ..recurrence import MakeupRule, weekly_dates
from ._messages import notify_booking
from ._pool import Pool, pool_lock


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
) -> Session:
    _require_manager(actor, activity)
    _validate_times(starts_at, ends_at, capacity)
    with transaction.atomic(), set_actor(actor):
        if Session.objects.filter(activity=activity, starts_at=starts_at).exists():
            raise ValidationError(
                {"starts_at": _("This activity already has a session at that time.")}, code="duplicate"
            )
        return Session.objects.create(
            activity=activity, starts_at=starts_at, ends_at=ends_at, capacity=capacity, place=place
        )


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
) -> list[Session]:
    """Create the sessions of a weekly rule (see ``events.recurrence``); dates that already have a
    session at that time are left alone, so running it again adds nothing."""
    _require_manager(actor, activity)
    if end_time <= start_time:
        raise ValidationError(
            {"end_time": _("A session must end after it starts.")}, code="ends_before_start"
        )
    if (last - first).days > 366:
        raise ValidationError(
            {"last": _("Generate at most one year of sessions at a time.")}, code="too_long"
        )
    try:
        dates = weekly_dates(
            first=first,
            last=last,
            weekdays=weekdays,
            skip_holidays=skip_holidays,
            makeup=makeup,
            stand_in=stand_in,
        )
    except (ValueError, NotImplementedError) as exc:
        raise ValidationError(
            _("These dates cannot be scheduled: %(error)s") % {"error": exc}, code="bad_rule"
        ) from exc
    tz = timezone.get_current_timezone()
    created = []
    with transaction.atomic(), set_actor(actor):
        existing = set(activity.sessions.values_list("starts_at", flat=True))
        for day in dates:
            starts = datetime.datetime.combine(day, start_time, tzinfo=tz)
            ends = datetime.datetime.combine(day, end_time, tzinfo=tz)
            if starts in existing:
                continue
            created.append(
                Session.objects.create(activity=activity, starts_at=starts, ends_at=ends, capacity=capacity)
            )
    return created


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
