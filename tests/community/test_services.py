"""Writes: the resident record, claims, dependents, consents, contacts, the sensitive profile."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from portal.community import selectors, services
from portal.community.models import (
    ClaimStatus,
    Consent,
    ConsentPurpose,
    HouseholdClaim,
    Person,
    Relation,
    RelationKind,
    SensitiveProfile,
)
from tests.community.conftest import years_ago
from tests.community.factories import UserFactory


def field_errors(exc: ValidationError) -> set[str]:
    return set(exc.value.error_dict)


# --- person_ensure_for_user ------------------------------------------------------------------------


@pytest.mark.django_db
def test_person_ensure_for_user_creates_once():
    user = UserFactory(name="陈静", phone="+8613811112222")
    person = services.person_ensure_for_user(user=user)
    assert (person.name, person.phone.as_e164, person.user) == ("陈静", "+8613811112222", user)
    assert person.name_initials == "cj"
    assert services.person_ensure_for_user(user=user) == person
    assert Person.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_person_ensure_for_user_without_name_uses_phone():
    user = UserFactory(name="", phone="+8613811113333")
    assert "13811113333" in services.person_ensure_for_user(user=user).name


# --- household claims --------------------------------------------------------------------------------


def test_claim_then_confirm_joins_household(world):
    user = world.other_resident_user
    claim = services.household_claim_create(
        user=user, estate=world.estate2, building_number="7", unit="2", room="301", message="我是新住户"
    )
    assert claim.status == ClaimStatus.PENDING
    services.household_claim_confirm(actor=world.grid2_worker, claim=claim)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CONFIRMED and claim.decided_by == world.grid2_worker
    assert Person.objects.get(user=user).household == world.far_home
    assert LogEntry.objects.get_for_object(claim).filter(actor=world.grid2_worker).exists()


def test_confirm_moves_homeless_children_along(world):
    user = world.other_resident_user
    child = services.dependent_add(
        actor=user, kind="child", name="钱小宝", birth_date=years_ago(15), gender="M"
    )
    assert child.household is None
    claim = services.household_claim_create(
        user=user, estate=world.estate2, building_number="7", unit="2", room="301"
    )
    services.household_claim_confirm(actor=world.staff, claim=claim)
    child.refresh_from_db()
    assert child.household == world.far_home


def test_claim_reject(world):
    claim = services.household_claim_create(
        user=world.other_resident_user, estate=world.estate2, building_number="7", unit="2", room="301"
    )
    services.household_claim_reject(actor=world.staff, claim=claim, note="地址不符")
    claim.refresh_from_db()
    assert (claim.status, claim.decision_note) == (ClaimStatus.REJECTED, "地址不符")
    assert Person.objects.get(user=world.other_resident_user).household is None
    with pytest.raises(ValidationError):
        services.household_claim_confirm(actor=world.staff, claim=claim)


@pytest.mark.parametrize(
    ("building", "unit", "room", "field"),
    [("99", "1", "502", "building_number"), ("3", "1", "999", "room"), ("3", "", "502", "room")],
)
def test_claim_for_an_address_that_does_not_exist(world, building, unit, room, field):
    with pytest.raises(ValidationError) as exc:
        services.household_claim_create(
            user=world.other_resident_user,
            estate=world.estate1,
            building_number=building,
            unit=unit,
            room=room,
        )
    assert field_errors(exc) == {field}
    assert not HouseholdClaim.objects.exists()


def test_only_one_pending_claim(world):
    user = world.other_resident_user
    services.household_claim_create(
        user=user, estate=world.estate2, building_number="7", unit="2", room="301"
    )
    with pytest.raises(ValidationError):
        services.household_claim_create(
            user=user, estate=world.estate1, building_number="3", unit="1", room="601"
        )
    assert HouseholdClaim.objects.count() == 1


def test_claim_decided_only_by_staff_of_that_grid(world):
    claim = services.household_claim_create(
        user=world.other_resident_user, estate=world.estate2, building_number="7", unit="2", room="301"
    )
    for outsider in (world.grid1_worker, world.partner, world.mum_user):
        with pytest.raises(PermissionDenied):
            services.household_claim_confirm(actor=outsider, claim=claim)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING


# --- dependents ------------------------------------------------------------------------------------


def test_add_child_over_14_makes_her_guardian(world):
    child = services.dependent_add(
        actor=world.mum_user, kind="child", name="张小红", birth_date=years_ago(15)
    )
    assert child.household == world.home
    assert Relation.objects.filter(subject=world.mum, relative=child, kind=RelationKind.GUARDIAN).exists()
    assert selectors.may_act_for(actor=world.mum_user, person=child)


def test_add_child_under_14_requires_guardian_consent(world):
    with pytest.raises(ValidationError) as exc:
        services.dependent_add(actor=world.mum_user, kind="child", name="张小花", birth_date=years_ago(5))
    assert field_errors(exc) == {"minor_consent"}
    assert not Person.objects.filter(name="张小花").exists()

    child = services.dependent_add(
        actor=world.mum_user, kind="child", name="张小花", birth_date=years_ago(5), minor_consent=True
    )
    consent = Consent.objects.get(person=child)
    assert consent.purpose == ConsentPurpose.MINOR
    assert consent.given_as_guardian and consent.given_by == world.mum_user
    assert consent.notice_version == settings.PRIVACY_NOTICE_VERSION


def test_child_born_in_the_future_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.dependent_add(
            actor=world.mum_user,
            kind="child",
            name="未来",
            birth_date=timezone.localdate() + datetime.timedelta(days=1),
            minor_consent=True,
        )
    assert field_errors(exc) == {"birth_date"}
    assert not Person.objects.filter(name="未来").exists()


def test_adult_cannot_be_added_as_child(world):
    with pytest.raises(ValidationError) as exc:
        services.dependent_add(actor=world.mum_user, kind="child", name="张大", birth_date=years_ago(19))
    assert field_errors(exc) == {"birth_date"}


def test_add_parent_makes_her_carer(world):
    parent = services.dependent_add(
        actor=world.mum_user, kind="parent", name="朱建国", birth_date=datetime.date(1950, 6, 1), gender="M"
    )
    assert Relation.objects.filter(subject=world.mum, relative=parent, kind=RelationKind.CARER).exists()
    assert Relation.objects.filter(subject=parent, relative=world.mum, kind=RelationKind.CHILD).exists()


def test_bad_kind_and_empty_name(world):
    with pytest.raises(ValidationError) as exc:
        services.dependent_add(actor=world.mum_user, kind="cousin", name=" ", birth_date=years_ago(30))
    assert field_errors(exc) == {"kind", "name"}


def test_edit_dependent_details(world):
    services.person_details_update(
        actor=world.mum_user,
        person=world.granny,
        name="李秀英",
        birth_date=datetime.date(1944, 2, 2),
        gender="F",
    )
    world.granny.refresh_from_db()
    assert world.granny.birth_date == datetime.date(1944, 2, 2)


def test_cannot_edit_someone_she_does_not_act_for(world):
    with pytest.raises(PermissionDenied):
        services.person_details_update(actor=world.mum_user, person=world.husband, name="x")
    with pytest.raises(PermissionDenied):
        services.person_details_update(actor=world.mum_user, person=world.neighbour, name="x")


def test_edit_child_future_birth_date_and_adult_birth_date(world):
    with pytest.raises(ValidationError) as exc:
        services.person_details_update(
            actor=world.mum_user,
            person=world.son,
            name="张小明",
            birth_date=timezone.localdate() + datetime.timedelta(days=3),
        )
    assert field_errors(exc) == {"birth_date"}
    with pytest.raises(ValidationError) as exc:
        services.person_details_update(
            actor=world.mum_user, person=world.son, name="张小明", birth_date=years_ago(20)
        )
    assert field_errors(exc) == {"birth_date"}
    world.son.refresh_from_db()
    assert world.son.age == 8


# --- consents --------------------------------------------------------------------------------------


def test_grant_and_withdraw_consent(world):
    consent = services.consent_grant(
        actor=world.mum_user, person=world.mum, purpose=ConsentPurpose.NOTIFICATIONS
    )
    assert not consent.given_as_guardian
    assert services.consent_grant(actor=world.mum_user, person=world.mum, purpose="notifications") == consent
    services.consent_withdraw(actor=world.mum_user, person=world.mum, purpose="notifications")
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_by == world.mum_user
    assert not selectors.has_consent(person=world.mum, purpose="notifications")
    # given again: a new row, the withdrawn one kept as history
    services.consent_grant(actor=world.mum_user, person=world.mum, purpose="notifications")
    assert Consent.objects.filter(person=world.mum, purpose="notifications").count() == 2


def test_consent_for_dependent_is_given_as_guardian(world):
    consent = services.consent_grant(actor=world.mum_user, person=world.granny, purpose=ConsentPurpose.HEALTH)
    assert consent.given_as_guardian


def test_consent_under_a_new_notice_version_replaces_the_old(world, settings):
    old = services.consent_grant(actor=world.mum_user, person=world.mum, purpose="services")
    settings.PRIVACY_NOTICE_VERSION = "2027-01"
    new = services.consent_grant(actor=world.mum_user, person=world.mum, purpose="services")
    old.refresh_from_db()
    assert old.withdrawn_at is not None and new.notice_version == "2027-01"


def test_nobody_else_can_consent(world):
    for outsider in (world.staff, world.grid1_worker, world.other_resident_user):
        with pytest.raises(PermissionDenied):
            services.consent_grant(actor=outsider, person=world.granny, purpose="health")


def test_minor_consent_only_for_a_child(world):
    with pytest.raises(ValidationError):
        services.consent_grant(actor=world.mum_user, person=world.granny, purpose=ConsentPurpose.MINOR)


def test_withdrawing_health_consent_deletes_health_details(world):
    services.consent_grant(actor=world.mum_user, person=world.granny, purpose="health")
    services.sensitive_profile_update(actor=world.mum_user, person=world.granny, health_conditions="高血压")
    services.consent_withdraw(actor=world.mum_user, person=world.granny, purpose="health")
    assert not SensitiveProfile.objects.filter(person=world.granny).exists()
    with pytest.raises(ValidationError):
        services.sensitive_profile_update(
            actor=world.mum_user, person=world.granny, health_conditions="高血压"
        )


def test_child_under_14_health_needs_guardian_minor_consent(world):
    services.consent_grant(actor=world.mum_user, person=world.son, purpose="health")
    with pytest.raises(ValidationError):
        services.sensitive_profile_update(actor=world.mum_user, person=world.son, allergies="花生")
    services.consent_grant(actor=world.mum_user, person=world.son, purpose="minor")
    profile = services.sensitive_profile_update(actor=world.mum_user, person=world.son, allergies="花生")
    assert profile.allergies == "花生"
    services.consent_withdraw(actor=world.mum_user, person=world.son, purpose="minor")
    assert not SensitiveProfile.objects.filter(person=world.son).exists()


def test_sensitive_changes_are_audited_masked(world):
    services.consent_grant(actor=world.mum_user, person=world.mum, purpose="health")
    profile = services.sensitive_profile_update(
        actor=world.mum_user, person=world.mum, health_conditions="哮喘"
    )
    services.sensitive_profile_update(
        actor=world.mum_user, person=world.mum, health_conditions="哮喘, 高血压"
    )
    entries = LogEntry.objects.get_for_object(profile)
    assert entries.count() == 2
    assert all(e.actor == world.mum_user for e in entries)
    assert "哮喘" not in str([e.changes for e in entries])


# --- emergency contacts ------------------------------------------------------------------------------


def test_emergency_contacts(world):
    contact = services.emergency_contact_add(
        actor=world.mum_user, person=world.granny, name="朱晓燕", phone="+8613912345678", relationship="女儿"
    )
    assert list(world.granny.emergency_contacts.all()) == [contact]
    with pytest.raises(PermissionDenied):
        services.emergency_contact_remove(actor=world.other_resident_user, contact=contact)
    services.emergency_contact_remove(actor=world.mum_user, contact=contact)
    assert not world.granny.emergency_contacts.exists()


def test_emergency_contact_bad_phone(world):
    with pytest.raises(ValidationError) as exc:
        services.emergency_contact_add(actor=world.mum_user, person=world.granny, name="某人", phone="12")
    assert "phone" in field_errors(exc)
