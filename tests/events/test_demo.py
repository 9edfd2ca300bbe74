"""events/demo.py: the story's activities in the demo community (run by ``manage.py seed_demo``).

The whole demo community is built once for every area by tests/portal/test_seed_demo.py, which calls
``story_checks``, ``counts`` and ``after_second_run`` here; the holiday tests run the activities alone on a
tiny community with a fixed date."""

import datetime
from io import StringIO

import pytest
from django.apps import apps
from django.db.models import Count, Min, Q
from django.utils import timezone

from events import demo, lottery_verify, stats
from events.models import (
    Activity,
    Booking,
    CapacityUnit,
    CheckIn,
    EarlyWindowFor,
    LotteryCommitment,
    Registration,
    RegistrationStatus,
    Session,
    ShiftSignup,
    Stamp,
)
from events.recurrence import is_public_holiday
from events.services import WindowState, lottery_draw, pool_counters_drift, window_state
from portal.accounts.models import Role, User
from portal.volunteers.models import HoursEntry, HoursStatus
from tests.community.factories import OrganizationFactory, PersonFactory, UserFactory

from .conftest import ensure_message_templates

COUNTED = [
    "events.Activity",
    "events.Session",
    "events.Booking",
    "events.Registration",
    "events.CheckIn",
    "events.Checkpoint",
    "events.Stamp",
    "events.Shift",
    "events.ShiftSignup",
    "events.Reminder",
    "volunteers.HoursEntry",
]


def _counts():
    return {label: apps.get_model(label).objects.count() for label in COUNTED}


def _local(dt):
    return timezone.localtime(dt)


def _assert_marathon(now):
    marathon = Activity.objects.get(title=demo.MARATHON)
    assert marathon.capacity_unit == CapacityUnit.FAMILY
    sessions = list(marathon.sessions.order_by("starts_at"))
    assert [s.capacity for s in sessions] == [300, 300]
    past, upcoming = sessions
    assert past.starts_at < now < upcoming.starts_at
    bookings = Booking.objects.filter(activity=marathon).annotate(n=Count("registrations"))
    assert 290 <= bookings.filter(session=past).count() <= 300  # about 300 families, as in the story
    assert not bookings.filter(n__lt=2).exists()  # a parent and at least one child
    for session in sessions:
        assert bookings.filter(session=session).count() <= 300
    # Checkpoints, stamps and finishers of the past edition.
    checkpoints = list(marathon.checkpoints.order_by("position"))
    assert [c.name for c in checkpoints] == ["起点签到", "1.2 km 补给站", "折返点", "终点"]
    required = [c.pk for c in checkpoints if c.required]
    assert len(required) == 3
    came = Registration.objects.filter(checkins__session=past).distinct().count()
    finishers = (
        Registration.objects.filter(session=past)
        .annotate(n=Count("stamps", filter=Q(stamps__checkpoint__in=required), distinct=True))
        .filter(n=len(required))
        .count()
    )
    assert 0 < finishers < came
    assert not Stamp.objects.filter(session=upcoming).exists()
    # Volunteers: shifts at the checkpoints, checked in and out last time, hours in the ledger.
    done = ShiftSignup.objects.filter(shift__session=past)
    assert done.count() >= 15 and not done.filter(checked_in_at__isnull=True).exists()
    assert done.filter(auto_closed=True).count() == 1
    assert ShiftSignup.objects.filter(shift__session=upcoming, checked_in_at__isnull=True).exists()
    hours = HoursEntry.objects.filter(source_key__startswith="events.shiftsignup:")
    assert hours.count() == done.count()
    assert (
        hours.filter(status=HoursStatus.APPROVED).exists()
        and hours.filter(status=HoursStatus.PENDING).exists()
    )
    flagged = hours.get(flagged=True)
    assert flagged.source_key == f"events.shiftsignup:{done.get(auto_closed=True).pk}"
    assert flagged.status == HoursStatus.PENDING


def _assert_bamboo():
    bamboo = Activity.objects.get(title=demo.BAMBOO)
    assert bamboo.capacity_unit == CapacityUnit.FAMILY
    session = bamboo.sessions.get()
    assert session.capacity == 22
    regs = Registration.objects.filter(session=session)
    assert regs.filter(status=RegistrationStatus.CONFIRMED).values("booking").distinct().count() == 22
    assert regs.filter(status=RegistrationStatus.WAITLISTED).values("booking").distinct().count() >= 3


def _assert_opera(now):
    opera = Activity.objects.get(title=demo.OPERA)
    sessions = list(opera.sessions.all())
    assert len(sessions) >= 15
    for s in sessions:
        day = _local(s.starts_at).date()
        assert day.weekday() == 1 and _local(s.starts_at).hour == 9
        assert not is_public_holiday(day)  # the portal's calendar (a year not held has none)
    past = [s for s in sessions if s.starts_at < now]
    assert past and all(CheckIn.objects.filter(session=s).exists() for s in past)
    assert any(s.starts_at > now for s in sessions)
    assert Registration.objects.filter(
        activity=opera, person__name="樊天英", status=RegistrationStatus.CONFIRMED
    ).exists()


def _assert_committed_before_the_first_application(activity):
    commitment = LotteryCommitment.objects.get(activity=activity, session=None)
    first = Registration.objects.filter(activity=activity).aggregate(first=Min("created_at"))["first"]
    assert first is not None and commitment.committed_at <= first
    assert commitment.committed_at <= activity.booking_opens_at
    assert lottery_verify.seed_commitment(commitment.seed) == commitment.seed_sha256


