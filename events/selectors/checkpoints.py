"""Reads for checkpoints (the marathon's stations): who may stamp where, stamps per station, finishers
and who is still out on the course. Each is one query whatever the number of stamps.

A *finisher* is a confirmed registration holding a stamp at every *required* checkpoint of the activity
(for the session given, or any session when none is): one query, the registration's distinct required
stamps counted with ``Count(filter=...)`` and compared with the number of required checkpoints (a
subquery). An activity without required checkpoints has no finishers. *Still out* are those with at
least one stamp who are not finishers yet, with the station where they were last seen.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from ..models import (
    Activity,
    Checkpoint,
    Registration,
    RegistrationStatus,
    Session,
    ShiftSignupStatus,
    Stamp,
)
from . import activities_manageable_by, can_manage_activity


def _signed_up_q(user, prefix: str = "") -> Q:
    """Her signed-up shifts (as an active volunteer), as a filter on the ShiftSignup relation ``prefix``."""
    return Q(
        **{
            f"{prefix}status": ShiftSignupStatus.SIGNED_UP,
            f"{prefix}volunteer__person__user_id": user.pk,
            f"{prefix}volunteer__is_active": True,
        }
    )


def _authenticated(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def may_stamp_at(*, user, checkpoint: Checkpoint, session: Session | None = None) -> bool:
    """Staff who can manage the activity; volunteers signed up for a shift at this checkpoint (on that
    session, when one is given)."""
    if not _authenticated(user):
        return False
    if can_manage_activity(user=user, activity=checkpoint.activity):
        return True
    from ..models import ShiftSignup

    signups = ShiftSignup.objects.filter(_signed_up_q(user), shift__checkpoint=checkpoint)
    if session is not None:
        signups = signups.filter(shift__session=session)
    return signups.exists()


def checkpoints_stampable_by(*, user) -> QuerySet[Checkpoint]:
    """Checkpoints of the activities she manages, and those where she has a volunteer shift."""
    if not _authenticated(user):
        return Checkpoint.objects.none()
    managed = Q(activity__in=activities_manageable_by(user=user).values("pk"))
    return Checkpoint.objects.filter(managed | _signed_up_q(user, "shifts__signups__")).distinct()


def checkpoint_get_for_station(*, user, checkpoint_id) -> Checkpoint:
    """One checkpoint she may stamp at, with its activity, or ``Http404``."""
    try:
        pk = checkpoints_stampable_by(user=user).filter(pk=checkpoint_id).values("pk")
        return Checkpoint.objects.select_related("activity").get(pk__in=pk)
    except (Checkpoint.DoesNotExist, ValueError, TypeError):
        raise Http404("No such checkpoint.") from None


def station_sessions(*, user, checkpoint: Checkpoint) -> QuerySet[Session]:
    """Sessions she may stamp for at this checkpoint: every session not cancelled for the activity's
    staff; for a volunteer, the sessions of her shifts there."""
    qs = Session.objects.filter(activity_id=checkpoint.activity_id, cancelled=False)
    if not can_manage_activity(user=user, activity=checkpoint.activity):
        qs = qs.filter(_signed_up_q(user, "shifts__signups__"), shifts__checkpoint=checkpoint).distinct()
    return qs.order_by("starts_at", "id")


def session_nearest(
    sessions: list[Session], *, now: datetime.datetime | None = None, prefer_past: bool = False
) -> Session | None:
    """Of ``sessions`` (in order), the first one of today, else the next to come, else the last one.
    With ``prefer_past`` (the finishers after the event): today's, else the last one that has started."""
    if not sessions:
        return None
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    for s in sessions:
        if timezone.localtime(s.starts_at).date() == today:
            return s
    started = [s for s in sessions if s.starts_at <= now]
    if prefer_past and started:
        return started[-1]
    for s in sessions:
        if s.starts_at > now:
            return s
    return sessions[-1]


def _stamp_q(session: Session | None, prefix: str = "stamps__") -> Q:
    return Q(**{f"{prefix}session": session}) if session is not None else Q()


def checkpoint_counts(*, activity: Activity, session: Session | None = None) -> QuerySet[Checkpoint]:
    """The activity's checkpoints in route order, each with ``stamped`` (persons stamped there): one query."""
    return (
        Checkpoint.objects.filter(activity=activity)
        .annotate(stamped=Count("stamps", filter=_stamp_q(session)))
        .order_by("position", "id")
    )


def _required_total():
    required = (
        Checkpoint.objects.filter(activity_id=OuterRef("activity_id"), required=True)
        .order_by()
        .values("activity_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(required, output_field=IntegerField()), Value(0))


def _on_course(*, activity: Activity, session: Session | None) -> QuerySet[Registration]:
    qs = Registration.objects.filter(activity=activity, status=RegistrationStatus.CONFIRMED)
    if session is not None:
        qs = qs.filter(Q(session=session) | Q(session__isnull=True))
    stamp_q = _stamp_q(session)
    required_q = stamp_q & Q(stamps__checkpoint__required=True)
    return qs.annotate(
        required_total=_required_total(),
        required_stamps=Count("stamps__checkpoint", filter=required_q, distinct=True),
        stamps_total=Count("stamps", filter=stamp_q),
        last_stamped_at=Max("stamps__stamped_at", filter=stamp_q),
        finished_at=Max("stamps__stamped_at", filter=required_q),
    ).select_related("person", "booking")


def finishers(*, activity: Activity, session: Session | None = None) -> QuerySet[Registration]:
    """Registrations with a stamp at every required checkpoint, first finished first (``finished_at``:
    their last required stamp): one query."""
    return (
        _on_course(activity=activity, session=session)
        .filter(required_total__gt=0, required_stamps=F("required_total"))
        .order_by("finished_at", "pk")
    )


def still_out(*, activity: Activity, session: Session | None = None) -> QuerySet[Registration]:
    """Registrations seen at a checkpoint who have not finished, with ``last_checkpoint`` (the name of the
    station where they were seen last) and ``last_stamped_at``, longest unseen first: one query."""
    last = Stamp.objects.filter(registration=OuterRef("pk"))
    if session is not None:
        last = last.filter(session=session)
    last = last.order_by("-stamped_at", "-checkpoint__position").values("checkpoint__name")[:1]
    return (
        _on_course(activity=activity, session=session)
        .filter(stamps_total__gt=0)
        .filter(Q(required_total=0) | Q(required_stamps__lt=F("required_total")))
        .annotate(last_checkpoint=Subquery(last))
        .order_by("last_stamped_at", "pk")
    )


def station_count(*, checkpoint: Checkpoint, session: Session) -> dict[str, int]:
    """``stamped`` here and ``expected`` (confirmed persons of the session), one query each."""
    expected = Registration.objects.filter(
        Q(session=session) | Q(session__isnull=True, activity_id=session.activity_id),
        status=RegistrationStatus.CONFIRMED,
    )
    return {
        "stamped": Stamp.objects.filter(checkpoint=checkpoint, session=session).count(),
        "expected": expected.count(),
    }


__all__ = [
    "checkpoint_counts",
    "checkpoint_get_for_station",
    "checkpoints_stampable_by",
    "finishers",
    "may_stamp_at",
    "session_nearest",
    "station_count",
    "station_sessions",
    "still_out",
]
