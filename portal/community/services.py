"""Every write to the community registry.

Each function is keyword-only, runs in one transaction, raises ``ValidationError`` (translated, keyed by
form field where there is one) for domain errors and ``PermissionDenied`` when the actor may not do it.
Audit entries come from django-auditlog (models registered in ``apps.py``), attributed to the actor.
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.audit import set_actor

from . import selectors
from .models import (
    ACTING_RELATIONS,
    ClaimStatus,
    Consent,
    ConsentPurpose,
    EmergencyContact,
    Estate,
    Gender,
    HouseholdClaim,
    Person,
    Relation,
    RelationKind,
    SensitiveProfile,
)

ADULT_AGE = 18
#: PIPL art. 31: a child under 14 needs a guardian's consent before her data is kept.
GUARDIAN_CONSENT_AGE = 14


class DependentKind(models.TextChoices):
    """Who a resident adds: her child (she becomes guardian) or her elderly parent (she becomes carer)."""

    CHILD = "child", gettext_lazy("My child")
    PARENT = "parent", gettext_lazy("My parent")


@contextmanager
def _atomic_as(actor):
    with transaction.atomic(), set_actor(actor):
        yield


def _age(birth_date: datetime.date, on: datetime.date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def _require_may_act_for(actor, person: Person) -> None:
    if not selectors.may_act_for(actor=actor, person=person):
        raise PermissionDenied


# --- the resident's own record --------------------------------------------------------------------


def _phone_digits(phone) -> str:
    """A placeholder name until she gives hers: the bare national number, "13811113333"."""
    return str(getattr(phone, "national_number", "") or phone or "")[:50]


def person_ensure_for_user(*, user) -> Person:
    """The resident record of a signed-in user, created on first call (name, phone, account link).

    Idempotent: a second call returns the same Person. It never links an existing record made by staff
    (that is a staff decision, in the admin), so a phone number alone cannot claim someone's record.
    """
    existing = Person.objects.filter(user=user).first()
    if existing is not None:
        return existing
    try:
        with _atomic_as(user):
            return Person.objects.create(
                user=user,
                name=(user.name or "").strip() or _phone_digits(user.phone),
                phone=user.phone or "",
                household=None,
                birth_date=None,
                gender="",
                created_by=user,
            )
    except IntegrityError:  # a concurrent call created it first
        return Person.objects.get(user=user)


def _check_birth_date(birth_date: datetime.date | None, *, field: str = "birth_date") -> None:
    if birth_date and birth_date > timezone.localdate():
        raise ValidationError({field: _("The date of birth cannot be in the future.")})
    if birth_date and birth_date.year < 1900:
        raise ValidationError({field: _("Please check the year of birth.")})


def guardian_consent_check(
    *,
    person: Person | None,
    birth_date: datetime.date | None,
    minor_consent: bool = False,
    field: str = "birth_date",
) -> None:
    """The one place of the PIPL art. 31 rule: a person under 14 is only recorded with a guardian's
    consent to keeping a child's information.

    Every write that sets or changes a birth date calls it (a resident adding her child or editing a
    date, the admin's person forms, the spreadsheet import): whoever makes a person under 14 needs either
    the consent given in the same step (``minor_consent``) or an active child-data consent already on
    record for her. A record whose birth date is not being changed is left alone. Raises a translated
    ``ValidationError`` keyed by ``field``.
    """
    if birth_date is None or _age(birth_date, timezone.localdate()) >= GUARDIAN_CONSENT_AGE:
        return
    if minor_consent:
        return
    if person is not None and person.pk:
        stored = Person.objects.filter(pk=person.pk).values_list("birth_date", flat=True).first()
        if stored == birth_date:
            return
        if selectors.has_consent(person=person, purpose=ConsentPurpose.MINOR):
            return
    raise ValidationError(
        {
            field: _(
                "A child under 14 can only be recorded with the guardian's consent to keeping a child's "
                "information. Please give that consent first, or check the date of birth."
            )
        },
        code="guardian_consent",
    )


def _minor_consent_record(*, actor, person: Person) -> Consent:
    """The guardian's child-data consent, given in the step that recorded a child under 14."""
    return Consent.objects.create(
        person=person,
        purpose=ConsentPurpose.MINOR,
        notice_version=settings.PRIVACY_NOTICE_VERSION,
        given_by=actor,
        given_as_guardian=True,
    )


def person_details_update(
    *,
    actor,
    person: Person,
    name: str,
    gender: str = "",
    birth_date: datetime.date | None = None,
    phone: str = "",
    minor_consent: bool = False,
) -> Person:
    """Edit a person's details: her own, or those of someone she is guardian or carer of.

    A date of birth that makes her under 14 needs the guardian's consent (:func:`guardian_consent_check`):
    on record already, or given now with ``minor_consent``.
    """
    _require_may_act_for(actor, person)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Please enter the name.")})
    if gender and gender not in Gender.values:
        raise ValidationError({"gender": _("Please choose a gender from the list.")})
    _check_birth_date(birth_date)
    with _atomic_as(actor):
        person = Person.objects.select_for_update().get(pk=person.pk)
        is_child = Relation.objects.filter(relative=person, kind=RelationKind.GUARDIAN).exists()
        if is_child and birth_date and _age(birth_date, timezone.localdate()) >= ADULT_AGE:
            raise ValidationError(
                {"birth_date": _("A child must be under 18. Please check the date of birth.")}
            )
        guardian_consent_check(person=person, birth_date=birth_date, minor_consent=minor_consent)
        needs_consent_now = (
            minor_consent
            and birth_date is not None
            and _age(birth_date, timezone.localdate()) < GUARDIAN_CONSENT_AGE
            and not selectors.has_consent(person=person, purpose=ConsentPurpose.MINOR)
        )
        person.name, person.gender, person.birth_date, person.phone = name, gender, birth_date, phone or ""
        person.full_clean(exclude=["household", "user"])
        person.save()
        if needs_consent_now:
            _minor_consent_record(actor=actor, person=person)
        return person


# --- household claims ------------------------------------------------------------------------------


def household_claim_create(
    *, user, estate: Estate | None, building_number: str, unit: str, room: str, message: str = ""
) -> HouseholdClaim:
    """A resident asks to be recognised as living at an address; staff of that grid decide."""
    if estate is None:
        raise ValidationError({"estate": _("Please choose your estate.")})
    building_number, unit, room = (building_number or "").strip(), (unit or "").strip(), (room or "").strip()
    if not estate.buildings.filter(number=building_number).exists():
        raise ValidationError(
            {
                "building_number": _("There is no building %(n)s in %(estate)s.")
                % {"n": building_number, "estate": estate}
            }
        )
    household = selectors.household_find(estate=estate, building_number=building_number, unit=unit, room=room)
    if household is None:
        raise ValidationError(
            {
                "room": _(
                    "We have no household at this unit and room. Please check the address, or ask the office."
                )
            }
        )
    with _atomic_as(user):
        person = person_ensure_for_user(user=user)
        if person.household_id == household.pk:
            raise ValidationError({"room": _("You are already registered at this household.")})
        if HouseholdClaim.objects.select_for_update().filter(user=user, status=ClaimStatus.PENDING).exists():
            raise ValidationError(
                _("You already have a claim waiting for staff. Please wait for their decision.")
            )
        try:
            with transaction.atomic():
                return HouseholdClaim.objects.create(
                    user=user, household=household, message=(message or "")[:200]
                )
        except IntegrityError:
            raise ValidationError(
                _("You already have a claim waiting for staff. Please wait for their decision.")
            ) from None


def _require_may_decide(actor, claim: HouseholdClaim) -> None:
    if not selectors.claims_pending_for(viewer=actor).filter(pk=claim.pk).exists():
        raise PermissionDenied


def household_claim_confirm(*, actor, claim: HouseholdClaim, note: str = "") -> HouseholdClaim:
    """Confirm a pending claim: the claimant's Person and everyone she acts for (guardian or carer)
    who has no home yet or lived with her before join it."""
    with _atomic_as(actor):
        claim = HouseholdClaim.objects.select_for_update().select_related("household").get(pk=claim.pk)
        if claim.status != ClaimStatus.PENDING:
            raise ValidationError(_("This claim has already been decided."))
        _require_may_decide(actor, claim)
        person = person_ensure_for_user(user=claim.user)
        previous_household_id = person.household_id
        person.household = claim.household
        person.save(update_fields=["household", "updated_at"])
        # Everyone she acts for (a child as guardian, an elderly parent as carer), added before or
        # while the claim was pending: those without a home, and those who lived with her before.
        homeless_or_with_her = Q(household__isnull=True)
        if previous_household_id:
            homeless_or_with_her |= Q(household_id=previous_household_id)
        dependents = (
            Person.objects.select_for_update()
            .filter(
                pk__in=Relation.objects.filter(subject=person, kind__in=ACTING_RELATIONS).values(
                    "relative_id"
                )
            )
            .filter(homeless_or_with_her)
            .exclude(household_id=claim.household_id)
        )
        for dependent in dependents:
            dependent.household = claim.household
            dependent.save(update_fields=["household", "updated_at"])
        claim.status = ClaimStatus.CONFIRMED
        claim.decided_by, claim.decided_at, claim.decision_note = actor, timezone.now(), (note or "")[:200]
        claim.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _claim_decision_notify(claim)
        return claim


def household_claim_reject(*, actor, claim: HouseholdClaim, note: str = "") -> HouseholdClaim:
    with _atomic_as(actor):
        claim = HouseholdClaim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != ClaimStatus.PENDING:
            raise ValidationError(_("This claim has already been decided."))
        _require_may_decide(actor, claim)
        claim.status = ClaimStatus.REJECTED
        claim.decided_by, claim.decided_at, claim.decision_note = actor, timezone.now(), (note or "")[:200]
        claim.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _claim_decision_notify(claim)
        return claim


def _claim_decision_notify(claim: HouseholdClaim) -> None:
    """Tell the claimant (in her inbox, and by SMS unless she turned it off) how staff decided."""
    from portal.notify.services import message_enqueue

    template = (
        "community.claim_confirmed" if claim.status == ClaimStatus.CONFIRMED else "community.claim_rejected"
    )
    message_enqueue(
        key=f"community.claim_decided:claim:{claim.pk}",
        template=template,
        context={"address": claim.household.short_address, "reason": claim.decision_note},
        user=claim.user,
    )


# --- dependents ------------------------------------------------------------------------------------


def dependent_add(
    *,
    actor,
    kind: str,
    name: str,
    birth_date: datetime.date | None,
    gender: str = "",
    phone: str = "",
    minor_consent: bool = False,
) -> Person:
    """A resident adds her child (she becomes guardian) or her elderly parent (she becomes carer).

    The dependent joins her household. A child under 14 is only recorded with the guardian's consent
    to keeping a child's data, given in the same step (``minor_consent``), recorded ``given_as_guardian``.
    """
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if kind not in DependentKind.values:
        errors["kind"] = _("Please choose whether this is your child or your parent.")
    if not name:
        errors["name"] = _("Please enter the name.")
    if gender and gender not in Gender.values:
        errors["gender"] = _("Please choose a gender from the list.")
    today = timezone.localdate()
    if birth_date is None:
        errors["birth_date"] = _("Please enter the date of birth.")
    elif birth_date > today:
        errors["birth_date"] = _("The date of birth cannot be in the future.")
    elif birth_date.year < 1900:
        errors["birth_date"] = _("Please check the year of birth.")
    elif kind == DependentKind.CHILD and _age(birth_date, today) >= ADULT_AGE:
        errors["birth_date"] = _(
            "A child must be under 18. An adult son or daughter can sign up on their own."
        )
    if "birth_date" not in errors:
        try:
            guardian_consent_check(person=None, birth_date=birth_date, minor_consent=minor_consent)
        except ValidationError:  # the form's consent box is where she gives it: the error goes there
            errors["minor_consent"] = _(
                "For a child under 14 we can only keep the details with your consent as guardian."
            )
    if errors:
        raise ValidationError(errors)
    with _atomic_as(actor):
        me = person_ensure_for_user(user=actor)
        dependent = Person(
            name=name,
            gender=gender,
            birth_date=birth_date,
            phone=phone or "",
            household_id=me.household_id,
            created_by=actor,
        )
        dependent.full_clean(exclude=["household", "user"])
        dependent.save()
        relation = RelationKind.GUARDIAN if kind == DependentKind.CHILD else RelationKind.CARER
        Relation.objects.create(subject=me, relative=dependent, kind=relation)
        if kind == DependentKind.PARENT:
            Relation.objects.create(subject=dependent, relative=me, kind=RelationKind.CHILD)
        if minor_consent and (kind == DependentKind.CHILD or _age(birth_date, today) < GUARDIAN_CONSENT_AGE):
            _minor_consent_record(actor=actor, person=dependent)
        return dependent


# --- consents --------------------------------------------------------------------------------------


def consent_grant(*, actor, person: Person, purpose: str) -> Consent:
    """Consent to one purpose under the current privacy notice. Idempotent for the current version;
    a consent under an older notice is replaced."""
    _require_may_act_for(actor, person)
    _check_purpose(person, purpose)
    me = selectors.person_of(actor)
    return _consent_record(
        actor=actor, person=person, purpose=purpose, as_guardian=me is None or me.pk != person.pk
    )


def _check_purpose(person: Person, purpose: str) -> None:
    if purpose not in ConsentPurpose.values:
        raise ValidationError({"purpose": _("Unknown purpose.")})
    if purpose == ConsentPurpose.MINOR and not (person.birth_date and person.is_minor):
        raise ValidationError({"purpose": _("This consent is only for a child's information.")})


def _consent_record(
    *, actor, person: Person, purpose: str, as_guardian: bool, at_desk: bool = False
) -> Consent:
    """The current consent for ``purpose`` under the current notice: the one there, or a new one replacing
    a consent under an older notice. Grants for one person are serialised on her row."""
    version = settings.PRIVACY_NOTICE_VERSION
    with _atomic_as(actor):
        Person.objects.select_for_update().filter(pk=person.pk).first()  # serialise grants for her
        current = Consent.objects.active().filter(person=person, purpose=purpose).first()
        if current is not None and current.notice_version == version:
            return current
        now = timezone.now()
        if current is not None:
            current.withdrawn_at, current.withdrawn_by = now, actor
            current.save(update_fields=["withdrawn_at", "withdrawn_by"])
        return Consent.objects.create(
            person=person,
            purpose=purpose,
            notice_version=version,
            given_by=actor,
            given_as_guardian=as_guardian,
            recorded_at_desk=at_desk,
            given_at=now,
        )


def consent_withdraw(*, actor, person: Person, purpose: str) -> Consent | None:
    """Withdraw a consent (PIPL art. 15). Withdrawing health consent deletes the sensitive profile
    (art. 47); so does withdrawing the child-data consent for a child under 14."""
    if purpose not in ConsentPurpose.values:
        raise ValidationError({"purpose": _("Unknown purpose.")})
    _require_may_act_for(actor, person)
    with _atomic_as(actor):
        current = Consent.objects.select_for_update().active().filter(person=person, purpose=purpose).first()
        if current is None:
            return None
        current.withdrawn_at, current.withdrawn_by = timezone.now(), actor
        current.save(update_fields=["withdrawn_at", "withdrawn_by"])
        if purpose == ConsentPurpose.HEALTH or (
            purpose == ConsentPurpose.MINOR and person.needs_guardian_consent
        ):
            _health_erase(person)
        if purpose == ConsentPurpose.MINOR and person.needs_guardian_consent:
            _minor_erase(person)
        return current


def _health_erase(person: Person) -> None:
    """PIPL art. 47: the sensitive profile, and what every service area keeps of her health (their
    ``privacy.erase_health`` hooks, see portal.community.privacy_hooks), in the caller's transaction."""
    from .privacy_hooks import erase_health, sensitive_changed

    SensitiveProfile.objects.filter(person=person).delete()
    erase_health(person=person)
    sensitive_changed(person=person)


def _minor_erase(person: Person) -> None:
    """PIPL art. 31/47: a child under 14 whose guardian withdrew the child-data consent keeps only her
    name and age: every service area erases the rest (their ``privacy.erase_minor`` hooks)."""
    from .privacy_hooks import erase_minor

    erase_minor(person=person)


def _require_at_desk(staff, person: Person) -> None:
    """Community staff, or the grid worker of her grid: who may record a signed paper form at the desk."""
    if staff is None or not staff.is_authenticated or not staff.is_active:
        raise PermissionDenied
    if staff.is_community_staff:
        return
    if (
        staff.is_grid_worker
        and staff.grid_id
        and Person.objects.filter(pk=person.pk, household__building__grid_id=staff.grid_id).exists()
    ):
        return
    raise PermissionDenied


def consent_record_at_desk(*, staff, person: Person, purpose: str) -> Consent:
    """Staff record a consent on her behalf from the paper form she (or her guardian) signed at the desk:
    an elder without a phone or account consents like anyone else. ``recorded_at_desk`` and ``given_by``
    (the staff member) say so; the audit trail has the entry. Community staff, or her grid worker.
    Idempotent for the current notice; a consent under an older notice is replaced."""
    _require_at_desk(staff, person)
    _check_purpose(person, purpose)
    return _consent_record(actor=staff, person=person, purpose=purpose, as_guardian=False, at_desk=True)


def consent_withdraw_at_desk(*, staff, person: Person, purpose: str) -> Consent | None:
    """She asks at the desk to withdraw a consent (on paper, or in person): as :func:`consent_withdraw`,
    recorded by the staff member (community staff, or her grid worker)."""
    if purpose not in ConsentPurpose.values:
        raise ValidationError({"purpose": _("Unknown purpose.")})
    _require_at_desk(staff, person)
    with _atomic_as(staff):
        current = Consent.objects.select_for_update().active().filter(person=person, purpose=purpose).first()
        if current is None:
            return None
        current.withdrawn_at, current.withdrawn_by = timezone.now(), staff
        current.save(update_fields=["withdrawn_at", "withdrawn_by"])
        if purpose == ConsentPurpose.HEALTH or (
            purpose == ConsentPurpose.MINOR and person.needs_guardian_consent
        ):
            _health_erase(person)
        if purpose == ConsentPurpose.MINOR and person.needs_guardian_consent:
            _minor_erase(person)
        return current


# --- emergency contacts and the sensitive profile ----------------------------------------------------


def _require_may_edit(actor, person: Person) -> None:
    if not (actor.is_active and actor.is_community_staff) and not selectors.may_act_for(
        actor=actor, person=person
    ):
        raise PermissionDenied


def emergency_contact_add(
    *, actor, person: Person, name: str, phone, relationship: str = "", priority: int = 1
) -> EmergencyContact:
    _require_may_edit(actor, person)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Please enter the name.")})
    if not phone:
        raise ValidationError({"phone": _("Please enter a phone number.")})
    with _atomic_as(actor):
        contact = EmergencyContact(
            person=person,
            name=name,
            phone=phone,
            relationship=(relationship or "").strip(),
            priority=priority or 1,
        )
        contact.full_clean()
        contact.save()
        return contact


def emergency_contact_remove(*, actor, contact: EmergencyContact) -> None:
    _require_may_edit(actor, contact.person)
    with _atomic_as(actor):
        EmergencyContact.objects.filter(pk=contact.pk).delete()


def sensitive_profile_update(*, actor, person: Person, **values) -> SensitiveProfile:
    """Record health and care details. Needs the person's (or guardian's) health consent, and for a
    child under 14 also the guardian's child-data consent."""
    _require_may_edit(actor, person)
    unknown = set(values) - set(selectors.SENSITIVE_FIELDS)
    if unknown:
        raise TypeError(f"unknown sensitive fields: {sorted(unknown)}")
    if not selectors.has_consent(person=person, purpose=ConsentPurpose.HEALTH):
        raise ValidationError(_("Health information can only be kept with consent to the health purpose."))
    if person.needs_guardian_consent and not selectors.has_consent(
        person=person, purpose=ConsentPurpose.MINOR
    ):
        raise ValidationError(_("A child's information can only be kept with the guardian's consent."))
    with _atomic_as(actor):
        profile = SensitiveProfile.objects.select_for_update().filter(person=person).first()
        profile = profile or SensitiveProfile(person=person)
        for key, value in values.items():
            # Text is trimmed; a yes/no (低保) stays a boolean.
            setattr(profile, key, value if isinstance(value, bool) else (value or "").strip())
        profile.full_clean()
        profile.save()
        from .privacy_hooks import sensitive_changed

        sensitive_changed(person=person)  # the areas recompute what follows (an elder's risk level)
        return profile
