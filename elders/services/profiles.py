"""Writes of the elder profile: staff (and her grid worker) record what the community knows of her, at the
desk and on her behalf (``ElderProfile.updated_by``: she has no account or phone, and staff entered it),
and community staff set her risk level by hand with a written reason.

Each function is keyword-only, runs in one transaction with the actor recorded in the audit trail
(django-auditlog), raises a translated ``ValidationError`` keyed by form field, ``PermissionDenied`` when
the actor may not. Whatever changes her risk level is followed by her contact plan
(``elders.services.outreach.contact_plans_sync``) in the same transaction.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from elders.models import NOTE_MAX, BirthdayCalendar, ElderProfile, HelperKind, LivingSituation, RiskLevel
from portal.accounts.models import Role
from portal.audit import set_actor
from portal.community.models import Person

from .risk import default_living_situation, elder_risk_refresh

#: The fields staff edit on the profile page (risk fields go through elder_risk_override).
PROFILE_FIELDS = (
    "living_situation",
    "childless_widowed",
    "helper",
    "helper_kind",
    "family_doctor",
    "needs",
    "birthday_greetings",
    "birthday_calendar",
)
#: The inputs of the risk level kept on the profile.
RISK_INPUTS = ("living_situation", "childless_widowed")
OVERRIDE_REASON_MAX = 300


def may_edit_profile(*, actor, person: Person) -> bool:
    """Community staff, or the grid worker of her grid."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    if actor.is_community_staff:
        return True
    return bool(
        actor.is_grid_worker
        and actor.grid_id
        and person.household_id
        and Person.objects.filter(pk=person.pk, household__building__grid_id=actor.grid_id).exists()
    )


def may_override_risk(*, actor) -> bool:
    """Only community staff set a risk level by hand."""
    return bool(actor is not None and actor.is_authenticated and actor.is_community_staff)


def elder_profile_ensure(*, person: Person) -> ElderProfile:
    """Her profile, created the first time staff edit it: living situation from the registry, the risk
    level computed at once, and her contact plan made to follow it."""
    profile = ElderProfile.objects.filter(person=person).first()
    if profile is not None:
        return profile
    with transaction.atomic():
        _follow_risk([person.pk])  # creates it for an elder (60 or over), with her level
        if not ElderProfile.objects.filter(person=person).exists():
            # Under 60 (or no birth date): staff put her on the roster all the same.
            try:
                with transaction.atomic():
                    ElderProfile.objects.create(
                        person=person, living_situation=default_living_situation(person)
                    )
            except IntegrityError:  # created concurrently
                pass
            _follow_risk([person.pk], plans_too=True)
    return ElderProfile.objects.get(person=person)


def helper_kind_for(user) -> str:
    """The kind of helper a user is by default: a grid worker as such, anyone else as a volunteer (a
    party member is chosen by hand)."""
    if user is not None and user.role == Role.GRID_WORKER:
        return HelperKind.GRID_WORKER
    return HelperKind.VOLUNTEER


def _clean_values(person: Person, values: dict) -> dict:
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    out = dict(values)
    if "living_situation" in out and out["living_situation"] not in LivingSituation.values:
        errors["living_situation"] = _("Please choose how she lives from the list.")
    if "birthday_calendar" in out and out["birthday_calendar"] not in BirthdayCalendar.values:
        errors["birthday_calendar"] = _("Please choose the solar or the lunar birthday.")
    if "needs" in out:
        out["needs"] = (out["needs"] or "").strip()
        if len(out["needs"]) > NOTE_MAX:
            errors["needs"] = _("Please keep the needs to %(max)d characters (this has %(n)d).") % {
                "max": NOTE_MAX,
                "n": len(out["needs"]),
            }
    helper = out.get("helper")
    if helper is not None:
        if not helper.is_active:
            errors["helper"] = _("This account is not active. Please choose an active helper.")
        elif person.user_id and helper.pk == person.user_id:
            errors["helper"] = _("She cannot be her own helper.")
    if "helper" in out:
        kind = out.get("helper_kind") or ""
        if helper is None:
            out["helper_kind"] = ""
        elif kind and kind not in HelperKind.values:
            errors["helper_kind"] = _("Please choose what kind of helper this is.")
        elif not kind:
            out["helper_kind"] = helper_kind_for(helper)
    doctor = out.get("family_doctor")
    if doctor is not None and not doctor.is_active:
        errors["family_doctor"] = _("This account is not active. Please choose an active family doctor.")
    if errors:
        raise ValidationError(errors)
    return out


