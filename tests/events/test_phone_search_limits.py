"""Phone numbers cannot be recovered through the searches.

Roles without need of residents' numbers (volunteers at a checkpoint, activity staff, partner staff)
search by exactly the last 4 digits, a limited number of times per user: a longer tail matches nobody, so
a search never confirms more digits than were typed (the attack walked from the last four digits to the
whole number in 70 requests). Community staff, and a grid worker for her grid, may search by more.
"""

import pytest
from django.urls import reverse

from events.selectors import checkin_candidates
from portal.accounts.models import Role
from portal.community.selectors import people_search, phone_digits_q
from tests.accounts.factories import UserFactory
from tests.events.test_checkpoints import en, marathon, station_url  # noqa: F401  (fixtures)

from .factories import OrganizationFactory


def _digits(phone) -> str:
    return "".join(ch for ch in str(phone) if ch.isdigit())[-11:]


def _found(response) -> set[str]:
    return {r.person.name for r in response.context["candidates"]}


def test_a_volunteer_finds_a_runner_by_exactly_the_last_four_digits(en, world, marathon):  # noqa: F811
    en.force_login(marathon.volunteer)
    number = _digits(world.mum_user.phone)  # mum booked for herself and her son
    url = station_url(marathon.water, marathon.session)
    assert _found(en.get(url, {"q": number[-4:]})) == {"朱晓燕", "张小明"}
    for longer in (number[-5:], number[-6:], number[-8:], number):
        response = en.get(url, {"q": longer})
        assert response.status_code == 200
        assert _found(response) == set(), longer  # nothing confirms the fifth digit and beyond
    assert _found(en.get(url, {"q": number[-3:]})) == set()


def test_the_walk_from_four_digits_to_the_whole_number_finds_nothing(en, world, marathon):  # noqa: F811
    """Every guess of a fifth digit answers the same (nothing), so the number cannot be walked."""
    en.force_login(marathon.volunteer)
    tail = _digits(world.mum_user.phone)[-4:]
    url = station_url(marathon.water, marathon.session)
    answers = {d: _found(en.get(url, {"q": f"{d}{tail}"})) for d in "0123456789"}
    assert all(found == set() for found in answers.values())


def test_volunteers_phone_searches_are_rate_limited_per_user(client, settings, world, marathon):  # noqa: F811
    settings.PHONE_SEARCH_RATE_LIMIT = "3/10m/user"
    client.force_login(marathon.volunteer)  # Chinese interface
    url = station_url(marathon.water, marathon.session)
    for q in ("1111", "2222", "3333", "3333", "2222"):  # a search shown again is not counted again
        response = client.get(url, {"q": q})
        assert response.status_code == 200
        assert "次数过多" not in response.content.decode()
    response = client.get(url, {"q": _digits(world.mum_user.phone)[-4:]})
    assert response.status_code == 200
    assert _found(response) == set()
    assert "按手机号查找的次数过多" in response.content.decode()
    # a search by name still works; another volunteer has her own count
    assert _found(client.get(url, {"q": "小明"})) == {"张小明"}


def test_community_staff_search_by_more_digits_without_limit(settings, world, fcfs):
    settings.PHONE_SEARCH_RATE_LIMIT = "1/10m/user"
    granny_number = _digits(world.granny.phone)
    for q in (granny_number, granny_number[-6:], granny_number[-4:]):
        found = list(people_search(viewer=world.staff, q=q))
        assert world.granny in found, q
        # Nobody else by those digits of a phone (four digits may also be a factory-made building number).
        assert not [p for p in found if p != world.granny and _digits(p.phone or "").endswith(q)], q


def test_on_behalf_search_by_partner_staff_is_by_the_last_four_digits(en, world, fcfs):  # noqa: F811
    org = OrganizationFactory(name="南通申丞小海护理院")
    world.granny.served_by.add(org)
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=org, name="护理院员工")
    en.force_login(partner)
    base = reverse("events:onbehalf", args=[fcfs.activity.pk])
    number = _digits(world.granny.phone)
    response = en.get(base, {"q": number[-4:]})
    assert [p.pk for p in response.context["results"]] == [world.granny.pk]
    assert "1111" in response.content.decode() and number[-5:] not in response.content.decode()
    for longer in (number[-5:], number):
        assert en.get(base, {"q": longer}).context["results"] == [], longer


def test_on_behalf_limit_is_shown_next_to_the_field(en, settings, world, fcfs):  # noqa: F811
    settings.PHONE_SEARCH_RATE_LIMIT = "1/10m/user"
    org = OrganizationFactory(name="南通申丞小海护理院")
    world.granny.served_by.add(org)
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=org)
    en.force_login(partner)
    base = reverse("events:onbehalf", args=[fcfs.activity.pk])
    assert en.get(base, {"q": "1111"}).context["results"] == [world.granny]
    response = en.get(base, {"q": "2222"})
    assert response.status_code == 200
    assert response.context["results"] == []
    assert "too many times" in " ".join(response.context["search_form"].errors["q"])


def test_a_grid_worker_searches_by_more_digits_only_in_her_grid(world, marathon):  # noqa: F811
    grid = world.home.building.grid
    worker = UserFactory(role=Role.GRID_WORKER, grid=grid)
    mum_digits = _digits(world.mum_user.phone)
    dad_digits = _digits(world.dad_user.phone)
    session = marathon.session

    def names(q):
        return {r.person.name for r in checkin_candidates(session=session, q=q, viewer=worker)}

    assert names(mum_digits) == {"朱晓燕", "张小明"}  # her grid: the whole number
    assert names(dad_digits) == set()  # another grid: not by more than the tail
    assert names(dad_digits[-4:]) == {"王强", "王小宝"}
    # Without a viewer the strictest rule holds.
    assert {r.person.name for r in checkin_candidates(session=session, q=mum_digits)} == set()


@pytest.mark.parametrize("digits", ["123", "12a45", ""])
def test_phone_digits_q_matches_nobody_for_too_few_digits(world, digits):
    from portal.community.models import Person

    assert not Person.objects.filter(phone_digits_q(viewer=world.staff, digits=digits)).exists()
