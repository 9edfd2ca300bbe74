"""Writes to volunteer profiles (one transaction each, audited through django-auditlog)."""

import datetime
from decimal import Decimal

from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import set_actor
from portal.community.models import Organization, Person

from .models import HoursEntry, HoursStatus, VolunteerProfile


def _require_staff(actor) -> None:
    if not (actor.is_active and (actor.is_community_staff or actor.is_staff)):
        raise PermissionDenied


def volunteer_enrol(
    *,
    actor,
    person: Person,
    organization: Organization | None = None,
    team: str = "",
    skills: str = "",
    since: datetime.date | None = None,
) -> VolunteerProfile:
    """Make a person a volunteer (or re-activate her profile). Community staff only."""
    _require_staff(actor)
    since = since or timezone.localdate()
    if since > timezone.localdate():
        raise ValidationError({"since": _("The start date cannot be in the future.")})
    with transaction.atomic(), set_actor(actor):
        profile, _created = VolunteerProfile.objects.select_for_update().get_or_create(
            person=person,
            defaults={"organization": organization, "team": team, "skills": skills, "since": since},
        )
        if not _created:
            profile.organization, profile.team, profile.skills, profile.is_active = (
                organization,
                team,
                skills,
                True,
            )
            profile.save()
        return profile


def volunteer_deactivate(*, actor, profile: VolunteerProfile) -> VolunteerProfile:
    _require_staff(actor)
    with transaction.atomic(), set_actor(actor):
        VolunteerProfile.objects.filter(pk=profile.pk).update(is_active=False, updated_at=timezone.now())
        profile.refresh_from_db()
        return profile


# --- the hours ledger (志愿服务时长台账) ---------------------------------------------------------------

#: Tests only: False drops the "still pending" condition of the decision update, so that the concurrency
#: control run can show two staff deciding the same entry twice. Nothing else may turn it off.
CLAIMING = True


def hours_credit(
    *,
    volunteer: VolunteerProfile,
    date: datetime.date,
    hours: Decimal,
    description: str,
    source_key: str = "",
    flagged: bool = False,
    flag_reason: str = "",
) -> HoursEntry:
    """Credit hours to a volunteer's ledger, pending until staff approve them.

    Idempotent on ``source_key`` (``"events.shiftsignup:42"``): a second call for the same source returns
    the entry already made and changes nothing (a unique constraint backs this under concurrency)."""
    hours = Decimal(hours).quantize(Decimal("0.01"))
    if not (Decimal("0") < hours <= Decimal("24")):
        raise ValidationError({"hours": _("Hours must be more than 0 and at most 24.")}, code="hours_range")
    with transaction.atomic():
        if source_key:
            existing = HoursEntry.objects.filter(source_key=source_key).first()
            if existing is not None:
                return existing
        try:
            with transaction.atomic():
                return HoursEntry.objects.create(
                    volunteer=volunteer,
                    date=date,
                    hours=hours,
                    description=description[:200],
                    source_key=source_key,
                    flagged=flagged,
                    flag_reason=flag_reason[:200],
                )
        except IntegrityError:
            existing = HoursEntry.objects.filter(source_key=source_key).first() if source_key else None
            if existing is None:  # pragma: no cover - another constraint; let it surface
                raise
            return existing


def _decide(*, actor, entry: HoursEntry, status: str, note: str = "") -> HoursEntry:
    _require_staff(actor)
    now = timezone.now()
    with transaction.atomic(), set_actor(actor):
        qs = HoursEntry.objects.filter(pk=entry.pk)
        if CLAIMING:
            qs = qs.filter(status=HoursStatus.PENDING)
        claimed = qs.update(status=status, decided_by=actor, decided_at=now, decision_note=note[:200])
        fresh = HoursEntry.objects.select_related("volunteer__person").get(pk=entry.pk)
        if not claimed:
            raise ValidationError(
                _("These hours have already been decided (%(status)s).")
                % {"status": fresh.get_status_display()},
                code="already_decided",
            )
        LogEntry.objects.log_create(
            fresh,
            action=LogEntry.Action.UPDATE,
            changes={"status": [HoursStatus.PENDING, status], "decision_note": ["", note[:200]]},
            actor=actor,
        )
        return fresh


def hours_approve(*, actor, entry: HoursEntry) -> HoursEntry:
    """Approve pending hours (community staff). A conditional update claims the entry, so two staff
    clicking at once decide it once; the second gets a translated refusal."""
    return _decide(actor=actor, entry=entry, status=HoursStatus.APPROVED)


def hours_reject(*, actor, entry: HoursEntry, note: str) -> HoursEntry:
    """Reject pending hours with a reason the volunteer will see (community staff)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say why these hours are rejected.")}, code="note_required")
    return _decide(actor=actor, entry=entry, status=HoursStatus.REJECTED, note=note)


def hours_approve_many(*, actor, entries) -> int:
    """Bulk approval: approve every still-pending entry among ``entries``; returns how many."""
    _require_staff(actor)
    done = 0
    with transaction.atomic():
        for entry in entries:
            try:
                hours_approve(actor=actor, entry=entry)
            except ValidationError:
                continue
            done += 1
    return done


def hours_record(
    *,
    actor,
    volunteer: VolunteerProfile,
    date: datetime.date,
    hours: Decimal,
    description: str,
    approve: bool = False,
) -> HoursEntry:
    """Staff type in hours served outside the shift system (a paper sign-in sheet). Pending unless
    ``approve`` (the staff member recording them vouches for them)."""
    _require_staff(actor)
    if date > timezone.localdate():
        raise ValidationError({"date": _("Hours cannot be recorded for a future date.")}, code="future_date")
    if not (description or "").strip():
        raise ValidationError({"description": _("Describe the service.")}, code="description_required")
    with transaction.atomic(), set_actor(actor):
        entry = hours_credit(volunteer=volunteer, date=date, hours=hours, description=description.strip())
        if approve:
            entry = hours_approve(actor=actor, entry=entry)
        return entry
