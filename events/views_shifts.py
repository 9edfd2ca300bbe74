"""Volunteer shifts on a phone: open shifts she can take, her shifts with big Check in / Check out
buttons, and the staff view of a session's shifts (who signed up, who came).

Every write is one POST calling one ``events.services.shift_*``; a repeated tap meets the service's
translated refusal ("you already checked in at 09:02") and changes nothing. Another volunteer's
sign-up, or a session the user does not manage, is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.volunteers.selectors import volunteer_of

from .selectors.shifts import (
    session_shifts_for,
    shift_get_open,
    shifts_open_for,
    signup_get_for,
    signups_of,
)
from .services.shifts import (
    CHECK_IN_EARLY,
    shift_check_in,
    shift_check_out,
    shift_signup,
    shift_signup_cancel,
)

HOME = "events:shifts"


def _refused(request, exc) -> None:
    for m in getattr(exc, "messages", None) or [str(exc) or _("You may not do this.")]:
        messages.error(request, m)


@login_required
def shifts_home(request):
    volunteer = volunteer_of(user=request.user)
    now = timezone.now()
    mine, open_shifts = [], []
    if volunteer is not None:
        mine = list(signups_of(volunteer=volunteer, now=now))
        for s in mine:
            shift = s.shift
            s.can_check_in = (
                s.checked_in_at is None and shift.starts_at - CHECK_IN_EARLY <= now <= shift.ends_at
            )
            s.can_check_out = s.checked_in_at is not None and s.checked_out_at is None
            s.can_cancel = s.checked_in_at is None and shift.starts_at > now
            s.opens_at = shift.starts_at - CHECK_IN_EARLY
        open_shifts = list(shifts_open_for(volunteer=volunteer, now=now)[:100])
    context = {"volunteer": volunteer, "mine": mine, "open_shifts": open_shifts, "now": now}
    return render(request, "events/shifts/home.html", context)


@login_required
@require_POST
def shift_signup_view(request, shift_id):
    shift = shift_get_open(shift_id=shift_id)
    try:
        shift_signup(actor=request.user, shift=shift)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("You are signed up for %(role)s.") % {"role": shift.role})
    return redirect(HOME)


@login_required
@require_POST
def signup_cancel_view(request, signup_id):
    signup = signup_get_for(user=request.user, signup_id=signup_id)
    try:
        shift_signup_cancel(actor=request.user, signup=signup)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("You have withdrawn from this shift."))
    return redirect(HOME)


@login_required
@require_POST
def signup_check_in_view(request, signup_id):
    signup = signup_get_for(user=request.user, signup_id=signup_id)
    try:
        done = shift_check_in(actor=request.user, signup=signup)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("Checked in at %(time)s.") % {"time": timezone.localtime(done.checked_in_at).strftime("%H:%M")},
        )
    return redirect(HOME)


def _shift_window(shift) -> str:
    start, end = timezone.localtime(shift.starts_at), timezone.localtime(shift.ends_at)
    return f"{start:%H:%M}–{end:%H:%M}"


@login_required
@require_POST
def signup_check_out_view(request, signup_id):
    signup = signup_get_for(user=request.user, signup_id=signup_id)
    try:
        done = shift_check_out(actor=request.user, signup=signup)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        if done.hours_entry is not None:
            messages.success(
                request,
                _("Checked out. %(hours)s hours are waiting for staff approval.")
                % {"hours": done.hours_entry.hours},
            )
        elif getattr(done, "no_hours_reason", "") == "outside_shift":
            messages.warning(
                request,
                _(
                    "Checked out. No service hours: only the time within the shift (%(window)s) counts, "
                    "and you were not checked in during it."
                )
                % {"window": _shift_window(done.shift)},
            )
        else:
            messages.success(request, _("Checked out. The time was too short to count as service hours."))
    return redirect(HOME)


@login_required
def session_shifts(request, session_id):
    session, shifts = session_shifts_for(user=request.user, session_id=session_id)
    return render(
        request,
        "events/shifts/session.html",
        {"session": session, "activity": session.activity, "shifts": shifts},
    )
