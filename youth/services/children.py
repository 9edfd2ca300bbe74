"""Children and guardians: a guardian adds her child, records her school and grade, her health notes and
emergency contacts, and authorises who may collect her (standing, or for one day only).

Every write is the guardian's (``may_act_for`` and a guardian relation), one transaction, audited with the
actor; a child under 14 keeps nothing beyond her name and age until her guardian's consent to keeping a
child's information is on record (``access.child_consent_required``), so each write below checks it.
"""

from __future__ import annotations

import datetime
import io
import time
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from phonenumber_field.phonenumber import to_python as phone_to_python

from events.services import _pool
from portal.audit import set_actor
from portal.community.models import (
    ConsentPurpose,
    EmergencyContact,
    Organization,
    OrganizationKind,
    Person,
    Relation,
    RelationKind,
    SensitiveProfile,
)
from portal.community.selectors import has_consent, may_act_for, person_of
from portal.community.services import (
    DependentKind,
    consent_grant,
    dependent_add,
    emergency_contact_add,
    emergency_contact_remove,
    person_details_update,
    sensitive_profile_update,
)
from portal.uploads import validate_upload_size

from ..models import ChildProfile, Grade, PickupPerson, PickupRelation
from ..selectors.access import child_consent_required

#: A pickup photo is re-encoded to a JPEG no larger than this on its longer side (EXIF dropped).
PHOTO_MAX_PX = 800
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
#: Only the concurrency test sets it: a pause between the duplicate check and the insert.
RACE_PAUSE_SECONDS = 0
#: A one-day authorisation can be given up to this many days ahead.
ONE_DAY_AHEAD_MAX = 30


@contextmanager
def _atomic_as(actor):
    with transaction.atomic(), set_actor(actor):
        yield


def _require_guardian(actor, child: Person) -> None:
    """She acts for the child AND is recorded as her guardian (a carer of an elder is not enough)."""
    me = person_of(actor) if actor is not None and actor.is_authenticated else None
    if me is None or not may_act_for(actor=actor, person=child):
        raise PermissionDenied
    if not Relation.objects.filter(subject=me, relative=child, kind=RelationKind.GUARDIAN).exists():
        raise PermissionDenied


# --- the child ----------------------------------------------------------------------------------------


def _school_values(*, school, school_name: str, grade: str) -> dict:
    errors = {}
    school_name = (school_name or "").strip()
    if school is not None and (school.kind != OrganizationKind.SCHOOL or not school.is_active):
        errors["school"] = _("Please choose a school from the list.")
    if len(school_name) > ChildProfile._meta.get_field("school_name").max_length:
        errors["school_name"] = _("Please shorten the school's name to 100 characters.")
    if grade and grade not in Grade.values:
        errors["grade"] = _("Please choose a grade from the list.")
    if errors:
        raise ValidationError(errors)
    return {"school": school, "school_name": "" if school is not None else school_name, "grade": grade or ""}


def child_profile_update(
    *, actor, child: Person, school: Organization | None = None, school_name: str = "", grade: str = ""
) -> ChildProfile:
    """Her school (a partner school, or its name typed) and grade. Refused before the child-data consent
    for a child under 14 (the reason at the school field)."""
    _require_guardian(actor, child)
    values = _school_values(school=school, school_name=school_name, grade=grade)
    with _atomic_as(actor):
        Person.objects.select_for_update().filter(pk=child.pk).first()
        child_consent_required(child, field="school")
        profile, _created = ChildProfile.objects.update_or_create(
            person=child, defaults={**values, "updated_by": actor}
        )
        return profile


