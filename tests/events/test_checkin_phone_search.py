"""The staff check-in page follows the platform's phone-search rule (``portal.community.selectors``).

Activity staff who are not community staff (here, partner staff running their organisation's activity) find
a person by exactly the last 4 digits of a phone, never by a longer tail, and only so many times; community
staff may search by more digits.
"""

from django.urls import reverse

from events.services import booking_create
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory

from .factories import ActivityFactory, OrganizationFactory, SessionFactory


def _digits(phone) -> str:
    return "".join(ch for ch in str(phone) if ch.isdigit())[-11:]


def _partner_activity(world):
    org = OrganizationFactory(name="南通申丞小海护理院")
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=org, name="护理院员工")
    activity = ActivityFactory(organiser_user=world.staff, organiser_org=org, title="重阳敬老")
    session = SessionFactory(activity=activity, capacity=10)
    booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.mum, world.son])
    return partner, reverse("events:checkin", args=[session.pk])


def _found(response) -> set[str]:
    return {r.person.name for r in response.context["candidates"]}


def test_partner_staff_find_by_exactly_the_last_four_digits(client, world):
    partner, url = _partner_activity(world)
    client.force_login(partner)
    number = _digits(world.mum_user.phone)
    assert _found(client.get(url, {"q": number[-4:]})) == {"朱晓燕", "张小明"}
    for longer in (number[-5:], number[-7:], number):
        response = client.get(url, {"q": longer})
        assert response.status_code == 200
        assert _found(response) == set(), longer


def test_partner_staff_phone_searches_are_limited_at_the_field(client, settings, world):
    settings.PHONE_SEARCH_RATE_LIMIT = "2/10m/user"
    partner, url = _partner_activity(world)
    client.force_login(partner)  # Chinese interface
    for q in ("1111", "2222"):
        assert "次数过多" not in client.get(url, {"q": q}).content.decode()
    response = client.get(url, {"q": _digits(world.mum_user.phone)[-4:]})
    assert response.status_code == 200
    assert _found(response) == set()
    assert response.context["search_form"].errors["q"]
    assert "按手机号查找的次数过多" in response.content.decode()
    # a search by name is not a phone search and still works
    assert _found(client.get(url, {"q": "小明"})) == {"张小明"}


def test_community_staff_may_search_by_the_whole_number(client, settings, world):
    settings.PHONE_SEARCH_RATE_LIMIT = "1/10m/user"
    _, url = _partner_activity(world)
    client.force_login(world.staff)
    number = _digits(world.mum_user.phone)
    for q in (number, number[-6:], number[-4:]):
        assert _found(client.get(url, {"q": q})) == {"朱晓燕", "张小明"}, q
