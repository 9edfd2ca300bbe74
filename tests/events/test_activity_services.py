"""Staff create and change activities: ``events.services.activities``.

Every rule of the model and of the engine is refused with a translated error on its field and nothing is
saved; partner staff organise for their own organisation only; once anyone has booked, what the bookings
rest on cannot change."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from events.models import (
    Activity,
    AllocationMode,
    CapacityUnit,
    EarlyWindowFor,
    LotteryDraw,
    PriorityTier,
    RegistrationScope,
    ReminderRule,
    Session,
)
from events.services import activity_create, activity_update, booking_create
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory

from .factories import ActivityFactory, OrganizationFactory, SessionFactory, TargetGroupFactory, in_days


def base(**overrides):
    data = {
        "title": "周二越剧班",
        "description": "每周二上午，越剧爱好者一起学唱。",
        "place": "永兴社区活动室",
        "status": "published",
        "allocation": AllocationMode.FCFS,
        "capacity_unit": CapacityUnit.PERSON,
        "registration_scope": RegistrationScope.SESSION,
        "booking_opens_at": in_days(1),
        "booking_closes_at": in_days(20),
        "offer_hold_hours": 24,
        "cancel_hours_before": 24,
    }
    data.update(overrides)
    return data


def refused(exc_info) -> dict[str, list[str]]:
    return {k: [str(m) for e in v for m in e.messages] for k, v in exc_info.value.error_dict.items()}


@pytest.fixture
def org(db):
    return OrganizationFactory(name="南通申丞小海护理院")


@pytest.fixture
def partner(org):
    return UserFactory(role=Role.PARTNER_STAFF, organization=org, name="顾春梅")


def test_community_staff_create_an_activity_organised_by_herself_audited(world):
    activity = activity_create(actor=world.staff, data=base(), lead_minutes=[1440, 120])
    assert activity.organiser_user == world.staff and activity.organiser_org is None
    assert activity.created_by == world.staff and activity.status == "published"
    assert sorted(ReminderRule.objects.filter(activity=activity).values_list("lead_minutes", flat=True)) == [
        120,
        1440,
    ]
    entry = LogEntry.objects.get_for_object(activity).get()
    assert entry.actor == world.staff


def test_community_staff_may_name_a_partner_organisation(world, org):
    activity = activity_create(actor=world.staff, data=base(organiser_org=org))
    assert activity.organiser_org == org and activity.organiser_user is None


def test_a_partner_creates_for_her_own_organisation_whatever_was_posted(partner, org, db):
    activity = activity_create(actor=partner, data=base())
    assert activity.organiser_org == org and activity.organiser_user is None


def test_a_partner_cannot_create_for_another_organisation(partner, db):
    other = OrganizationFactory(name="永兴卫生服务站")
    with pytest.raises(ValidationError) as exc:
        activity_create(actor=partner, data=base(organiser_org=other))
    assert refused(exc) == {"organiser": ["You can only organise activities for 南通申丞小海护理院."]}
    with pytest.raises(ValidationError):
        activity_create(actor=partner, data=base(organiser_user=partner))
    assert not Activity.objects.exists()


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.VOLUNTEER])
def test_others_may_not_create(role, db):
    with pytest.raises(PermissionDenied):
        activity_create(actor=UserFactory(role=role), data=base())
    assert not Activity.objects.exists()


def test_a_resident_cannot_be_named_organiser(world):
    with pytest.raises(ValidationError) as exc:
        activity_create(actor=world.staff, data=base(organiser_user=world.mum_user))
    assert "organiser" in refused(exc)
    assert not Activity.objects.exists()


RULES = [  # (the overrides, computed in the test under the frozen clock; the errors)
    (
        lambda: {"booking_opens_at": in_days(5), "booking_closes_at": in_days(4)},
        {"booking_closes_at": ["Booking must close after it opens."]},
    ),
    (
        lambda: {"min_age": 60, "max_age": 6},
        {"max_age": ["The maximum age cannot be below the minimum age."]},
    ),
    (
        lambda: {"early_opens_at": in_days(3), "early_for": EarlyWindowFor.RESIDENTS},
        {"early_opens_at": ["Early booking must open before booking opens for everyone."]},
    ),
    (
        lambda: {
            "early_opens_at": in_days(0.5),
            "booking_opens_at": None,
            "early_for": EarlyWindowFor.RESIDENTS,
        },
        {"booking_opens_at": ["With an early booking window, say when booking opens for everyone."]},
    ),
    (lambda: {"early_opens_at": in_days(0.5)}, {"early_for": ["Say who may book early."]}),
    (
        lambda: {"early_opens_at": in_days(0.5), "early_for": EarlyWindowFor.GROUP},
        {"early_group": ["Choose the target group that may book early."]},
    ),
    (
        lambda: {"early_for": EarlyWindowFor.RESIDENTS},
        {"early_opens_at": ["Say when early booking opens, or leave “who may book early” empty."]},
    ),
    (
        lambda: {"allocation": AllocationMode.LOTTERY, "booking_closes_at": None},
        {"booking_closes_at": ["A lottery needs the time applications close: it is drawn after that."]},
    ),
    (
        lambda: {"registration_scope": RegistrationScope.COURSE, "capacity": None},
        {"capacity": ["An activity booked as a whole course needs the capacity of the course."]},
    ),
    (
        lambda: {"offer_hold_hours": 0},
        {"offer_hold_hours": ["A waitlist offer is held between 1 and 336 hours."]},
    ),
    (
        lambda: {"max_per_household": 0},
        {"max_per_household": ["A household may book between 1 and 50 places; leave it empty for no limit."]},
    ),
    (
        lambda: {"title": "  ", "place": ""},
        {"title": ["Give the activity a title."], "place": ["Say where the activity takes place."]},
    ),
]


@pytest.mark.parametrize("overrides, errors", RULES)
def test_every_rule_is_a_field_error_and_nothing_is_saved(world, overrides, errors):
    with pytest.raises(ValidationError) as exc:
        activity_create(actor=world.staff, data=base(**overrides()), lead_minutes=[60])
    assert refused(exc) == errors
    assert not Activity.objects.exists() and not ReminderRule.objects.exists()


def test_tiers_with_duplicate_ranks_or_no_rule_are_refused(world):
    group = TargetGroupFactory(name="待就业妇女")
    data = base(allocation=AllocationMode.LOTTERY)
    with pytest.raises(ValidationError) as exc:
        activity_create(
            actor=world.staff,
            data=data,
            tiers=[{"rank": 1, "residents": True}, {"rank": 1, "group": group}, {"rank": 2}],
        )
    assert refused(exc) == {
        "priority_tiers": [
            "Two priority tiers have rank 1: give each its own rank.",
            "A priority tier needs a group, or residents ticked.",
        ]
    }
    with pytest.raises(ValidationError) as exc:
        activity_create(actor=world.staff, data=base(), tiers=[{"rank": 1, "residents": True}])
    assert refused(exc) == {"priority_tiers": ["Priority tiers are only for an activity given by lottery."]}
    assert not Activity.objects.exists() and not PriorityTier.objects.exists()


def test_a_lottery_with_tiers_and_an_early_window(world):
    group = TargetGroupFactory(name="待就业妇女")
    activity = activity_create(
        actor=world.staff,
        data=base(
            allocation=AllocationMode.LOTTERY,
            early_opens_at=in_days(0.5),
            early_for=EarlyWindowFor.GROUP,
            early_group=group,
        ),
        tiers=[{"rank": 2, "residents": True}, {"rank": 1, "group": group}],
    )
    assert list(activity.priority_tiers.values_list("rank", "group", "residents")) == [
        (1, group.pk, False),
        (2, None, True),
    ]
    assert activity.early_group == group


def test_a_one_off_event_is_created_with_its_first_session(world):
    tz = timezone.get_current_timezone()
    day = timezone.localdate() + datetime.timedelta(days=30)
    starts = datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=tz)
    activity = activity_create(
        actor=world.staff,
        data=base(title="重阳节敬老活动"),
        first_session={"starts_at": starts, "ends_at": starts + datetime.timedelta(hours=2), "capacity": 40},
    )
    (session,) = activity.sessions.all()
    assert (session.starts_at, session.capacity) == (starts, 40)


def test_a_bad_first_session_saves_no_activity(world):
    starts = in_days(30, hour=9)
    with pytest.raises(ValidationError) as exc:
        activity_create(
            actor=world.staff,
            data=base(),
            first_session={"starts_at": starts, "ends_at": starts, "capacity": 40},
        )
    assert refused(exc) == {"first_end": ["A session must end after it starts."]}
    with pytest.raises(ValidationError) as exc:
        activity_create(
            actor=world.staff,
            data=base(),
            first_session={"starts_at": starts, "ends_at": starts + datetime.timedelta(hours=1)},
        )
    assert refused(exc) == {"first_capacity": ["Give the number of places of the first session."]}
    assert not Activity.objects.exists() and not Session.objects.exists()


# --- changing -----------------------------------------------------------------------------------


def test_a_partner_cannot_edit_another_organisations_activity(partner, world):
    theirs = ActivityFactory(organiser_user=world.staff, title="社区活动")
    with pytest.raises(PermissionDenied):
        activity_update(actor=partner, activity=theirs, data={"title": "改名"})
    theirs.refresh_from_db()
    assert theirs.title == "社区活动"


def test_a_partner_edits_her_organisations_activity_but_cannot_give_it_away(partner, org):
    ours = ActivityFactory(organiser_user=None, organiser_org=org, title="重阳节敬老活动")
    activity_update(actor=partner, activity=ours, data={"title": "重阳节敬老茶话会"})
    ours.refresh_from_db()
    assert ours.title == "重阳节敬老茶话会" and ours.organiser_org == org
    with pytest.raises(ValidationError) as exc:
        activity_update(actor=partner, activity=ours, data={"organiser_org": OrganizationFactory()})
    assert list(refused(exc)) == ["organiser"]
    ours.refresh_from_db()
    assert ours.organiser_org == org


def test_once_booked_the_allocation_and_unit_cannot_change(world, fcfs):
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.mum])
    with pytest.raises(ValidationError) as exc:
        activity_update(
            actor=world.staff,
            activity=fcfs.activity,
            data={"allocation": AllocationMode.LOTTERY, "capacity_unit": CapacityUnit.FAMILY},
        )
    message = "1 booking has been made: this can no longer change."
    assert refused(exc) == {"allocation": [message], "capacity_unit": [message]}
    fcfs.activity.refresh_from_db()
    assert (
        fcfs.activity.allocation == AllocationMode.FCFS and fcfs.activity.capacity_unit == CapacityUnit.PERSON
    )
    # what does not touch the bookings still changes
    activity_update(actor=world.staff, activity=fcfs.activity, data={"place": "二楼活动室"})
    fcfs.activity.refresh_from_db()
    assert fcfs.activity.place == "二楼活动室"


def test_before_anyone_booked_the_allocation_may_change(world, fcfs):
    activity_update(
        actor=world.staff,
        activity=fcfs.activity,
        data={"allocation": AllocationMode.LOTTERY},
        tiers=[{"rank": 1, "residents": True}],
    )
    fcfs.activity.refresh_from_db()
    assert fcfs.activity.is_lottery and fcfs.activity.priority_tiers.count() == 1


def test_a_course_capacity_cannot_drop_below_the_places_taken(world):
    course = ActivityFactory(
        organiser_user=world.staff,
        registration_scope=RegistrationScope.COURSE,
        capacity=5,
        title="暑期阅读班",
    )
    SessionFactory(activity=course)
    booking_create(actor=world.mum_user, activity=course, persons=[world.son, world.daughter])
    with pytest.raises(ValidationError) as exc:
        activity_update(actor=world.staff, activity=course, data={"capacity": 1})
    assert refused(exc) == {"capacity": ["2 places are already taken: the capacity cannot be lower."]}
    course.refresh_from_db()
    assert course.capacity == 5


def test_a_drawn_lottery_keeps_its_tiers(world):
    lottery = ActivityFactory(
        organiser_user=world.staff,
        allocation=AllocationMode.LOTTERY,
        booking_opens_at=in_days(-3),
        booking_closes_at=in_days(-1),
    )
    PriorityTier.objects.create(activity=lottery, rank=1, residents=True)
    LotteryDraw.objects.create(activity=lottery, seed="x", capacity=1, entries=[], order=[], winners=[])
    with pytest.raises(ValidationError) as exc:
        activity_update(actor=world.staff, activity=lottery, data={}, tiers=[])
    assert refused(exc) == {
        "priority_tiers": ["The lottery has been drawn: its priority tiers can no longer change."]
    }
    assert lottery.priority_tiers.count() == 1


def test_the_lottery_commitment_is_ensured_for_each_pool(world, monkeypatch):
    from events.services import lottery

    called = []

    def ensure(*, activity, session=None):
        called.append((activity.pk, session and session.pk))

    monkeypatch.setattr(lottery, "lottery_commitment_ensure", ensure, raising=False)
    starts = in_days(30)
    one_off = activity_create(
        actor=world.staff,
        data=base(allocation=AllocationMode.LOTTERY),
        first_session={"starts_at": starts, "ends_at": starts + datetime.timedelta(hours=1), "capacity": 9},
    )
    course = activity_create(
        actor=world.staff,
        data=base(allocation=AllocationMode.LOTTERY, registration_scope=RegistrationScope.COURSE, capacity=9),
    )
    activity_create(actor=world.staff, data=base(title="先到先得"))
    # Ensured by the activity service and again by session_create (idempotent): each pool, none other.
    assert set(called) == {(one_off.pk, one_off.sessions.get().pk), (course.pk, None)}


def test_an_activity_of_a_partner_that_has_stopped_can_still_be_edited(world):
    gone = OrganizationFactory(name="已停止合作的单位", is_active=False)
    activity = ActivityFactory(organiser_user=None, organiser_org=gone, title="旧活动")
    activity_update(actor=world.staff, activity=activity, data={"place": "二楼", "organiser_org": gone})
    activity.refresh_from_db()
    assert activity.place == "二楼" and activity.organiser_org == gone
    with pytest.raises(ValidationError) as exc:
        activity_create(actor=world.staff, data=base(organiser_org=gone))
    assert refused(exc) == {"organiser": ["已停止合作的单位 is no longer an active partner organisation."]}
