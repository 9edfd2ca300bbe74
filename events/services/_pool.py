"""The pool a seat is taken from (a session, or the whole course), its lock and its counts.

Locking: a writer that decides from a count (seats left, the next on the waitlist) first locks the row
of the pool (the Session, or the Activity of a course) with ``SELECT ... FOR UPDATE``, late, then counts
again and writes. ``LOCKING`` exists only so that the concurrency tests can show the race without it;
nothing else may turn it off.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db.models import Count, Max, Q

from ..models import SEATED_STATUSES, Activity, Registration, RegistrationStatus, Session

#: Tests only: False turns the pool lock off to show that the race oversells without it.
LOCKING = True
#: Tests only: a pause between reading and writing, to widen the race window in the concurrency tests.
RACE_PAUSE_SECONDS = 0.0


def race_pause() -> None:
    if RACE_PAUSE_SECONDS:
        time.sleep(RACE_PAUSE_SECONDS)


@dataclass(frozen=True)
class Pool:
    activity: Activity
    session: Session | None

    @property
    def capacity(self) -> int:
        if self.session is None:
            return self.activity.capacity or 0
        return self.session.capacity

    def registrations(self):
        qs = Registration.objects.filter(activity_id=self.activity.pk)
        if self.session is None:
            return qs.filter(session__isnull=True)
        return qs.filter(session_id=self.session.pk)

    def seats_taken(self) -> int:
        """Seats held (confirmed or offered): persons, or bookings when the activity counts families."""
        seated = self.registrations().filter(status__in=SEATED_STATUSES)
        if self.activity.counts_families:
            return seated.aggregate(n=Count("booking_id", distinct=True))["n"]
        return seated.count()

    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken(), 0)

    def next_queue_no(self) -> int:
        top = self.registrations().aggregate(m=Max("queue_no"))["m"]
        return (top or 0) + 1

    def waitlist(self):
        return self.registrations().filter(status=RegistrationStatus.WAITLISTED).order_by("queue_no", "id")


def pool_for(*, activity: Activity, session: Session | None) -> Pool:
    """The pool of ``activity`` (a course) or of one of its sessions."""
    if activity.is_course:
        return Pool(activity=activity, session=None)
    if session is None:
        raise ValueError("this activity is booked session by session: a session is needed")
    return Pool(activity=activity, session=session)


def pool_lock(pool: Pool) -> Pool:
    """Lock the pool's row (late, inside the caller's transaction) and return it freshly read."""
    if pool.session is None:
        qs = Activity.objects.filter(pk=pool.activity.pk)
        activity = (qs.select_for_update() if LOCKING else qs).get()
        return Pool(activity=activity, session=None)
    qs = Session.objects.filter(pk=pool.session.pk)
    session = (qs.select_for_update() if LOCKING else qs).get()
    session.activity = pool.activity
    return Pool(activity=pool.activity, session=session)


def pool_of_registration(reg: Registration) -> Pool:
    return Pool(activity=reg.activity, session=reg.session)


def active_in_pool_q(pool: Pool) -> Q:
    if pool.session is None:
        return Q(activity_id=pool.activity.pk, session__isnull=True)
    return Q(session_id=pool.session.pk)
