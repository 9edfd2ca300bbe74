"""The lottery: applications, a seeded draw with priority tiers that anyone can re-run."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from events.models import AllocationMode, LotteryDraw, PriorityTier, Registration, RegistrationScope
from events.selectors import waitlist_position
from events.services.booking import booking_create
from events.services.lottery import lottery_allocate, lottery_draw, lottery_rerun
from portal.notify.models import Message
from tests.community.factories import HouseholdFactory, PersonFactory, RelationFactory, UserFactory

from .factories import ActivityFactory, SessionFactory, TargetGroupFactory, in_days


def test_rerun_is_deterministic_and_tiers_come_first():
    entries = [{"id": i, "tier": 2 if i % 3 else 1} for i in range(1, 31)]
    order = lottery_rerun("2026-summer", entries)
    assert order == lottery_rerun("2026-summer", list(reversed(entries)))  # input order does not matter
    assert order == lottery_rerun("2026-summer", [(e["id"], e["tier"]) for e in entries])
    assert order != lottery_rerun("another seed", entries)
    tier1 = {e["id"] for e in entries if e["tier"] == 1}
    assert set(order[: len(tier1)]) == tier1
    assert sorted(order) == list(range(1, 31))


def test_allocate_gives_places_in_draw_order_while_they_last():
    assert lottery_allocate(order=[3, 1, 2, 4], sizes={1: 2, 2: 1, 3: 1, 4: 1}, places=3) == [3, 1]
    assert lottery_allocate(order=[1, 2, 3], sizes={1: 2, 2: 2, 3: 1}, places=3) == [1, 3]


@pytest.fixture
def summer(world):
    """暑托班: 3 places, lottery, applications closed; 6 families apply, the 'not placed' group first."""
    activity = ActivityFactory(
        title="暑托班",
        allocation=AllocationMode.LOTTERY,
        registration_scope=RegistrationScope.COURSE,
        capacity=3,
        min_age=6,
        max_age=12,
    )
    SessionFactory(activity=activity)
    priority = TargetGroupFactory(code="not-placed", name="尚未安排的家庭")
    PriorityTier.objects.create(activity=activity, rank=1, group=priority)
    applicants = []
    for i in range(6):
        parent_user = UserFactory()
        home = HouseholdFactory()
        parent = PersonFactory(user=parent_user, household=home)
        child = PersonFactory(name=f"孩子{i}", household=home, birth_date=world.son.birth_date)
        RelationFactory(subject=parent, relative=child)
        booking = booking_create(actor=parent_user, activity=activity, persons=[child])
        applicants.append((parent_user, child, booking))
        if i >= 4:
            priority.members.add(child)
    return activity, applicants


def close_window(activity):
    activity.booking_opens_at = in_days(-3)
    activity.booking_closes_at = in_days(-1)
    activity.save()


def test_applications_wait_for_the_draw(world, summer):
    activity, applicants = summer
    assert set(Registration.objects.filter(activity=activity).values_list("status", flat=True)) == {"applied"}
    with pytest.raises(ValidationError, match="after applications close"):
        lottery_draw(actor=world.staff, activity=activity, seed="x")


def test_draw_tiers_winners_and_waitlist_in_draw_order(world, summer):
    activity, applicants = summer
    close_window(activity)
    with pytest.raises(PermissionDenied):
        lottery_draw(actor=world.mum_user, activity=activity, seed="x")
    draw = lottery_draw(actor=world.staff, activity=activity, seed="永兴2026")
    assert draw.seed == "永兴2026" and draw.capacity == 3
    assert draw.order == lottery_rerun(draw.seed, draw.entries)
    priority_bookings = {b.pk for _u, _c, b in applicants[4:]}
    assert priority_bookings <= set(draw.winners)  # tier 1 drawn first
    assert len(draw.winners) == 3
    regs = {r.booking_id: r for r in Registration.objects.filter(activity=activity)}
    assert {b for b, r in regs.items() if r.status == "confirmed"} == set(draw.winners)
    losers = [b for b in draw.order if b not in draw.winners]
    positions = [waitlist_position(registration=regs[b]) for b in losers]
    assert positions == [1, 2, 3]
    assert Message.objects.filter(template__code="events.lottery_won").count() >= 3
    assert Message.objects.filter(template__code="events.lottery_waitlisted").count() >= 3
    with pytest.raises(ValidationError, match="already been drawn"):
        lottery_draw(actor=world.staff, activity=activity, seed="again")
    assert LotteryDraw.objects.count() == 1


def test_without_waitlist_losers_are_told_they_lost(world, summer):
    activity, _applicants = summer
    activity.waitlist_enabled = False
    close_window(activity)
    draw = lottery_draw(actor=world.staff, activity=activity)
    assert len(draw.seed) == 32  # a random seed, published
    assert Registration.objects.filter(activity=activity, status="lost").count() == 3


def test_applying_after_the_draw_is_refused(world, summer):
    activity, _applicants = summer
    close_window(activity)
    lottery_draw(actor=world.staff, activity=activity, seed="s")
    activity.booking_closes_at = in_days(2)
    activity.save()
    with pytest.raises(ValidationError, match="already been drawn"):
        booking_create(actor=world.mum_user, activity=activity, persons=[world.son])


def test_same_seed_same_result_on_a_second_database_run(world, summer):
    """Re-running from the published record gives the same winners."""
    activity, _applicants = summer
    close_window(activity)
    draw = lottery_draw(actor=world.staff, activity=activity, seed="public-seed")
    sizes = {e["id"]: e["size"] for e in draw.entries}
    assert (
        lottery_allocate(order=lottery_rerun(draw.seed, draw.entries), sizes=sizes, places=draw.capacity)
        == draw.winners
    )
