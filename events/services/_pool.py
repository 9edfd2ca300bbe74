"""The pool a seat is taken from (a session, or the whole course), its lock and its counts.

Locking: a writer that decides from a count (seats left, the next on the waitlist) first locks the row
of the pool (the Session, or the Activity of a course) with ``SELECT ... FOR UPDATE``, late, then counts
again and writes.

Counters: the pool's row carries its counts (``events.models.PoolCounters``). A booking decides from
them, read with the lock, and moves them in one UPDATE (:func:`pool_claim`); every other writer recounts
them from the registrations once it holds the lock (:func:`pool_recount`; ``events.signals`` does it for
any registration saved or deleted one by one, the writers that update rows in bulk call it themselves).
:func:`pool_counters_drift` recomputes them all, for the tests and the consistency check. ``LOCKING`` exists only so that the concurrency tests can show the race without it;
nothing else may turn it off.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Value
from django.db.models.functions import Greatest

from ..models import POOL_COUNTER_FIELDS, SEATED_STATUSES, Activity, Registration, RegistrationStatus, Session

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

    @property
    def row(self) -> Activity | Session:
        """The row that carries the pool's lock and counters."""
        return self.activity if self.session is None else self.session

    def row_queryset(self):
        if self.session is None:
            return Activity.objects.filter(pk=self.activity.pk)
        return Session.objects.filter(pk=self.session.pk)

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


def pool_counts(pool: Pool) -> dict[str, int]:
    """The counters as recomputed from the registrations (one query)."""
    row = pool.registrations().aggregate(
        seated=Count("pk", filter=Q(status__in=SEATED_STATUSES)),
        seated_bookings=Count("booking_id", filter=Q(status__in=SEATED_STATUSES), distinct=True),
        waitlisted=Count("pk", filter=Q(status=RegistrationStatus.WAITLISTED)),
        last=Max("queue_no"),
    )
    return {
        "pool_seats_taken": row["seated_bookings"] if pool.activity.counts_families else row["seated"],
        "pool_waitlisted": row["waitlisted"],
        "pool_last_queue_no": row["last"] or 0,
    }


def pool_recount(pool: Pool) -> None:
    """Set the pool's counters from its registrations. The caller holds the pool's lock (``pool_lock``
    in the same transaction): counted under it, nothing can change between the count and the write."""
    counts = pool_counts(pool)
    # Waitlist numbers are never given twice: the last one given stays, even when its holder has left.
    last = counts.pop("pool_last_queue_no")
    pool.row_queryset().update(**counts, pool_last_queue_no=Greatest("pool_last_queue_no", Value(last)))
    counts["pool_last_queue_no"] = max(last, pool.row.pool_last_queue_no)
    for name, value in counts.items():
        setattr(pool.row, name, value)


def pool_recount_for(*, activity_id: int, session_id: int | None) -> None:
    """Lock the pool of a registration (a session, or a course when ``session_id`` is None) and recount it."""
    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        return  # the activity is being deleted with its registrations
    session = None
    if session_id is not None:
        session = Session.objects.filter(pk=session_id).first()
        if session is None:
            return
    with transaction.atomic():
        pool_recount(pool_lock(Pool(activity=activity, session=session)))


def pools_recount(registrations=None) -> int:
    """Recount every pool (or the pools of ``registrations``, a queryset): after rows were written in
    bulk (the demo seeds, a data migration). Returns the number of pools recounted."""
    qs = Registration.objects.all() if registrations is None else registrations
    keys = set(qs.order_by().values_list("activity_id", "session_id").distinct())
    if registrations is None:
        keys |= {(a, None) for a in Activity.objects.values_list("pk", flat=True)}
        keys |= set(Session.objects.values_list("activity_id", "pk"))
    for activity_id, session_id in sorted(keys, key=lambda k: (k[0], k[1] or 0)):
        pool_recount_for(activity_id=activity_id, session_id=session_id)
    return len(keys)


