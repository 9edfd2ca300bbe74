"""The engine's parent-and-child rule (``Activity.adults_accompany``): the age range is the children's; an
adult who acts for a child booked with her is not held to it. Generic: any area's activity can use it."""

import pytest
from django.core.exceptions import ValidationError

from events.models import Registration
from events.services.booking import booking_create
from events.services.eligibility import person_eligible

from .factories import ActivityFactory, SessionFactory


@pytest.fixture
def kids_class(world):
    activity = ActivityFactory(
        organiser_user=world.staff, title="亲子烘焙", min_age=6, max_age=12, adults_accompany=True
    )
    return activity, SessionFactory(activity=activity, capacity=10)


def test_a_mother_booked_with_her_son_is_not_held_to_the_age_range(world, kids_class):
    activity, session = kids_class
    booking = booking_create(
        actor=world.mum_user, activity=activity, session=session, persons=[world.mum, world.son]
    )
    assert {r.person for r in booking.registrations.all()} == {world.mum, world.son}


def test_without_the_flag_the_mother_is_too_old(world, kids_class):
    activity, session = kids_class
    activity.adults_accompany = False
    activity.save()
    with pytest.raises(ValidationError) as exc:
        booking_create(
            actor=world.mum_user, activity=activity, session=session, persons=[world.mum, world.son]
        )
    assert "ages up to 12" in " ".join(exc.value.messages)
    assert not Registration.objects.filter(activity=activity).exists()


def test_an_adult_alone_or_with_a_child_she_does_not_act_for_is_held_to_it(world, kids_class):
    activity, session = kids_class
    assert person_eligible(activity=activity, session=session, person=world.mum).code == "too_old"
    result = person_eligible(
        activity=activity, session=session, person=world.dad, together=[world.dad, world.son]
    )
    assert result.code == "too_old"
    assert person_eligible(
        activity=activity, session=session, person=world.mum, together=[world.mum, world.son]
    ).ok


def test_the_child_is_still_held_to_the_range(world, kids_class):
    activity, session = kids_class
    activity.min_age = 9
    activity.save()
    with pytest.raises(ValidationError) as exc:
        booking_create(
            actor=world.mum_user, activity=activity, session=session, persons=[world.mum, world.son]
        )
    messages = " ".join(exc.value.messages)
    assert "张小明" in messages and "ages 9 and over" in messages and "朱晓燕" not in messages
    assert not Registration.objects.filter(activity=activity).exists()