def _assert_early_window(now):
    early = Activity.objects.get(title=demo.EARLY_WINDOW)
    assert window_state(activity=early, now=now) == WindowState.EARLY
    assert early.early_for == EarlyWindowFor.GROUP and early.early_group.code == demo.HARDSHIP_GROUP[0]
    booked = Registration.objects.filter(activity=early, status=RegistrationStatus.CONFIRMED)
    assert booked.exists()
    assert not booked.exclude(person__target_groups=early.early_group).exists()  # only the priority group


def _assert_lottery_ready_and_draw_it(now):
    ready = Activity.objects.get(title=demo.LOTTERY_READY)
    assert ready.is_lottery and ready.booking_closes_at < now
    tiers = list(ready.priority_tiers.order_by("rank"))
    assert [(t.rank, t.group.code if t.group else None, t.residents) for t in tiers] == [
        (1, demo.HARDSHIP_GROUP[0], False),
        (2, None, True),
    ]
    applied = Registration.objects.filter(activity=ready, status=RegistrationStatus.APPLIED)
    assert applied.values("booking").distinct().count() > ready.capacity
    assert applied.filter(person__target_groups=tiers[0].group).exists()  # the first tier has entries
    assert not ready.draws.exists()
    _assert_committed_before_the_first_application(ready)
    staff = User.objects.filter(role=Role.COMMUNITY_STAFF).order_by("pk").first()
    draw = lottery_draw(actor=staff, activity=ready)  # as shipped, it can be drawn
    assert draw.seed == draw.commitment.seed and len(draw.winners) > 0
    assert {e["tier"] for e in draw.entries} >= {1, 2}


def story_checks(*, output: str, today, now) -> None:
    """The story's activities, once ``seed_demo`` has run (called by tests/portal/test_seed_demo.py, which
    builds the whole demo community once for every area and runs it a second time)."""
    assert demo.MARATHON in output and demo.OPERA in output and demo.BAMBOO in output

    _assert_marathon(now)
    _assert_bamboo()
    _assert_opera(now)
    festivals = Activity.objects.filter(title__startswith="我们的节日")
    assert festivals.count() == 2
    assert CheckIn.objects.filter(session__activity__in=festivals).exists()
    assert Session.objects.filter(activity__in=festivals, starts_at__gt=now).exists()
    holiday_class = Activity.objects.get(title=demo.HOLIDAY_CLASS)
    applied = Registration.objects.filter(activity=holiday_class, status=RegistrationStatus.APPLIED).count()
    assert holiday_class.is_lottery and applied > holiday_class.capacity and not holiday_class.draws.exists()
    _assert_committed_before_the_first_application(holiday_class)
    _assert_early_window(now)
    # Attendance feeds the dashboard's person-times.
    figures = {
        f.key: f.value
        for f in stats.figures(start=today - datetime.timedelta(days=60), end=today)
        if not f.area
    }
    assert figures["events.attendance"] > 200 and figures["events.hours"] > 0
    # The seeds write registrations in bulk and recount every pool after: the counters the booking
    # decides from are what the registrations say (all areas' pools: this runs after every seed).
    assert pool_counters_drift() == []


def counts() -> dict:
    """What a second run must leave as it is."""
    return _counts()


def after_second_run(*, output: str, today, now) -> None:
    """The lottery ready to draw (issue 10): closed, with tiers, its seed committed before it opened."""
    _assert_lottery_ready_and_draw_it(now)


@pytest.mark.django_db
def test_the_opera_class_skips_public_holidays_and_meets_only_on_tuesdays():
    ensure_message_templates()
    UserFactory(role=Role.COMMUNITY_STAFF)
    OrganizationFactory(name=demo.ORGANISER)
    fan = PersonFactory(name="樊天英", birth_date=datetime.date(1950, 5, 1))
    for i in range(5):
        PersonFactory(name=f"老人{i}", birth_date=datetime.date(1955, 1, 1 + i))
    today = datetime.date(2026, 10, 20)  # the National Day week (Tuesday 6 October) is in the range
    demo.seed(stdout=StringIO(), today=today)
    days = sorted(_local(s.starts_at).date() for s in Session.objects.filter(activity__title=demo.OPERA))
    assert datetime.date(2026, 9, 29) in days and datetime.date(2026, 10, 13) in days
    assert datetime.date(2026, 10, 6) not in days
    assert {d.weekday() for d in days} == {1}
    assert not any(is_public_holiday(d) for d in days)
    assert CheckIn.objects.filter(registration__person=fan, session__starts_at__lt=timezone.now()).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("hour", "checked_in"), [(10, True), (8, False)])
def test_this_mornings_opera_class_has_its_check_ins_once_it_began(hour, checked_in):
    """Seeded on a Tuesday at ten, the class that began at nine took place (with check-ins); at eight it
    has not begun yet (none). The demo's "now" is the time it is built at, not nine o'clock."""
    import time_machine

    ensure_message_templates()
    UserFactory(role=Role.COMMUNITY_STAFF)
    OrganizationFactory(name=demo.ORGANISER)
    PersonFactory(name="樊天英", birth_date=datetime.date(1950, 5, 1))
    for i in range(5):
        PersonFactory(name=f"老人{i}", birth_date=datetime.date(1955, 1, 1 + i))
    tuesday = datetime.datetime(2026, 12, 1, hour, 0, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(tuesday, tick=False):
        demo.seed(stdout=StringIO(), today=timezone.localdate())
        session = Session.objects.get(activity__title=demo.OPERA, starts_at__date=tuesday.date())
        assert _local(session.starts_at).hour == 9
        assert CheckIn.objects.filter(session=session).exists() is checked_in
        assert not CheckIn.objects.filter(checked_in_at__gt=timezone.now()).exists()
