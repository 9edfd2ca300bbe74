"""The lottery: applications, a draw with priority tiers that anyone can re-run, with the seed the
portal committed to before the first application."""

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Min

from events import lottery_verify
from events.models import (
    AllocationMode,
    LotteryCommitment,
    LotteryDraw,
    PriorityTier,
    Registration,
    RegistrationScope,
)
from events.selectors import waitlist_position
from events.services.booking import booking_create
from events.services.lottery import lottery_allocate, lottery_commitment_ensure, lottery_draw, lottery_rerun
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
        lottery_draw(actor=world.staff, activity=activity)


def test_draw_tiers_winners_and_waitlist_in_draw_order(world, summer):
    activity, applicants = summer
    close_window(activity)
    with pytest.raises(PermissionDenied):
        lottery_draw(actor=world.mum_user, activity=activity)
    draw = lottery_draw(actor=world.staff, activity=activity)
    assert draw.seed == draw.commitment.seed and draw.capacity == 3
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
        lottery_draw(actor=world.staff, activity=activity)
    assert LotteryDraw.objects.count() == 1


def test_without_waitlist_losers_are_told_they_lost(world, summer):
    activity, _applicants = summer
    activity.waitlist_enabled = False
    close_window(activity)
    draw = lottery_draw(actor=world.staff, activity=activity)
    assert len(draw.seed) == 64 and int(draw.seed, 16) >= 0  # the portal's random seed, revealed
    assert Registration.objects.filter(activity=activity, status="lost").count() == 3


def test_applying_after_the_draw_is_refused(world, summer):
    activity, _applicants = summer
    close_window(activity)
    lottery_draw(actor=world.staff, activity=activity)
    activity.booking_closes_at = in_days(2)
    activity.save()
    with pytest.raises(ValidationError, match="already been drawn"):
        booking_create(actor=world.mum_user, activity=activity, persons=[world.son])


def test_same_seed_same_result_on_a_second_database_run(world, summer):
    """Re-running from the published record gives the same winners."""
    activity, _applicants = summer
    close_window(activity)
    draw = lottery_draw(actor=world.staff, activity=activity)
    sizes = {e["id"]: e["size"] for e in draw.entries}
    assert (
        lottery_allocate(order=lottery_rerun(draw.seed, draw.entries), sizes=sizes, places=draw.capacity)
        == draw.winners
    )


# --- the seed commitment (issue 10: a lottery no one can steer) ------------------------------------------


def _lottery(**fields):
    fields.setdefault("allocation", AllocationMode.LOTTERY)
    fields.setdefault("registration_scope", RegistrationScope.COURSE)
    fields.setdefault("capacity", 3)
    activity = ActivityFactory(**fields)
    SessionFactory(activity=activity)
    return activity


def test_the_seed_is_committed_before_the_first_application(world, summer):
    activity, applicants = summer
    commitment = LotteryCommitment.objects.get(activity=activity)
    first = Registration.objects.filter(activity=activity).aggregate(first=Min("created_at"))["first"]
    assert commitment.session is None and commitment.committed_at <= first
    assert commitment.seed_sha256 == hashlib.sha256(commitment.seed.encode()).hexdigest()
    assert len(commitment.seed) == 64 and int(commitment.seed, 16) >= 0  # secrets.token_hex(32)


def test_commitment_ensure_is_idempotent_and_never_replaces_a_seed(world):
    activity = _lottery()
    first = lottery_commitment_ensure(activity=activity)
    again = lottery_commitment_ensure(activity=activity, session=activity.sessions.get())
    assert again.pk == first.pk and again.seed == first.seed
    assert LotteryCommitment.objects.count() == 1
    # first come first served: nothing to commit
    assert lottery_commitment_ensure(activity=ActivityFactory()) is None
    # a session-by-session lottery: one commitment per session, each its own seed
    per_session = ActivityFactory(allocation=AllocationMode.LOTTERY)
    a, b = SessionFactory(activity=per_session), SessionFactory(activity=per_session)
    ca, cb = (lottery_commitment_ensure(activity=per_session, session=s) for s in (a, b))
    assert (ca.session, cb.session) == (a, b) and ca.seed != cb.seed
    assert lottery_commitment_ensure(activity=per_session, session=a).pk == ca.pk


def test_the_draw_uses_and_reveals_the_committed_seed(world, summer):
    activity, _applicants = summer
    commitment = LotteryCommitment.objects.get(activity=activity)
    close_window(activity)
    draw = lottery_draw(actor=world.staff, activity=activity)
    assert draw.commitment == commitment and draw.seed == commitment.seed
    assert lottery_verify.seed_commitment(draw.seed) == commitment.seed_sha256
    assert draw.order == lottery_verify.draw_order(draw.seed, draw.entries)


def test_nobody_can_choose_the_seed(world, summer):
    activity, _applicants = summer
    close_window(activity)
    with pytest.raises(TypeError):
        lottery_draw(actor=world.staff, activity=activity, seed="a seed that favours one family")
    assert not LotteryDraw.objects.exists()


