"""The children piece's services: every refusal with its reason and nothing changed."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from PIL import Image

from portal.community.models import (
    Consent,
    ConsentPurpose,
    EmergencyContact,
    Person,
    Relation,
    RelationKind,
    SensitiveProfile,
)
from portal.community.services import consent_grant, consent_withdraw
from youth.models import ChildProfile, Grade, PickupPerson, PickupRelation
from youth.services import children as services

from ._f_children import image_upload, school
from .factories import ChildFactory, ChildProfileFactory, GuardianFactory

pytestmark = pytest.mark.django_db

UNDER_14 = datetime.date(2018, 6, 1)
AGED_15 = datetime.date(2011, 1, 5)


def _errors(exc) -> dict:
    return exc.value.message_dict


# --- adding a child -----------------------------------------------------------------------------------


def test_child_add_records_child_consent_and_profile_in_one_go():
    guardian = GuardianFactory()
    s = school()
    child = services.child_add(
        actor=guardian.user,
        name="朱小雨",
        birth_date=UNDER_14,
        gender="F",
        minor_consent=True,
        school=s,
        grade=Grade.P3,
    )
    assert Relation.objects.filter(subject=guardian, relative=child, kind=RelationKind.GUARDIAN).exists()
    assert Consent.objects.active().filter(person=child, purpose=ConsentPurpose.MINOR).exists()
    profile = ChildProfile.objects.get(person=child)
    assert (profile.school, profile.grade, profile.updated_by) == (s, Grade.P3, guardian.user)


def test_child_add_under_14_without_consent_refused_at_the_box_and_nothing_saved():
    guardian = GuardianFactory()
    before = Person.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.child_add(actor=guardian.user, name="朱小雨", birth_date=UNDER_14, school_name="永兴小学")
    assert "consent as guardian" in _errors(exc)["minor_consent"][0]
    assert Person.objects.count() == before
    assert not ChildProfile.objects.exists() and not Consent.objects.filter(purpose="minor").exists()


def test_child_add_refused_profile_leaves_no_half_made_child():
    guardian = GuardianFactory()
    not_a_school = school(name="某护理院")
    not_a_school.kind = "nursing_home"
    not_a_school.save()
    before = Person.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.child_add(
            actor=guardian.user, name="朱小雨", birth_date=UNDER_14, minor_consent=True, school=not_a_school
        )
    assert "school from the list" in _errors(exc)["school"][0]
    assert Person.objects.count() == before
    assert not Consent.objects.filter(purpose="minor").exists()


def test_child_add_over_14_needs_no_consent():
    guardian = GuardianFactory()
    child = services.child_add(actor=guardian.user, name="朱小军", birth_date=AGED_15, grade=Grade.J3)
    assert ChildProfile.objects.get(person=child).grade == Grade.J3


def test_child_profile_refused_before_consent_and_by_another_family():
    child = ChildFactory(consent=False)
    guardian = child.guardian_for_tests.user
    with pytest.raises(ValidationError) as exc:
        services.child_profile_update(actor=guardian, child=child, school_name="永兴小学")
    assert "under 14" in _errors(exc)["school"][0]
    stranger = GuardianFactory().user
    with pytest.raises(PermissionDenied):
        services.child_profile_update(actor=stranger, child=ChildFactory(), school_name="x")
    assert not ChildProfile.objects.exists()


def test_child_details_update_birth_date_through_the_platform():
    child = ChildFactory()
    ChildProfileFactory(person=child)
    services.child_details_update(
        actor=child.guardian_for_tests.user,
        child=child,
        name="孩子新名",
        birth_date=datetime.date(2017, 2, 3),
        grade=Grade.P4,
    )
    child.refresh_from_db()
    assert (child.name, child.birth_date) == ("孩子新名", datetime.date(2017, 2, 3))
    assert ChildProfile.objects.get(person=child).grade == Grade.P4


# --- health notes and emergency contacts --------------------------------------------------------------


def test_health_notes_need_the_health_consent_given_in_the_same_step():
    child = ChildFactory()
    guardian = child.guardian_for_tests.user
    with pytest.raises(ValidationError) as exc:
        services.child_health_update(actor=guardian, child=child, allergies="花生")
    assert "tick the box" in _errors(exc)["health_consent"][0]
    assert not SensitiveProfile.objects.exists()
    services.child_health_update(actor=guardian, child=child, health_consent=True, allergies="花生")
    assert SensitiveProfile.objects.get(person=child).allergies == "花生"
    assert Consent.objects.active().filter(person=child, purpose=ConsentPurpose.HEALTH).exists()


def test_health_notes_refused_without_child_consent_and_no_consent_left_behind():
    child = ChildFactory(consent=False)
    with pytest.raises(ValidationError) as exc:
        services.child_health_update(
            actor=child.guardian_for_tests.user, child=child, health_consent=True, allergies="花生"
        )
    assert "under 14" in _errors(exc)["allergies"][0]
    assert not SensitiveProfile.objects.exists()
    assert not Consent.objects.filter(person=child).exists()


def test_emergency_contact_refused_without_consent_then_added():
    child = ChildFactory(consent=False)
    guardian = child.guardian_for_tests.user
    with pytest.raises(ValidationError) as exc:
        services.child_contact_add(actor=guardian, child=child, name="王秀英", phone="+8613711112222")
    assert "under 14" in _errors(exc)["name"][0]
    assert not EmergencyContact.objects.exists()
    ok = ChildFactory()
    contact = services.child_contact_add(
        actor=ok.guardian_for_tests.user, child=ok, name="王秀英", phone="+8613711112222", relationship="外婆"
    )
    assert contact.priority == 1
    with pytest.raises(PermissionDenied):
        services.child_contact_remove(actor=guardian, contact=contact)
    assert EmergencyContact.objects.filter(pk=contact.pk).exists()


# --- pickup persons -------------------------------------------------------------------------------------


def _add(child, **kw):
    kw.setdefault("name", "王秀英")
    kw.setdefault("relation", PickupRelation.GRANDMOTHER_MATERNAL)
    kw.setdefault("phone", "+8613711112222")
    return services.pickup_person_add(actor=child.guardian_for_tests.user, child=child, **kw)


def test_one_day_pass_valid_that_day_only():
    child = ChildFactory()
    today = timezone.localdate()
    grandma = _add(child, only_on=today)
    assert list(PickupPerson.objects.valid_on(today)) == [grandma]
    with time_machine.travel(datetime.datetime(2026, 11, 19, 8, 0, tzinfo=timezone.get_current_timezone())):
        assert not PickupPerson.objects.valid_on(timezone.localdate()).exists()


def test_one_day_pass_for_a_past_day_refused():
    child = ChildFactory()
    with pytest.raises(ValidationError) as exc:
        _add(child, only_on=timezone.localdate() - datetime.timedelta(days=1))
    assert "has passed" in _errors(exc)["only_on"][0]
    assert not PickupPerson.objects.exists()


def test_duplicate_standing_person_refused_with_reason():
    child = ChildFactory()
    _add(child)
    with pytest.raises(ValidationError) as exc:
        _add(child, name="另一个名字")
    assert "already authorised" in _errors(exc)["phone"][0]
    with pytest.raises(ValidationError):
        _add(child, only_on=timezone.localdate())  # she may already collect her every day
    assert PickupPerson.objects.count() == 1


def test_pickup_person_refused_bad_phone_bad_relation_no_consent_stranger():
    child = ChildFactory()
    with pytest.raises(ValidationError) as exc:
        _add(child, phone="12345", relation="boss")
    assert "valid mobile" in _errors(exc)["phone"][0]
    assert "related" in _errors(exc)["relation"][0]
    no_consent = ChildFactory(consent=False)
    with pytest.raises(ValidationError) as exc:
        _add(no_consent)
    assert "under 14" in _errors(exc)["name"][0]
    with pytest.raises(PermissionDenied):
        services.pickup_person_add(
            actor=GuardianFactory().user, child=child, name="x", relation="other", phone="+8613711112222"
        )
    assert not PickupPerson.objects.exists()


def test_a_carer_who_is_not_guardian_may_not_authorise():
    child = ChildFactory()
    carer = GuardianFactory()
    Relation.objects.create(subject=carer, relative=child, kind=RelationKind.CARER)
    with pytest.raises(PermissionDenied):
        services.pickup_person_add(
            actor=carer.user, child=child, name="x", relation="other", phone="+8613711112222"
        )


def test_revoke_ends_the_authorisation_and_is_guardian_only():
    child = ChildFactory()
    grandma = _add(child)
    with pytest.raises(PermissionDenied):
        services.pickup_person_revoke(actor=GuardianFactory().user, pickup=grandma)
    assert PickupPerson.objects.valid_on(timezone.localdate()).count() == 1
    services.pickup_person_revoke(actor=child.guardian_for_tests.user, pickup=grandma)
    assert not PickupPerson.objects.valid_on(timezone.localdate()).exists()


def test_photo_is_reencoded_small_jpeg_without_exif():
    child = ChildFactory()
    grandma = _add(child, photo=image_upload(fmt="PNG", size=(2000, 1000)))
    with grandma.photo.open("rb") as f:
        img = Image.open(f)
        assert img.format == "JPEG" and max(img.size) == 800
    gps = _add(ChildFactory(), photo=image_upload(fmt="JPEG"))
    with gps.photo.open("rb") as f:
        img = Image.open(f)
        assert not img.getexif()
    assert grandma.photo.name.startswith("youth/pickup/") and grandma.photo.name.endswith(".jpg")


def test_photo_refused_for_other_formats_and_garbage():
    child = ChildFactory()
    with pytest.raises(ValidationError) as exc:
        _add(child, photo=image_upload(fmt="GIF", mode="P"))
    assert "JPEG, PNG or WebP" in _errors(exc)["photo"][0]
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError):
        _add(child, photo=SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg"))
    assert not PickupPerson.objects.exists()


def test_photo_over_the_size_limit_refused(settings):
    settings.MAX_UPLOAD_SIZE = 1000
    with pytest.raises(ValidationError) as exc:
        _add(ChildFactory(), photo=image_upload(fmt="PNG", size=(400, 400)))
    assert "can be uploaded" in _errors(exc)["photo"][0]


# --- withdrawal of the child-data consent ---------------------------------------------------------------


def test_withdrawing_the_minor_consent_erases_profile_pickups_photos_contacts(
    django_capture_on_commit_callbacks,
):
    child = ChildFactory()
    guardian = child.guardian_for_tests.user
    ChildProfileFactory(person=child)
    grandma = _add(child, photo=image_upload())
    path, storage = grandma.photo.name, grandma.photo.storage
    services.child_contact_add(actor=guardian, child=child, name="王秀英", phone="+8613711112222")
    services.child_health_update(actor=guardian, child=child, health_consent=True, allergies="花生")
    assert storage.exists(path)
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(actor=guardian, person=child, purpose=ConsentPurpose.MINOR)
    assert not ChildProfile.objects.filter(person=child).exists()
    assert not PickupPerson.objects.filter(child=child).exists()
    assert not EmergencyContact.objects.filter(person=child).exists()
    assert not SensitiveProfile.objects.filter(person=child).exists()
    assert not storage.exists(path)
    assert Person.objects.filter(pk=child.pk).exists()  # name and age stay


def test_withdrawing_minor_consent_of_a_15_year_old_keeps_her_details():
    guardian = GuardianFactory()
    child = services.child_add(actor=guardian.user, name="朱小军", birth_date=AGED_15, grade=Grade.J3)
    consent_grant(actor=guardian.user, person=child, purpose=ConsentPurpose.MINOR)
    consent_withdraw(actor=guardian.user, person=child, purpose=ConsentPurpose.MINOR)
    assert ChildProfile.objects.filter(person=child).exists()


def test_withdrawal_at_the_desk_erases_too():
    from portal.community.services import consent_withdraw_at_desk

    from ._f_children import staff

    child = ChildFactory()
    ChildProfileFactory(person=child)
    _add(child)
    consent_withdraw_at_desk(staff=staff(), person=child, purpose=ConsentPurpose.MINOR)
    assert not ChildProfile.objects.filter(person=child).exists()
    assert not PickupPerson.objects.filter(child=child).exists()
