"""Volunteer shifts: sign up (no overlapping shifts, never more than the slots), check in and out on a
phone, hours credited to the volunteer hours ledger (``portal.volunteers``), pending until staff approve.

Locking: ``shift_signup`` locks the volunteer's profile row first (so two sign-ups of one volunteer for
overlapping shifts are decided one after the other), then the shift row (so the last slots are counted
once), then counts again and writes. Check-in and check-out lock the sign-up row. ``_pool.LOCKING`` turns
the locks off for the control runs of the concurrency tests only.

Hours: only the time inside the shift's window counts: check-in and check-out are clipped to
[``shift.starts_at``, ``shift.ends_at``] (an hour early at the desk is not an hour of service, and a
check-out at the start credits nothing), then rounded to the nearest quarter hour and credited once per
sign-up (``source_key="events.shiftsignup:<id>"``, unique in the ledger). A check-in nobody checked out is
closed by ``shifts_autoclose_due`` at the shift's end and its hours are flagged.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import set_actor
from portal.volunteers.models import HoursEntry, VolunteerProfile
from portal.volunteers.services import hours_credit

from ..models import Shift, ShiftSignup, ShiftSignupStatus
from ..selectors import can_manage_activity
from . import _pool

#: A volunteer may check in this long before her shift starts.
CHECK_IN_EARLY = datetime.timedelta(hours=1)
#: An open check-in is closed automatically this long after the shift has ended.
AUTOCLOSE_AFTER = datetime.timedelta(hours=2)
QUARTER = Decimal("0.25")


def _fmt(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


def _hhmm(dt) -> str:
    return timezone.localtime(dt).strftime("%H:%M")


def _locked(qs):
    return qs.select_for_update(of=("self",)) if _pool.LOCKING else qs


def _profile_of(actor) -> VolunteerProfile:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Sign in to volunteer."))
    profile = VolunteerProfile.objects.active().filter(person__user_id=actor.pk).first()
    if profile is None:
        raise ValidationError(
            _("Only registered volunteers can sign up for shifts. Ask the community office to register you."),
            code="not_a_volunteer",
        )
    return profile


def _shift_label(shift: Shift) -> str:
    return f"{shift.session.activity.title} · {shift.role} ({_fmt(shift.starts_at)}–{_hhmm(shift.ends_at)})"


def shift_signup(*, actor, shift: Shift, now: datetime.datetime | None = None) -> ShiftSignup:
    """Sign the actor (her own active volunteer profile) up for ``shift``.

    Refused with a translated reason: not a volunteer, a cancelled session, a shift that has started,
    already signed up, a shift overlapping one she already took, no slot left."""
    now = now or timezone.now()
    profile = _profile_of(actor)
    with transaction.atomic(), set_actor(actor):
        _locked(VolunteerProfile.objects.filter(pk=profile.pk)).get()
        locked = _locked(Shift.objects.filter(pk=shift.pk)).select_related("session__activity").get()
        if locked.session.cancelled:
            raise ValidationError(_("This session has been cancelled."), code="session_cancelled")
        if locked.starts_at <= now:
            raise ValidationError(
                _("This shift has already started; sign-up is closed."), code="shift_started"
            )
        mine = ShiftSignup.objects.filter(volunteer_id=profile.pk, status=ShiftSignupStatus.SIGNED_UP)
        if mine.filter(shift_id=locked.pk).exists():
            raise ValidationError(_("You are already signed up for this shift."), code="already_signed_up")
        clash = (
            mine.filter(shift__starts_at__lt=locked.ends_at, shift__ends_at__gt=locked.starts_at)
            .select_related("shift__session__activity")
            .first()
        )
        if clash is not None:
            raise ValidationError(
                _("This shift overlaps another shift you signed up for: %(shift)s.")
                % {"shift": _shift_label(clash.shift)},
                code="overlap",
            )
        taken = ShiftSignup.objects.filter(shift_id=locked.pk, status=ShiftSignupStatus.SIGNED_UP).count()
        if taken >= locked.slots:
            raise ValidationError(_("This shift is full."), code="shift_full")
        _pool.race_pause()
        try:
            with transaction.atomic():
                return ShiftSignup.objects.create(shift=locked, volunteer=profile)
        except IntegrityError:
            raise ValidationError(
                _("You are already signed up for this shift."), code="already_signed_up"
            ) from None


def _may_touch(actor, signup: ShiftSignup) -> bool:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    if signup.volunteer.person.user_id == actor.pk:
        return True
    return can_manage_activity(user=actor, activity=signup.shift.session.activity)


def _lock_signup(signup: ShiftSignup) -> ShiftSignup:
    return (
        _locked(ShiftSignup.objects.filter(pk=signup.pk))
        .select_related("shift__session__activity", "volunteer__person")
        .get()
    )


def shift_signup_cancel(*, actor, signup: ShiftSignup, now: datetime.datetime | None = None) -> ShiftSignup:
    """Withdraw from a shift before it starts (the volunteer herself, or staff of the activity)."""
    now = now or timezone.now()
    with transaction.atomic(), set_actor(actor):
        locked = _lock_signup(signup)
        if not _may_touch(actor, locked):
            raise PermissionDenied
        if locked.status != ShiftSignupStatus.SIGNED_UP:
            raise ValidationError(_("This sign-up is already cancelled."), code="already_cancelled")
        if locked.checked_in_at is not None:
            raise ValidationError(
                _("You have checked in; this shift can no longer be cancelled."), code="checked_in"
            )
        if locked.shift.starts_at <= now:
            raise ValidationError(_("This shift has already started."), code="shift_started")
        locked.status = ShiftSignupStatus.CANCELLED
        locked.cancelled_at = now
        locked.save(update_fields=["status", "cancelled_at"])
        return locked


def shift_check_in(*, actor, signup: ShiftSignup, now: datetime.datetime | None = None) -> ShiftSignup:
    """Check in for a shift: from one hour before it starts until it ends. A second check-in is refused."""
    now = now or timezone.now()
    with transaction.atomic(), set_actor(actor):
        locked = _lock_signup(signup)
        if not _may_touch(actor, locked):
            raise PermissionDenied
        shift = locked.shift
        if locked.status != ShiftSignupStatus.SIGNED_UP:
            raise ValidationError(_("This sign-up has been cancelled."), code="cancelled")
        if shift.session.cancelled:
            raise ValidationError(_("This session has been cancelled."), code="session_cancelled")
        if locked.checked_in_at is not None:
            raise ValidationError(
                _("You already checked in at %(time)s.") % {"time": _hhmm(locked.checked_in_at)},
                code="already_checked_in",
            )
        opens = shift.starts_at - CHECK_IN_EARLY
        if now < opens:
            raise ValidationError(
                _("Check-in opens at %(time)s, one hour before the shift starts.") % {"time": _fmt(opens)},
                code="too_early",
            )
        if now > shift.ends_at:
            raise ValidationError(_("This shift has ended; check-in is closed."), code="too_late")
        _pool.race_pause()
        locked.checked_in_at = now
        locked.save(update_fields=["checked_in_at"])
        return locked


def shift_worked(*, shift: Shift, checked_in_at, checked_out_at) -> datetime.timedelta:
    """The time between check-in and check-out that lies inside the shift's window (never negative)."""
    start = max(checked_in_at, shift.starts_at)
    end = min(checked_out_at, shift.ends_at)
    return max(end - start, datetime.timedelta(0))


