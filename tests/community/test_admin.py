"""The back office: every registry model has a working changelist, search, and the export."""

import pytest
from django.urls import reverse

from portal.community.models import AccessLog, Household, Person
from tests.community.factories import EmergencyContactFactory, SensitiveProfileFactory

MODELS = [
    "organization",
    "grid",
    "estate",
    "building",
    "household",
    "person",
    "sensitiveprofile",
    "relation",
    "emergencycontact",
    "householdclaim",
    "consent",
    "accesslog",
]


@pytest.mark.parametrize("model", MODELS)
def test_changelist_and_search(admin_client, world, model):
    url = reverse(f"admin:community_{model}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "张"}).status_code == 200


def test_person_change_page_and_age_filter(admin_client, world):
    EmergencyContactFactory(person=world.granny)
    assert (
        admin_client.get(reverse("admin:community_person_change", args=[world.granny.pk])).status_code == 200
    )
    response = admin_client.get(reverse("admin:community_person_changelist"), {"age": "80"})
    assert {p.name for p in response.context["cl"].result_list} == {"李秀英"}


def test_autocomplete_on_person(admin_client, world):
    url = reverse("admin:autocomplete")
    response = admin_client.get(
        url, {"app_label": "community", "model_name": "relation", "field_name": "relative", "term": "zhang"}
    )
    assert response.status_code == 200
    assert {r["text"] for r in response.json()["results"]} == {"张伟", "张小明", "张三"}


def test_opening_a_sensitive_profile_in_admin_is_logged(admin_client, admin_user, world):
    profile = SensitiveProfileFactory(person=world.granny)
    assert (
        admin_client.get(reverse("admin:community_sensitiveprofile_change", args=[profile.pk])).status_code
        == 200
    )
    log = AccessLog.objects.get()
    assert (log.user, log.person, log.reason) == (admin_user, world.granny, "admin")


def test_access_log_is_read_only(admin_client, world):
    assert admin_client.get(reverse("admin:community_accesslog_add")).status_code == 403


def test_export_people_and_households(admin_client, world):
    from portal.community.admin import HouseholdResource, PersonResource

    people = PersonResource().export(Person.objects.all())
    assert "和谐怡园佳苑" in people.csv and "+8613912345678" in people.csv
    households = HouseholdResource().export(Household.objects.all())
    assert "502" in households.csv


def test_import_households(world):
    import tablib

    from portal.community.admin import HouseholdResource

    data = tablib.Dataset(headers=["id", "building_id", "unit", "room", "notes"])
    data.append(["", world.b3.pk, "2", "1201", "新登记"])
    result = HouseholdResource().import_data(data, dry_run=False, raise_errors=True)
    assert not result.has_errors()
    assert Household.objects.filter(building=world.b3, unit="2", room="1201").exists()