def _statuses(activity):
    return sorted(Registration.objects.filter(activity=activity).values_list("pk", "status", "queue_no"))


def test_the_draw_refuses_a_pool_without_commitment(world, summer):
    activity, _applicants = summer
    LotteryCommitment.objects.filter(activity=activity).delete()  # e.g. made in the admin, or lost
    close_window(activity)
    before = _statuses(activity)
    with pytest.raises(ValidationError, match="no seed committed before applications opened") as exc:
        lottery_draw(actor=world.staff, activity=activity)
    assert exc.value.code == "no_commitment"
    assert not LotteryDraw.objects.exists() and _statuses(activity) == before
    assert not LotteryCommitment.objects.exists()  # not silently made at the draw either


def test_the_draw_refuses_a_commitment_made_after_the_first_application(world, summer):
    activity, _applicants = summer
    LotteryCommitment.objects.filter(activity=activity).delete()
    late = lottery_commitment_ensure(activity=activity)  # now: after the six applications
    close_window(activity)
    before = _statuses(activity)
    with pytest.raises(ValidationError, match="after the first application") as exc:
        lottery_draw(actor=world.staff, activity=activity)
    assert exc.value.code == "late_commitment"
    assert not LotteryDraw.objects.exists() and _statuses(activity) == before
    # the untrusted commitment is kept as it was, not silently replaced
    assert list(LotteryCommitment.objects.values_list("pk", "seed")) == [(late.pk, late.seed)]
    # a later application does not "repair" it either
    assert lottery_commitment_ensure(activity=activity).pk == late.pk


def test_an_application_commits_the_seed_first_when_nobody_did(world):
    """The safety net in the application path: an activity made a lottery without a commitment gets one
    in the same transaction, before the application is saved."""
    activity = _lottery(min_age=6, max_age=12)
    assert not LotteryCommitment.objects.exists()
    booking_create(actor=world.mum_user, activity=activity, persons=[world.son])
    commitment = LotteryCommitment.objects.get(activity=activity)
    reg = Registration.objects.get(activity=activity)
    assert commitment.committed_at <= reg.created_at


def test_a_refused_application_commits_nothing(world):
    activity = _lottery(min_age=60)
    with pytest.raises(ValidationError):
        booking_create(actor=world.mum_user, activity=activity, persons=[world.son])
    assert not LotteryCommitment.objects.exists() and not Registration.objects.exists()


def test_the_service_uses_the_verifiers_functions(world, summer, monkeypatch):
    """One implementation: the draw follows whatever events.lottery_verify computes."""
    activity, _applicants = summer
    close_window(activity)
    calls = []
    real_order, real_allocate = lottery_verify.draw_order, lottery_verify.allocate

    def spy_order(seed, entries):
        calls.append("order")
        return sorted(real_order(seed, entries), reverse=True)

    def spy_allocate(order, sizes, places):
        calls.append("allocate")
        return real_allocate(order, sizes, places)

    monkeypatch.setattr(lottery_verify, "draw_order", spy_order)
    monkeypatch.setattr(lottery_verify, "allocate", spy_allocate)
    draw = lottery_draw(actor=world.staff, activity=activity)
    assert calls == ["order", "allocate"]
    assert draw.order == sorted(draw.order, reverse=True)
    assert lottery_rerun("s", [(1, 1), (2, 1)]) == [2, 1] and calls[-1] == "order"


def test_there_is_one_copy_of_the_algorithm():
    import ast
    import inspect

    from events.services import lottery as service

    tree = ast.parse(inspect.getsource(service))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not imported & {"random", "hashlib"}  # no second shuffle, no second hash
    calls = {
        n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
    }
    assert "shuffle" not in calls and {"draw_order", "allocate", "seed_commitment"} <= calls
    assert service.lottery_verify is lottery_verify


def test_the_migration_commits_undrawn_lotteries(world, summer):
    """The data step of 0011 gives each lottery pool not yet drawn a commitment, and only once."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("events.migrations.0011_lottery_commitment")
    activity, _applicants = summer
    close_window(activity)
    drawn = lottery_draw(actor=world.staff, activity=activity)
    course = _lottery()
    sessions_lottery = ActivityFactory(allocation=AllocationMode.LOTTERY)
    s1, s2 = SessionFactory(activity=sessions_lottery), SessionFactory(activity=sessions_lottery)
    ActivityFactory()  # first come first served
    migration.commit_existing_lotteries(apps, None)
    migration.commit_existing_lotteries(apps, None)
    pools = set(LotteryCommitment.objects.values_list("activity_id", "session_id"))
    assert pools == {
        (activity.pk, None),
        (course.pk, None),
        (sessions_lottery.pk, s1.pk),
        (sessions_lottery.pk, s2.pk),
    }
    assert LotteryCommitment.objects.get(activity=activity).pk == drawn.commitment_id  # untouched
    for c in LotteryCommitment.objects.all():
        assert lottery_verify.seed_commitment(c.seed) == c.seed_sha256