def child_add(
    *,
    actor,
    name: str,
    birth_date: datetime.date | None,
    gender: str = "",
    minor_consent: bool = False,
    school: Organization | None = None,
    school_name: str = "",
    grade: str = "",
) -> Person:
    """A guardian adds her child (the platform's ``dependent_add``, kind child, with her consent given in
    the same step) and her school and grade, in one transaction: a refused profile leaves no child."""
    errors: dict = {}
    try:
        _school_values(school=school, school_name=school_name, grade=grade)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        with _atomic_as(actor):
            child = dependent_add(
                actor=actor,
                kind=DependentKind.CHILD,
                name=name,
                birth_date=birth_date,
                gender=gender,
                minor_consent=minor_consent,
            )
            if errors:
                raise ValidationError(errors)
            if school is not None or (school_name or "").strip() or grade:
                child_profile_update(
                    actor=actor, child=child, school=school, school_name=school_name, grade=grade
                )
            return child
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, messages)
            raise ValidationError(errors) from None
        raise


def child_details_update(
    *,
    actor,
    child: Person,
    name: str,
    birth_date: datetime.date | None,
    gender: str = "",
    minor_consent: bool = False,
    school: Organization | None = None,
    school_name: str = "",
    grade: str = "",
) -> Person:
    """Her name, gender and birth date (the platform's ``person_details_update``) and her school and grade,
    in one transaction."""
    _require_guardian(actor, child)
    with _atomic_as(actor):
        child = person_details_update(
            actor=actor,
            person=child,
            name=name,
            gender=gender,
            birth_date=birth_date,
            phone=str(child.phone or ""),
            minor_consent=minor_consent,
        )
        has_school = school is not None or (school_name or "").strip() or grade
        if has_school or ChildProfile.objects.filter(person=child).exists():
            child_profile_update(
                actor=actor, child=child, school=school, school_name=school_name, grade=grade
            )
        return child


# --- health notes and emergency contacts ----------------------------------------------------------------


def child_health_update(
    *,
    actor,
    child: Person,
    health_consent: bool = False,
    allergies: str = "",
    medications: str = "",
    health_conditions: str = "",
) -> SensitiveProfile:
    """Her allergies, medication and conditions in the platform's SensitiveProfile. Needs the child-data
    consent (under 14) and the health consent: on record, or given now with ``health_consent`` in the
    same transaction (refused notes leave no consent behind)."""
    _require_guardian(actor, child)
    with _atomic_as(actor):
        child_consent_required(child, field="allergies")
        if not has_consent(person=child, purpose=ConsentPurpose.HEALTH):
            if not health_consent:
                raise ValidationError(
                    {
                        "health_consent": _(
                            "Health notes can only be kept with your consent as guardian to keeping her "
                            "health information. Please tick the box."
                        )
                    }
                )
            consent_grant(actor=actor, person=child, purpose=ConsentPurpose.HEALTH)
        return sensitive_profile_update(
            actor=actor,
            person=child,
            allergies=allergies,
            medications=medications,
            health_conditions=health_conditions,
        )


def child_contact_add(*, actor, child: Person, name: str, phone, relationship: str = "") -> EmergencyContact:
    """An emergency contact for her (the platform's ``emergency_contact_add``), after the consent check."""
    _require_guardian(actor, child)
    with _atomic_as(actor):
        child_consent_required(child, field="name")
        priority = EmergencyContact.objects.filter(person=child).count() + 1
        return emergency_contact_add(
            actor=actor, person=child, name=name, phone=phone, relationship=relationship, priority=priority
        )


def child_contact_remove(*, actor, contact: EmergencyContact) -> None:
    _require_guardian(actor, contact.person)
    emergency_contact_remove(actor=actor, contact=contact)


# --- authorised pickup persons ---------------------------------------------------------------------------


def pickup_photo_prepare(upload) -> ContentFile | None:
    """The uploaded photo checked (size, JPEG/PNG/WebP) and re-encoded to a JPEG of at most
    ``PHOTO_MAX_PX`` px with no EXIF (no GPS position of the family's home). ``ValidationError`` at
    ``photo`` for anything else."""
    if not upload:
        return None
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        validate_upload_size(upload)
    except ValidationError as exc:
        raise ValidationError({"photo": exc.messages}) from None
    refused = ValidationError({"photo": _("Please upload a photo as a JPEG, PNG or WebP image.")})
    try:
        upload.seek(0)
        image = Image.open(upload)
        if image.format not in PHOTO_FORMATS:
            raise refused
        image.load()
        image = ImageOps.exif_transpose(image)
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        image.thumbnail((PHOTO_MAX_PX, PHOTO_MAX_PX))
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=85)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise refused from None
    return ContentFile(out.getvalue(), name="photo.jpg")