def shift_hours(*, shift: Shift, checked_in_at, checked_out_at) -> Decimal:
    """The time worked inside the shift's window (check-in and check-out clipped to
    [starts_at, ends_at]), rounded to the nearest quarter hour."""
    worked = shift_worked(shift=shift, checked_in_at=checked_in_at, checked_out_at=checked_out_at)
    hours = Decimal(worked.total_seconds()) / Decimal(3600)
    return (hours / QUARTER).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * QUARTER


def _credit(signup: ShiftSignup, *, flagged: bool = False, flag_reason: str = "") -> HoursEntry | None:
    shift = signup.shift
    hours = shift_hours(shift=shift, checked_in_at=signup.checked_in_at, checked_out_at=signup.checked_out_at)
    if hours <= 0:
        return None
    return hours_credit(
        volunteer=signup.volunteer,
        date=timezone.localtime(shift.starts_at).date(),
        hours=hours,
        description=f"{shift.session.activity.title} · {shift.role}",
        source_key=f"events.shiftsignup:{signup.pk}",
        flagged=flagged,
        flag_reason=flag_reason,
    )


def shift_check_out(*, actor, signup: ShiftSignup, now: datetime.datetime | None = None) -> ShiftSignup:
    """Check out: the hours inside the shift's window are credited to her ledger (once), pending until
    staff approve them.

    ``signup.hours_entry`` is the ledger entry, None when nothing counts; then ``signup.no_hours_reason``
    says why: ``"outside_shift"`` (no time inside the shift's window, e.g. checked out before it started)
    or ``"too_short"`` (less than eight minutes inside it)."""
    now = now or timezone.now()
    with transaction.atomic(), set_actor(actor):
        locked = _lock_signup(signup)
        if not _may_touch(actor, locked):
            raise PermissionDenied
        if locked.checked_in_at is None:
            raise ValidationError(_("Check in first."), code="not_checked_in")
        if locked.checked_out_at is not None:
            raise ValidationError(
                _("You already checked out at %(time)s.") % {"time": _hhmm(locked.checked_out_at)},
                code="already_checked_out",
            )
        _pool.race_pause()
        locked.checked_out_at = max(now, locked.checked_in_at)
        locked.save(update_fields=["checked_out_at"])
        locked.hours_entry = _credit(locked)
        locked.no_hours_reason = "" if locked.hours_entry is not None else _no_hours_reason(locked)
        return locked


def _no_hours_reason(signup: ShiftSignup) -> str:
    worked = shift_worked(
        shift=signup.shift, checked_in_at=signup.checked_in_at, checked_out_at=signup.checked_out_at
    )
    return "outside_shift" if worked <= datetime.timedelta(0) else "too_short"


def shifts_autoclose_due(*, now: datetime.datetime | None = None) -> int:
    """Close check-ins nobody checked out, two hours after their shift ended: checked out at the shift's
    end, ``auto_closed``, hours credited and flagged for staff to review. Safe to run twice; returns how
    many were closed."""
    now = now or timezone.now()
    due = list(
        ShiftSignup.objects.filter(
            status=ShiftSignupStatus.SIGNED_UP,
            checked_in_at__isnull=False,
            checked_out_at__isnull=True,
            shift__ends_at__lt=now - AUTOCLOSE_AFTER,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    closed = 0
    reason = _("Nobody checked out; closed automatically at the end of the shift.")
    for pk in due:
        with transaction.atomic():
            qs = ShiftSignup.objects.filter(pk=pk, checked_out_at__isnull=True)
            if _pool.LOCKING:
                qs = qs.select_for_update(of=("self",), skip_locked=True)
            locked = qs.select_related("shift__session__activity", "volunteer__person").first()
            if locked is None:
                continue
            locked.checked_out_at = max(locked.shift.ends_at, locked.checked_in_at)
            locked.auto_closed = True
            locked.save(update_fields=["checked_out_at", "auto_closed"])
            _credit(locked, flagged=True, flag_reason=reason)
            closed += 1
    return closed
