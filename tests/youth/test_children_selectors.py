"""youth.selectors.children: allergies for the roster, logged once per child shown."""

import pytest

from events.models import Activity
from portal.accounts.models import Role
from portal.community.models import AccessLog, SensitiveProfile
from tests.accounts.factories import UserFactory
from youth.selectors.children import allergies_for

from .factories import ChildFactory, DaycareProgrammeFactory, OrganizationFactory, book

pytestmark = pytest.mark.django_db


def _allergic(child, text="花生"):
    SensitiveProfile.objects.create(person=child, allergies=text)
    return child


def test_allergies_for_staff_logs_each_child_shown_once():
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    a, b, c = _allergic(ChildFactory()), _allergic(ChildFactory(), "牛奶"), ChildFactory()
    got = allergies_for(viewer=staff, child_ids=[a.pk, b.pk, c.pk], where="roster")
    assert got == {a.pk: "花生", b.pk: "牛奶"}
    logs = AccessLog.objects.filter(user=staff, reason="roster")
    assert sorted(logs.values_list("person_id", flat=True)) == sorted([a.pk, b.pk, c.pk])
    assert set(logs.values_list("fields", flat=True)) == {"allergies"}


def test_allergies_for_partner_staff_only_children_of_her_programme():
    org_staff = UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory())
    programme = DaycareProgrammeFactory()
    # (DaycareProgrammeFactory's ``organiser`` param does not reach _create: set it here.)
    Activity.objects.filter(daycare_week__programme=programme).update(organiser_user=org_staff)
    mine, other = _allergic(ChildFactory()), _allergic(ChildFactory())
    book(mine, programme.weeks.first())
    got = allergies_for(viewer=org_staff, child_ids=[mine.pk, other.pk], where="roster")
    assert got == {mine.pk: "花生"}
    assert list(AccessLog.objects.filter(user=org_staff).values_list("person_id", flat=True)) == [mine.pk]


def test_allergies_for_guardian_own_child_and_stranger_nothing():
    child = _allergic(ChildFactory())
    other = _allergic(ChildFactory())
    guardian = child.guardian_for_tests.user
    assert allergies_for(viewer=guardian, child_ids=[child.pk, other.pk], where="x") == {child.pk: "花生"}
    stranger = UserFactory(role=Role.RESIDENT)
    assert allergies_for(viewer=stranger, child_ids=[child.pk], where="x") == {}
    assert not AccessLog.objects.filter(user=stranger).exists()


def test_allergies_for_constant_queries(django_assert_num_queries):
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    few = [_allergic(ChildFactory()).pk for _ in range(2)]
    many = [_allergic(ChildFactory()).pk for _ in range(12)]
    staff = type(staff).objects.get(pk=staff.pk)  # as a request loads her: nothing cached on the instance
    # The children she may see, read with their allergies; the log (issue 13: community staff see every
    # child, so her own person record is not read).
    with django_assert_num_queries(2):
        assert len(allergies_for(viewer=staff, child_ids=few, where="r")) == 2
    staff = type(staff).objects.get(pk=staff.pk)
    with django_assert_num_queries(2):
        allergies_for(viewer=staff, child_ids=many, where="r")
