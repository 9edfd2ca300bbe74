"""PIPL art. 31: every write path that can make a person under 14 needs the guardian's consent.

The rule lives in ``services.guardian_consent_check``; the resident's pages, the admin's person forms and
the spreadsheet import all go through it, and the error is shown at the birth date.
"""

import pytest
import tablib
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from portal.community import services
from portal.community.admin import PersonResource
from portal.community.models import Consent, ConsentPurpose, Person
from tests.community.conftest import years_ago

CONSENT_ERROR_ZH = "未满14周岁"


def _teen(world):
    """A child added at 15: no child-data consent is needed for her yet."""
    return services.dependent_add(actor=world.mum_user, kind="child", name="张小红", birth_date=years_ago(15))


def test_editing_the_birth_date_to_under_14_needs_the_guardians_consent(world):
    teen = _teen(world)
    with pytest.raises(ValidationError) as exc:
        services.person_details_update(
            actor=world.mum_user, person=teen, name=teen.name, birth_date=years_ago(5)
        )
    assert set(exc.value.error_dict) == {"birth_date"}
    teen.refresh_from_db()
    assert teen.birth_date == years_ago(15)
    assert not teen.needs_guardian_consent


def test_consent_given_in_the_same_step_is_recorded(world):
    teen = _teen(world)
    services.person_details_update(
        actor=world.mum_user, person=teen, name=teen.name, birth_date=years_ago(5), minor_consent=True
    )
    teen.refresh_from_db()
    assert teen.needs_guardian_consent
    consent = Consent.objects.active().get(person=teen, purpose=ConsentPurpose.MINOR)
    assert consent.given_by == world.mum_user and consent.given_as_guardian


def test_consent_already_on_record_allows_the_edit(world):
    teen = _teen(world)
    services.consent_grant(actor=world.mum_user, person=teen, purpose=ConsentPurpose.MINOR)
    services.person_details_update(actor=world.mum_user, person=teen, name=teen.name, birth_date=years_ago(5))
    teen.refresh_from_db()
    assert teen.birth_date == years_ago(5)


def test_a_child_whose_birth_date_is_not_changed_keeps_her_other_edits(world):
    """Changing the name of a child whose birth date is not changed is not "making" her under 14."""
    son = world.son  # under 14, recorded by the fixture without a consent row
    services.person_details_update(
        actor=world.mum_user, person=son, name="张小明明", birth_date=son.birth_date
    )
    son.refresh_from_db()
    assert son.name == "张小明明"


def test_the_edit_page_shows_the_refusal_at_the_birth_date_in_chinese(world, client):
    teen = _teen(world)
    client.force_login(world.mum_user)
    with translation.override("zh-hans"):
        response = client.post(
            reverse("community:person_edit", args=[teen.pk]),
            {"name": teen.name, "birth_date": years_ago(5).isoformat()},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["birth_date"]
    assert CONSENT_ERROR_ZH in errors["birth_date"][0]
    teen.refresh_from_db()
    assert teen.birth_date == years_ago(15)


def test_the_guardian_gives_the_consent_on_the_edit_page_itself(world, client):
    """The consent box is on the edit form, so correcting a date to under 14 needs no detour."""
    teen = _teen(world)
    client.force_login(world.mum_user)
    url = reverse("community:person_edit", args=[teen.pk])
    assert "minor_consent" in client.get(url).context["form"].fields
    response = client.post(
        url, {"name": teen.name, "birth_date": years_ago(5).isoformat(), "minor_consent": "on"}
    )
    assert response.status_code == 302
    teen.refresh_from_db()
    assert teen.birth_date == years_ago(5)
    assert Consent.objects.active().filter(person=teen, purpose=ConsentPurpose.MINOR).exists()


def test_nobody_is_offered_a_guardians_consent_for_herself(world, client):
    client.force_login(world.mum_user)
    form = client.get(reverse("community:person_edit", args=[world.mum.pk])).context["form"]
    assert "minor_consent" not in form.fields


def _admin_person_data(**values):
    data = {
        "name": "王小宝",
        "gender": "M",
        "birth_date": years_ago(5).isoformat(),
        "phone": "",
        "household": "",
        "user": "",
        "is_active": "on",
        "relations-TOTAL_FORMS": "0",
        "relations-INITIAL_FORMS": "0",
        "emergency_contacts-TOTAL_FORMS": "0",
        "emergency_contacts-INITIAL_FORMS": "0",
    }
    data.update(values)
    return data


def test_admin_cannot_add_a_child_under_14_without_consent(admin_client, world):
    response = admin_client.post(reverse("admin:community_person_add"), _admin_person_data())
    assert response.status_code == 200
    assert "birth_date" in response.context["adminform"].form.errors
    assert not Person.objects.filter(name="王小宝").exists()
    # An adult is added as before.
    response = admin_client.post(
        reverse("admin:community_person_add"), _admin_person_data(birth_date=years_ago(40).isoformat())
    )
    assert response.status_code == 302
    assert Person.objects.filter(name="王小宝").exists()


def test_admin_cannot_edit_a_birth_date_to_under_14_without_consent(admin_client, world):
    teen = _teen(world)
    url = reverse("admin:community_person_change", args=[teen.pk])
    response = admin_client.post(
        url,
        _admin_person_data(
            name=teen.name, gender="", household=str(teen.household_id), birth_date=years_ago(5).isoformat()
        ),
    )
    assert response.status_code == 200
    assert "birth_date" in response.context["adminform"].form.errors
    teen.refresh_from_db()
    assert teen.birth_date == years_ago(15)


def test_admin_household_members_inline_checks_the_birth_date(admin_client, world):
    teen = _teen(world)
    home = world.home
    members = list(home.members.order_by("pk"))
    data = {
        "building": str(home.building_id),
        "unit": home.unit,
        "room": home.room,
        "notes": "",
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": str(len(members)),
    }
    for i, p in enumerate(members):
        data.update(
            {
                f"members-{i}-id": str(p.pk),
                f"members-{i}-household": str(home.pk),
                f"members-{i}-name": p.name,
                f"members-{i}-gender": p.gender,
                f"members-{i}-birth_date": str(years_ago(5) if p.pk == teen.pk else p.birth_date or ""),
                f"members-{i}-phone": str(p.phone or ""),
                f"members-{i}-is_active": "on",
            }
        )
    response = admin_client.post(reverse("admin:community_household_change", args=[home.pk]), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert any("birth_date" in f.errors for f in formset.forms)
    teen.refresh_from_db()
    assert teen.birth_date == years_ago(15)


def test_import_refuses_a_row_that_makes_a_child_under_14(world):
    teen = _teen(world)
    data = tablib.Dataset(headers=["id", "name", "gender", "birth_date", "phone", "household_id"])
    data.append([teen.pk, teen.name, "F", years_ago(5).isoformat(), "", teen.household_id])
    data.append(["", "王小宝", "M", years_ago(6).isoformat(), "", world.home.pk])
    data.append(["", "王大宝", "M", years_ago(30).isoformat(), "", world.home.pk])
    result = PersonResource().import_data(data, dry_run=False, raise_errors=False)
    assert result.has_validation_errors()
    invalid = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(invalid) == {1, 2}
    assert all("birth_date" in errors for errors in invalid.values())
    teen.refresh_from_db()
    assert teen.birth_date == years_ago(15)
    assert not Person.objects.filter(name="王小宝").exists()