def _follow_risk(person_ids: list[int], *, plans_too: bool = False) -> list[int]:
    """Recompute the level; the contact plans of those whose level changed (or all given) follow."""
    from .outreach import contact_plans_sync

    changed = elder_risk_refresh(person_ids=person_ids)
    sync = sorted(set(changed) | (set(person_ids) if plans_too else set()))
    if sync:
        contact_plans_sync(person_ids=sync)
    return changed


def elder_profile_update(*, actor, person: Person, **values) -> ElderProfile:
    """Record her living situation, 孤寡, helper (结对帮扶), family doctor, needs and birthday wishes, entered
    by staff on her behalf (``updated_by``). Community staff, or the grid worker of her grid."""
    if not may_edit_profile(actor=actor, person=person):
        raise PermissionDenied
    values = _clean_values(person, values)
    with transaction.atomic(), set_actor(actor):
        elder_profile_ensure(person=person)
        profile = ElderProfile.objects.select_for_update().get(person=person)
        before = {name: getattr(profile, name) for name in (*RISK_INPUTS, "helper_id")}
        for name, value in values.items():
            setattr(profile, name, value)
        profile.updated_by = actor
        profile.full_clean(exclude=["person"])
        profile.save()
        alone = profile.living_situation == LivingSituation.ALONE
        if person.lives_alone != alone:  # the registry's flag follows (the workbench shows it)
            person.lives_alone = alone
            person.save(update_fields=["lives_alone", "updated_at"])
        inputs_changed = any(getattr(profile, n) != before[n] for n in RISK_INPUTS)
        helper_changed = profile.helper_id != before["helper_id"]
        if inputs_changed or helper_changed:
            _follow_risk([person.pk], plans_too=helper_changed)
        profile.refresh_from_db()
        return profile


def elder_risk_override(*, actor, person: Person, level: str, reason: str) -> ElderProfile:
    """Community staff set her risk level by hand (``level`` one of RiskLevel) or clear it (``level`` ""),
    always with a written reason, kept with who and when; the derived level stays beside it."""
    if not may_override_risk(actor=actor):
        raise PermissionDenied
    reason = " ".join((reason or "").split())
    errors: dict[str, str] = {}
    if level not in ("", *RiskLevel.values):
        errors["level"] = _("Please choose a risk level from the list.")
    if not reason:
        errors["reason"] = _("Please give the reason for setting the risk level by hand.")
    elif len(reason) > OVERRIDE_REASON_MAX:
        errors["reason"] = _("Please keep the reason to %(max)d characters.") % {"max": OVERRIDE_REASON_MAX}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(actor):
        elder_profile_ensure(person=person)
        profile = ElderProfile.objects.select_for_update().get(person=person)
        if level == "" and not profile.risk_override:
            raise ValidationError(
                {"level": _("The risk level is not set by hand: there is nothing to clear.")}
            )
        before = profile.effective_risk
        profile.risk_override = level
        profile.risk_override_reason = reason
        profile.risk_override_by = actor
        profile.risk_override_at = timezone.now()
        profile.updated_by = actor
        profile.full_clean(exclude=["person"])
        profile.save()
        if profile.effective_risk != before:
            from .outreach import contact_plans_sync

            contact_plans_sync(person_ids=[person.pk])
        return profile