def _phone_checked(phone):
    parsed = phone_to_python(str(phone or ""), region="CN") if phone else None
    if parsed is None or not getattr(parsed, "is_valid", lambda: False)():
        raise ValidationError(
            {"phone": _("Please enter a valid mobile phone number, for example 13812345678.")}
        )
    return parsed


def pickup_person_add(
    *,
    actor,
    child: Person,
    name: str,
    relation: str,
    phone,
    photo=None,
    only_on: datetime.date | None = None,
) -> PickupPerson:
    """Authorise someone to collect her: standing (``only_on`` empty) or for that one day only ("grandma
    collects her today"), which expires by itself. Refused: not her guardian, no child-data consent, a bad
    phone, someone already authorised with that phone, a day in the past."""
    _require_guardian(actor, child)
    name = (name or "").strip()
    errors: dict = {}
    if not name:
        errors["name"] = _("Please enter the name.")
    elif len(name) > PickupPerson._meta.get_field("name").max_length:
        errors["name"] = _("Please shorten the name to 50 characters.")
    if relation not in PickupRelation.values:
        errors["relation"] = _("Please choose how she is related to the child.")
    try:
        phone = _phone_checked(phone)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    today = timezone.localdate()
    if only_on is not None and only_on < today:
        errors["only_on"] = _("A one-day authorisation cannot be for a day that has passed.")
    elif only_on is not None and (only_on - today).days > ONE_DAY_AHEAD_MAX:
        errors["only_on"] = _("A one-day authorisation can be given up to 30 days ahead.")
    try:
        content = pickup_photo_prepare(photo)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        content = None
    with _atomic_as(actor):
        if _pool.LOCKING:  # serialise her authorisations (the control test turns it off to show the race)
            Person.objects.select_for_update().filter(pk=child.pk).first()
        try:
            child_consent_required(child, field="name")
        except ValidationError as exc:
            errors = {**exc.message_dict, **{k: v for k, v in errors.items() if k != "name"}}
        if errors:
            raise ValidationError(errors)
        same = PickupPerson.objects.valid_on(only_on or today).filter(child=child, phone=phone)
        if only_on is None:
            same = PickupPerson.objects.filter(child=child, phone=phone, revoked_at__isnull=True).filter(
                only_on__isnull=True
            )
        existing = same.first()
        if RACE_PAUSE_SECONDS:
            time.sleep(RACE_PAUSE_SECONDS)
        if existing is not None:
            raise ValidationError(
                {
                    "phone": _("%(name)s is already authorised with this phone number.")
                    % {"name": existing.name}
                },
                code="duplicate",
            )
        person = PickupPerson(
            child=child, name=name, relation=relation, phone=phone, only_on=only_on, added_by=actor
        )
        person.full_clean(exclude=["photo"])
        if content is not None:
            person.photo.save(content.name, content, save=False)
        try:
            person.save()
        except Exception:
            if person.photo:
                person.photo.delete(save=False)  # a refused row leaves no file behind
            raise
        return person


def pickup_person_revoke(*, actor, pickup: PickupPerson) -> PickupPerson:
    """She no longer collects the child (from now on). Idempotent."""
    _require_guardian(actor, pickup.child)
    with _atomic_as(actor):
        pickup = PickupPerson.objects.select_for_update().get(pk=pickup.pk)
        if pickup.revoked_at is None:
            pickup.revoked_at = timezone.now()
            pickup.save(update_fields=["revoked_at"])
        return pickup
