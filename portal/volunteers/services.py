"""Writes to volunteer profiles (one transaction each, audited through django-auditlog)."""

import datetime

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.community.models import Organization, Person

from .models import VolunteerProfile


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
