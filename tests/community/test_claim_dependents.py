"""A household claim confirmed: everyone the claimant acts for joins the household with her.

The trial found that an elderly parent (the claimant is her carer) added while the claim was pending
stayed without a household: residents-only activities refused her and the grid worker could not find her.
"""

import datetime

import pytest
from django.urls import reverse

from events.services.eligibility import is_resident, person_eligible
from portal.community import selectors, services
from portal.community.models import ClaimStatus, Person
from tests.community.conftest import years_ago
from tests.events.factories import ActivityFactory, SessionFactory


@pytest.fixture
def pending_family(world):
    """钱七 adds her son, claims 永兴新村 7-2-301, and while the claim waits adds her mother."""
    user = world.other_resident_user
    child = services.dependent_add(
        actor=user, kind="child", name="钱小宝", birth_date=years_ago(15), gender="M"
    )
    claim = services.household_claim_create(
        user=user, estate=world.estate2, building_number="7", unit="2", room="301"
    )
    mother = services.dependent_add(
        actor=user, kind="parent", name="孙桂兰", birth_date=datetime.date(1948, 6, 1), gender="F"
    )
    assert claim.status == ClaimStatus.PENDING and mother.household_id is None
    return user, claim, child, mother


def test_confirmed_claim_takes_in_the_parent_added_while_pending(world, pending_family):
    user, claim, child, mother = pending_family
    services.household_claim_confirm(actor=world.grid2_worker, claim=claim)
    mother.refresh_from_db()
    child.refresh_from_db()
    assert Person.objects.get(user=user).household == world.far_home
    assert mother.household == world.far_home
    assert child.household == world.far_home
    assert is_resident(mother)


def test_confirmed_parent_may_book_a_residents_only_activity(world, pending_family):
    _user, claim, _child, mother = pending_family
    session = SessionFactory(activity=ActivityFactory(title="重阳茶话会", residents_only=True))
    refused = person_eligible(activity=session.activity, session=session, person=mother)
    assert not refused and refused.code == "not_resident"
    services.household_claim_confirm(actor=world.grid2_worker, claim=claim)
    mother.refresh_from_db()
    assert person_eligible(activity=session.activity, session=session, person=mother).ok


def test_grid_worker_finds_the_parent_after_confirmation(world, pending_family, client):
    _user, claim, _child, mother = pending_family
    assert not selectors.people_search(viewer=world.grid2_worker, q="孙桂兰").exists()
    services.household_claim_confirm(actor=world.grid2_worker, claim=claim)
    assert list(selectors.people_search(viewer=world.grid2_worker, q="孙桂兰")) == [mother]
    assert list(selectors.people_search(viewer=world.grid2_worker, q="sgl")) == [mother]
    client.force_login(world.grid2_worker)
    response = client.get(reverse("community:workbench"), {"q": "孙桂兰"})
    assert response.status_code == 200
    assert [p.pk for p in response.context["page"]] == [mother.pk]
    # and the other grid's worker still does not
    assert not selectors.people_search(viewer=world.grid1_worker, q="孙桂兰").exists()


def test_rejected_claim_takes_nobody_in(world, pending_family):
    user, claim, child, mother = pending_family
    services.household_claim_reject(actor=world.grid2_worker, claim=claim, note="地址不符")
    for person in (Person.objects.get(user=user), child, mother):
        person.refresh_from_db()
        assert person.household_id is None
    assert not is_resident(mother)


def test_moving_household_takes_along_those_who_lived_with_her(world):
    """朱晓燕 moves from 和谐怡园佳苑 to 永兴新村: her son (same home) moves; her mother, who lives
    in her own flat next door, stays where she is."""
    claim = services.household_claim_create(
        user=world.mum_user, estate=world.estate2, building_number="7", unit="2", room="301"
    )
    services.household_claim_confirm(actor=world.staff, claim=claim)
    world.son.refresh_from_db()
    world.granny.refresh_from_db()
    world.husband.refresh_from_db()
    assert world.son.household == world.far_home
    assert world.granny.household == world.neighbour_home
    assert world.husband.household == world.home  # she does not act for him