def pool_claim(pool: Pool, *, seats: int, waiting: int, last_queue_no: int | None) -> None:
    """Move the locked pool's counters by what one booking took: ``seats`` seats (in the activity's
    unit), ``waiting`` persons on the waitlist, the waitlist numbered up to ``last_queue_no``."""
    changes = {}
    if seats:
        changes["pool_seats_taken"] = F("pool_seats_taken") + seats
    if waiting:
        changes["pool_waitlisted"] = F("pool_waitlisted") + waiting
    if last_queue_no is not None:
        changes["pool_last_queue_no"] = last_queue_no
    if changes:
        pool.row_queryset().update(**changes)


def pool_take_supported() -> bool:
    """Whether ``pool_take`` can run here: PostgreSQL (a locking ``SELECT`` in a ``WITH``, and the rows it
    read returned by the ``UPDATE``), with the lock on (the concurrency tests' control runs turn it off
    to show the race of read-then-write, which this statement does not have)."""
    return LOCKING and connection.vendor == "postgresql"


def pool_take(pool: Pool, *, count: int, waitlist: bool) -> tuple[int, int, int] | None:
    """Lock the pool's row and take ``count`` places in one statement, the seats left first (none while
    anyone waits) and the rest on the waitlist, numbered after the last number given. Returns the
    counters as they were before (seats taken, waitlisted, last waitlist number), from which the caller
    derives who got what; None, with nothing taken, when the session is cancelled, or when there is no
    waitlist (``waitlist`` False) and fewer seats are left than ``count``. PostgreSQL only
    (``pool_take_supported``); the rules are ``booking._seats_for``'s."""
    row = pool.row
    table = connection.ops.quote_name(type(row)._meta.db_table)
    capacity = "capacity" if pool.session is not None else "COALESCE(capacity, 0)"
    open_only = "AND NOT cancelled" if pool.session is not None else ""
    sql = f"""
        WITH before AS (
            SELECT id, pool_seats_taken, pool_waitlisted, pool_last_queue_no,
                   LEAST(CASE WHEN pool_waitlisted > 0 THEN 0
                              ELSE GREATEST({capacity} - pool_seats_taken, 0) END, %(n)s::integer) AS seats
            FROM {table} WHERE id = %(id)s::bigint {open_only} FOR UPDATE
        )
        UPDATE {table} AS pool SET
            pool_seats_taken = before.pool_seats_taken + before.seats,
            pool_waitlisted = before.pool_waitlisted + (%(n)s::integer - before.seats),
            pool_last_queue_no = before.pool_last_queue_no + (%(n)s::integer - before.seats)
        FROM before
        WHERE pool.id = before.id AND (%(waitlist)s::boolean OR before.seats = %(n)s::integer)
        RETURNING before.pool_seats_taken, before.pool_waitlisted, before.pool_last_queue_no
    """  # noqa: S608  (the table and column names are the model's own; the values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"id": row.pk, "n": count, "waitlist": waitlist})
        found = cursor.fetchone()
    return tuple(found) if found is not None else None


def pool_counters_drift() -> list[dict]:
    """Every pool whose counters differ from its registrations: ``[{"pool": ..., "stored": {...},
    "counted": {...}}]`` (empty when all are true). For the tests after each concurrency run."""
    drift = []
    for activity in Activity.objects.all():
        pools = [Pool(activity=activity, session=None)]
        pools += [Pool(activity=activity, session=s) for s in activity.sessions.all()]
        for pool in pools:
            stored = {name: getattr(pool.row, name) for name in POOL_COUNTER_FIELDS}
            counted = pool_counts(pool)
            # The last waitlist number given may be above the highest still held (never below it).
            if stored["pool_last_queue_no"] >= counted["pool_last_queue_no"]:
                counted["pool_last_queue_no"] = stored["pool_last_queue_no"]
            if stored != counted:
                drift.append({"pool": str(pool.row), "stored": stored, "counted": counted})
    return drift
