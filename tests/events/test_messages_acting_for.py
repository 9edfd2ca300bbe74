"""Messages about a person without her own account reach those who act for her (guardians, carers),
once each: booked on her behalf by staff, a lottery entry and its result, reminders, staff messages.

The trial found that a guardian was never told when staff booked her child."""

import datetime

import pytest

from events.models import AllocationMode, RegistrationScope
from events.services import reminders as rem
from events.services.booking import booking_create, booking_create_on_behalf
from events.services.lottery import lottery_draw
from events.services.reminders import session_message_send
from portal.community.models import RelationKind
from portal.notify.models import Message
from tests.community.factories import RelationFactory

from .factories import ActivityFactory, SessionFactory, in_days

HOUR = datetime.timedelta(hours=1)


def rows(template, **filters):
    return Message.objects.filter(template__code=template, **filters)


@pytest.fixture
def afternoon(world):
    activity = ActivityFactory(organiser_user=world.staff, title="亲子烘焙", place="永兴社区活动室")
    session = SessionFactory(activity=activity, capacity=3, starts_at=in_days(7, hour=15))
    return activity, session


def test_people_acting_for_are_her_guardians_and_carers_with_accounts(world):
    from portal.community.selectors import people_acting_for

    assert people_acting_for(person=world.son) == [world.mum]
    assert people_acting_for(person=world.granny) == [world.mum]
    assert people_acting_for(person=world.mum) == []


def test_staff_book_a_child_and_her_guardian_is_told(world, afternoon):
    activity, session = afternoon
    booking = booking_create_on_behalf(
        staff=world.staff, activity=activity, session=session, persons=[world.son]
    )
    told = rows("events.booked_on_behalf", user=world.mum_user)
    assert set(told.values_list("channel", flat=True)) >= {"inbox", "sms"}
    inbox = told.get(channel="inbox")
    assert inbox.key == f"events.booked_on_behalf:{booking.pk}:user:{world.mum_user.pk}:inbox"
    assert "张小明" in inbox.body and "亲子烘焙" in inbox.body
    assert not rows("events.booked_on_behalf", user=world.staff).exists()
    assert rows("events.booked_on_behalf").values("user").distinct().count() == 1


def test_the_reminder_of_a_child_booked_by_staff_reaches_her_guardian(world, afternoon):
    activity, session = afternoon
    booking_create_on_behalf(staff=world.staff, activity=activity, session=session, persons=[world.son])
    rem.reminders_scan(now=session.starts_at - 24 * HOUR + datetime.timedelta(minutes=1))
    assert rows("events.reminder", user=world.mum_user, channel="inbox").count() == 1
    assert not rows("events.reminder", user=world.staff).exists()


def test_granny_booked_by_staff_is_told_on_her_phone_and_her_carer_too(world, afternoon):
    activity, session = afternoon
    booking_create_on_behalf(staff=world.staff, activity=activity, session=session, persons=[world.granny])
    assert (
        rows("events.booked_on_behalf", person=world.granny, channel="sms").get().address == "+8613700001111"
    )
    assert rows("events.booked_on_behalf", user=world.mum_user, channel="inbox").count() == 1


def test_a_person_with_her_own_account_still_gets_hers(world, afternoon):
    activity, session = afternoon
    world.stranger.household = world.home
    world.stranger.save()
    booking_create_on_behalf(staff=world.staff, activity=activity, session=session, persons=[world.stranger])
    assert rows("events.booked_on_behalf", user=world.stranger_user, channel="inbox").count() == 1
    assert not rows("events.booked_on_behalf").exclude(user=world.stranger_user).exists()


def test_both_guardians_are_told_once_each(world, afternoon):
    activity, session = afternoon
    RelationFactory(subject=world.dad, relative=world.son, kind=RelationKind.GUARDIAN)
    booking_create_on_behalf(
        staff=world.staff, activity=activity, session=session, persons=[world.son, world.daughter]
    )
    for user in (world.mum_user, world.dad_user):
        assert rows("events.booked_on_behalf", user=user, channel="inbox").count() == 1
    assert rows("events.booked_on_behalf", channel="inbox").count() == 2


def test_no_duplicates_when_the_guardian_is_also_the_booker(world, afternoon):
    activity, session = afternoon
    booking_create(
        actor=world.mum_user, activity=activity, session=session, persons=[world.son, world.granny]
    )
    n = session_message_send(actor=world.staff, session=session, text="请自带围裙。")
    assert n == 1
    assert rows("staff.notice", user=world.mum_user, channel="inbox").count() == 1
    assert rows("staff.notice").exclude(user=world.mum_user).count() == 0
    rem.reminders_scan(now=session.starts_at - 24 * HOUR + datetime.timedelta(minutes=1))
    assert rows("events.reminder", channel="inbox").count() == 1


def test_a_lottery_entry_made_by_staff_tells_the_guardian_of_the_result(world):
    activity = ActivityFactory(
        organiser_user=world.staff,
        title="暑托班",
        allocation=AllocationMode.LOTTERY,
        registration_scope=RegistrationScope.COURSE,
        capacity=3,
    )
    SessionFactory(activity=activity)
    booking_create_on_behalf(staff=world.staff, activity=activity, persons=[world.son])
    applied = rows("events.booked_on_behalf", user=world.mum_user, channel="inbox").get()
    assert "抽签" in applied.body or "lottery" in applied.body
    activity.booking_opens_at, activity.booking_closes_at = in_days(-3), in_days(-1)
    activity.save()
    lottery_draw(actor=world.staff, activity=activity)
    won = rows("events.lottery_won", user=world.mum_user, channel="inbox")
    assert won.count() == 1 and "张小明" in won.get().body
    assert not rows("events.lottery_won", user=world.staff).exists()


def test_reminding_children_booked_by_staff_costs_the_same_queries_for_more_families(world):
    """Those who act for the children are loaded once per batch, not once per reminder."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.community.factories import HouseholdFactory, PersonFactory, UserFactory

    def scan_for(families: int) -> int:
        activity = ActivityFactory(organiser_user=world.staff, title=f"亲子烘焙{families}")
        session = SessionFactory(activity=activity, capacity=20, starts_at=in_days(7, hour=15))
        for i in range(families):
            home = HouseholdFactory()
            parent = PersonFactory(name=f"家长{families}-{i}", user=UserFactory(), household=home)
            child = PersonFactory(name=f"孩子{families}-{i}", household=home, birth_date=world.son.birth_date)
            RelationFactory(subject=parent, relative=child, kind=RelationKind.GUARDIAN)
            booking_create_on_behalf(staff=world.staff, activity=activity, session=session, persons=[child])
        with CaptureQueriesContext(connection) as queries:
            assert (
                rem.reminders_scan(now=session.starts_at - 24 * HOUR + datetime.timedelta(minutes=1))
                == families
            )
        assert rows(
            "events.reminder", channel="inbox", user__person__name__startswith=f"家长{families}-"
        ).count() == (families)
        return len(queries)

    assert scan_for(2) == scan_for(6)
