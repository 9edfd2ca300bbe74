"""One person search: the check-in desk (and the stations) find people by name, pinyin and initials as the
workbench does ("sy" finds 孙燕), kept to the session's confirmed registrations and the phone tail
(loose end of issue 10)."""

import pytest
from django.conf import settings
from django.urls import reverse

from events.selectors import checkin_candidates
from events.services import booking_create
from portal.community.selectors import people_search
from tests.community.factories import PersonFactory, UserFactory

from .factories import ActivityFactory, SessionFactory

NAMES = ("孙燕", "宋雨", "孙建华", "沈明", "王小燕")
QUERIES = ("sy", "SY", "sun", "sunyan", "yan", "s", "孙", "孙燕", "燕", "sun yan", "s 燕", "xy", "zz", "孙 h")


@pytest.fixture
def desk(world):
    """An activity of ten seats: five residents booked themselves; 孙燕燕 lives here but did not book."""
    activity = ActivityFactory(organiser_user=world.staff, title="社区健步走")
    session = SessionFactory(activity=activity, capacity=10)
    booked = {}
    for name in NAMES:
        user = UserFactory(name=name)
        person = PersonFactory(name=name, user=user)
        booking_create(actor=user, activity=activity, session=session, persons=[person])
        booked[name] = person
    outsider = PersonFactory(name="孙燕燕")
    return session, booked, outsider


def desk_names(session, q, viewer):
    return {r.person.name for r in checkin_candidates(session=session, q=q, viewer=viewer)}


def test_initials_find_sun_yan_at_the_desk(world, desk):
    session, _, _ = desk
    assert desk_names(session, "sy", world.staff) == {"孙燕", "宋雨"}
    assert desk_names(session, "sunyan", world.staff) == {"孙燕"}
    assert desk_names(session, "sjh", world.staff) == {"孙建华"}


@pytest.mark.parametrize("q", QUERIES)
def test_the_desk_and_the_workbench_find_the_same_people(world, desk, q):
    session, booked, outsider = desk
    on_workbench = {p.name for p in people_search(viewer=world.staff, q=q)}
    assert desk_names(session, q, world.staff) == on_workbench & set(NAMES)
    # the desk stays within the session: the resident who did not book is never offered there
    assert "孙燕燕" not in desk_names(session, q, world.staff)


def test_workbench_finds_the_outsider_the_desk_does_not(world, desk):
    session, _, _ = desk
    assert "孙燕燕" in {p.name for p in people_search(viewer=world.staff, q="sy")}
    assert desk_names(session, "sy", world.staff) == {"孙燕", "宋雨"}


def test_the_phone_tail_still_works_at_the_desk(world, desk):
    session, booked, _ = desk
    person = booked["孙燕"]
    tail = str(person.user.phone)[-4:]
    assert "孙燕" in desk_names(session, tail, world.staff)
    assert desk_names(session, "", world.staff) == set()


def test_the_desk_page_lists_sun_yan_for_sy(client, world, desk):
    session, _, _ = desk
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.staff)
    html = client.get(reverse("events:checkin", args=[session.pk]), {"q": "sy"}).content.decode()
    assert "Check in 孙燕" in html and "Check in 宋雨" in html
    assert "Check in 孙建华" not in html and "Check in 孙燕燕" not in html
