"""The one-statement claim (``pool_take``, PostgreSQL) decides exactly what the locked path decides.

A first-come booking on PostgreSQL takes its seats with one ``UPDATE ... RETURNING``; everything else
(SQLite, lotteries, families, household limits, the reason of a refusal) reads the locked row and
decides in Python. For every state of a pool (capacity, seats taken, people waiting) and every booking
(one to three persons, with or without a waitlist) both paths must give the same statuses, waitlist
numbers, places in line and counters, or the same refusal.
"""

import itertools

import pytest
from django.core.exceptions import ValidationError

from events.models import Registration, RegistrationScope, Session
from events.services import booking as booking_module
from events.services import booking_create, booking_create_by_ids, pool_counters_drift
from events.services._pool import Pool, pool_take

from .factories import ActivityFactory, SessionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _book(world, *, session, persons):
    try:
        booking = booking_create(
            actor=world.mum_user, activity=session.activity, session=session, persons=persons
        )
    except ValidationError as exc:
        return ("refused", exc.messages)
    d = booking.decision
    return ("booked", d.statuses, d.queue_nos, d.positions)


def _state(session):
    session.refresh_from_db()
    return (session.pool_seats_taken, session.pool_waitlisted, session.pool_last_queue_no)


STATES = [  # (capacity, seats taken, waiting, last waitlist number)
    (0, 0, 0, 0),
    (2, 0, 0, 0),
    (2, 1, 0, 0),
    (2, 2, 0, 0),
    (3, 1, 0, 4),  # numbers given before (the holders left): the next is 5
    (3, 3, 2, 7),
    (3, 1, 1, 3),  # a seat free while someone waits (an offer pending): nobody jumps the line
]


@pytest.mark.parametrize(
    ("state", "count", "waitlist"), list(itertools.product(STATES, (1, 2, 3), (True, False)))
)
def test_one_statement_decides_as_the_locked_path(world, monkeypatch, state, count, waitlist):
    capacity, taken, waiting, last = state
    activity = ActivityFactory(organiser_user=world.staff, waitlist_enabled=waitlist)
    persons = [world.mum, world.son, world.daughter][:count]
    outcomes = {}
    for path in ("one statement", "locked row"):
        session = SessionFactory(activity=activity, capacity=capacity)
        # The counters as the state says (the registrations behind them do not matter to the decision).
        Session.objects.filter(pk=session.pk).update(
            pool_seats_taken=taken, pool_waitlisted=waiting, pool_last_queue_no=last
        )
        session.refresh_from_db()
        if path == "locked row":
            monkeypatch.setattr(booking_module, "pool_take_supported", lambda: False)
        calls = []

        def counted(*args, calls=calls, real=booking_module.pool_take, **kwargs):
            calls.append(1)
            return real(*args, **kwargs)

        monkeypatch.setattr(booking_module, "pool_take", counted)
        outcomes[path] = (_book(world, session=session, persons=persons), _state(session))
        # Sold out with no waitlist: refused from the counters before the lock, by either path.
        sold_out = not waitlist and (waiting > 0 or taken >= capacity)
        assert bool(calls) == (path == "one statement" and not sold_out)
        monkeypatch.undo()
    assert outcomes["one statement"] == outcomes["locked row"]


def test_a_cancelled_session_is_not_taken(world):
    """Cancelled between the check before the lock and the claim: nothing is taken, and the locked path
    says why."""
    activity = ActivityFactory(organiser_user=world.staff)
    session = SessionFactory(activity=activity, capacity=5)
    Session.objects.filter(pk=session.pk).update(cancelled=True)
    assert pool_take(Pool(activity=activity, session=session), count=1, waitlist=True) is None
    assert _state(session) == (0, 0, 0)


def test_no_waitlist_and_too_few_seats_takes_nothing(world):
    activity = ActivityFactory(organiser_user=world.staff, waitlist_enabled=False)
    session = SessionFactory(activity=activity, capacity=2)
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.mum])
    with pytest.raises(ValidationError) as refused:
        booking_create(
            actor=world.mum_user, activity=activity, session=session, persons=[world.son, world.daughter]
        )
    assert refused.value.messages == ["Only 1 place is left, for 2 people."]
    assert _state(session) == (1, 0, 0)
    assert pool_counters_drift() == []


def test_a_second_booking_of_the_same_person_is_named(world):
    """The form's POST does not look for her place before the lock: the one-place constraint refuses the
    second booking, and the refusal names her; nothing of it is kept."""
    activity = ActivityFactory(organiser_user=world.staff)
    session = SessionFactory(activity=activity, capacity=5)
    booking_create_by_ids(actor=world.mum_user, activity=activity, session=session, person_ids=[world.son.pk])
    with pytest.raises(ValidationError) as refused:
        booking_create_by_ids(
            actor=world.mum_user,
            activity=activity,
            session=session,
            person_ids=[world.son.pk, world.daughter.pk],
        )
    assert refused.value.messages == ["张小明 is already booked for this."]
    assert Registration.objects.filter(session=session).count() == 1
    assert _state(session) == (1, 0, 0)


@pytest.mark.parametrize("waitlist", [True, False])
def test_a_course_is_taken_as_one_pool(world, monkeypatch, waitlist):
    """A course (booked whole) is claimed on the activity's row: two seats, the third person waits (or,
    with no waitlist, the booking is refused whole), as on the locked path."""
    outcomes = {}
    for path in ("one statement", "locked row"):
        course = ActivityFactory(
            organiser_user=world.staff,
            registration_scope=RegistrationScope.COURSE,
            capacity=2,
            waitlist_enabled=waitlist,
        )
        SessionFactory(activity=course)
        if path == "locked row":
            monkeypatch.setattr(booking_module, "pool_take_supported", lambda: False)
        try:
            booking = booking_create(
                actor=world.mum_user, activity=course, persons=[world.mum, world.son, world.daughter]
            )
            got = (booking.decision.statuses, booking.decision.queue_nos, booking.decision.positions)
        except ValidationError as exc:
            got = exc.messages
        course.refresh_from_db()
        outcomes[path] = (got, course.pool_seats_taken, course.pool_waitlisted, course.pool_last_queue_no)
        monkeypatch.undo()
    assert outcomes["one statement"] == outcomes["locked row"]
    if waitlist:
        assert outcomes["one statement"] == (
            (["confirmed", "confirmed", "waitlisted"], [None, None, 1], [None, None, 1]),
            2,
            1,
            1,
        )
    else:
        assert outcomes["one statement"] == (["Only 2 places are left, for 3 people."], 0, 0, 0)
