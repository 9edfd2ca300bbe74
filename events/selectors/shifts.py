"""Reads for volunteer shifts, scoped by the acting user: a volunteer sees open shifts and her own
sign-ups; staff who manage an activity see its sessions' shifts with who signed up. Lookups by id raise
``Http404`` for what the user may not see. Each costs a fixed number of queries whatever the row count."""

from __future__ import annotations

import datetime

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ..models import ActivityStatus, Session, Shift, ShiftSignup, ShiftSignupStatus
from . import can_manage_activity, session_get_for

#: Her sign-ups stay on her page this long after the shift ended (to check out late).
RECENT = datetime.timedelta(hours=12)


def _with_taken(qs: QuerySet[Shift]) -> QuerySet[Shift]:
    taken = Count("signups", filter=Q(signups__status=ShiftSignupStatus.SIGNED_UP))
    return qs.annotate(taken=taken).annotate(slots_left=F("slots") - F("taken"))


def shifts_open_for(*, volunteer, now: datetime.datetime | None = None) -> QuerySet[Shift]:
    """Shifts she can still take: published activity, session not cancelled, not started, a slot left,
    not already hers."""
    now = now or timezone.now()
    mine = ShiftSignup.objects.filter(volunteer=volunteer, status=ShiftSignupStatus.SIGNED_UP).values(
        "shift_id"
    )
    return (
        _with_taken(
            Shift.objects.filter(
                starts_at__gt=now,
                session__cancelled=False,
                session__activity__status=ActivityStatus.PUBLISHED,
            ).exclude(pk__in=mine)
        )
        .filter(slots_left__gt=0)
        .select_related("session__activity", "checkpoint")
        .order_by("starts_at", "role", "id")
    )


def signups_of(*, volunteer, now: datetime.datetime | None = None) -> QuerySet[ShiftSignup]:
    """Her current sign-ups: upcoming, under way, or ended recently (or still checked in)."""
    now = now or timezone.now()
    return (
        ShiftSignup.objects.filter(volunteer=volunteer, status=ShiftSignupStatus.SIGNED_UP)
        .filter(
            Q(shift__ends_at__gte=now - RECENT) | Q(checked_in_at__isnull=False, checked_out_at__isnull=True)
        )
        .select_related("shift__session__activity", "shift__checkpoint")
        .order_by("shift__starts_at", "id")
    )


def signup_get_for(*, user, signup_id) -> ShiftSignup:
    """One of the user's own sign-ups (another volunteer's is a 404)."""
    if user is None or not user.is_authenticated:
        raise Http404("No such sign-up.")
    try:
        return ShiftSignup.objects.select_related("shift__session__activity", "volunteer__person").get(
            pk=signup_id, volunteer__person__user_id=user.pk, volunteer__is_active=True
        )
    except (ShiftSignup.DoesNotExist, ValueError, TypeError):
        raise Http404("No such sign-up.") from None


def shift_get_open(*, shift_id) -> Shift:
    try:
        return Shift.objects.select_related("session__activity").get(
            pk=shift_id, session__activity__status=ActivityStatus.PUBLISHED
        )
    except (Shift.DoesNotExist, ValueError, TypeError):
        raise Http404("No such shift.") from None


def session_shifts_for(*, user, session_id) -> tuple[Session, list[Shift]]:
    """A session's shifts with their sign-ups (names, check-in and out), for staff who manage it."""
    session = session_get_for(user=user, session_id=session_id)
    if not can_manage_activity(user=user, activity=session.activity):
        raise Http404("No such session.")
    signups = ShiftSignup.objects.select_related("volunteer__person").order_by("status", "created_at", "id")
    shifts = list(
        _with_taken(Shift.objects.filter(session=session))
        .select_related("checkpoint")
        .prefetch_related(Prefetch("signups", queryset=signups))
        .order_by("starts_at", "role", "id")
    )
    return session, shifts
