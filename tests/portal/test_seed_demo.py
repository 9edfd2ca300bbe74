"""manage.py seed_demo: the demo community of the story, built the same way however often it runs."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from portal.accounts.models import Role, User
from portal.community.models import (
    Household,
    Organization,
    OrganizationKind,
    Person,
    Relation,
    RelationKind,
)
from portal.management.commands.seed_demo import DEMO_PASSWORD


def _counts():
    models = [
        "community.Person",
        "community.Household",
        "community.Relation",
        "community.EmergencyContact",
        "community.Consent",
        "community.SensitiveProfile",
        "community.Organization",
        "community.Grid",
        "accounts.User",
    ]
    try:
        apps.get_model("volunteers.VolunteerProfile")
        models.append("volunteers.VolunteerProfile")
    except LookupError:
        pass
    return {label: apps.get_model(label).objects.count() for label in models}


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


def _assert_story_community():
    assert Person.objects.aged_at_least(80).count() == 82
    assert Person.objects.aged_at_least(60).count() > 150
    assert Person.objects.aged_under(18).count() > 100
    assert Household.objects.count() >= 300
    assert set(Household.objects.values_list("building__estate__name", flat=True).distinct()) >= {
        "炜建花苑",
        "紫荆花园",
        "和谐怡园佳苑",
    }
    nursing_home = Organization.objects.get(name="南通申丞小海护理院", kind=OrganizationKind.NURSING_HOME)
    assert set(nursing_home.clients.values_list("pk", flat=True)) == set(
        Person.objects.aged_at_least(80).values_list("pk", flat=True)
    )
    assert Person.objects.filter(lives_alone=True, is_widowed=True).aged_at_least(80).count() > 10


def _assert_every_role_has_a_demo_account(output: str):
    assert set(User.objects.values_list("role", flat=True)) == {r.value for r in Role}
    assert User.objects.filter(is_superuser=True, role=Role.COMMUNITY_STAFF).exists()
    for user in User.objects.select_related("grid"):
        assert user.check_password(DEMO_PASSWORD)
        if user.role == Role.GRID_WORKER:
            assert user.grid is not None and user.grid.leader_id == user.pk
    assert "13800000005" in output and DEMO_PASSWORD in output


def _assert_resident_has_children_and_an_elderly_parent():
    resident = User.objects.get(role=Role.RESIDENT).person
    children = Relation.objects.filter(subject=resident, kind=RelationKind.GUARDIAN).values_list(
        "relative", flat=True
    )
    parents = Relation.objects.filter(subject=resident, kind=RelationKind.CARER).values_list(
        "relative", flat=True
    )
    assert Person.objects.filter(pk__in=children).aged_under(14).count() == 2
    assert Person.objects.filter(pk__in=parents).aged_at_least(80).exists()


@pytest.mark.django_db
def test_seed_demo_builds_the_story_community_and_a_second_run_changes_nothing():
    output = _seed()
    _assert_story_community()
    _assert_every_role_has_a_demo_account(output)
    _assert_resident_has_children_and_an_elderly_parent()

    before = _counts()
    people = list(Person.objects.order_by("pk").values_list("pk", "name", "birth_date", "household_id"))
    _seed()
    assert _counts() == before
    assert (
        list(Person.objects.order_by("pk").values_list("pk", "name", "birth_date", "household_id")) == people
    )
    assert Person.objects.aged_at_least(80).count() == 82
