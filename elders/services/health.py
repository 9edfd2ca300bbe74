"""The health station's writes: readings taken at a clinic (flagged against the thresholds, the elder's
attendance recorded), the follow-up a flagged reading creates and its closing, and staff edits of the
thresholds.

Readings are health data (PIPL arts. 28-29): recorded only under the elder's health consent. Each service is
keyword-only, runs in one ``transaction.atomic`` with the actor set for the audit log, and refuses with a
translated ``ValidationError`` (field errors keyed by the form's field names) or ``PermissionDenied``.

A follow-up: one per entry (one visit's readings), for its most severe reading, assigned to the elder's family
doctor when she has one, else her grid's leader, else a grid worker of her grid; due the next day for an
urgent reading, in a week for an abnormal one; the assignee is told once through the outbox (the message
carries no readings, only that there is something to follow up, and where).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Area, Session
from events.selectors import can_manage_activity
from events.services.checkin import attendance_record
from portal.accounts.models import Role, User
from portal.audit import set_actor
from portal.community.models import ConsentPurpose, Person
from portal.community.selectors import has_consent
from portal.notify.services import message_enqueue

from ..models import (
    NOTE_MAX,
    READING_UNITS,
    Direction,
    ElderProfile,
    FlagLevel,
    FollowUp,
    FollowUpStatus,
    GlucoseTiming,
    Measure,
    Reading,
    ReadingKind,
    Threshold,
)

#: The longest note typed with a reading (the model's).
READING_NOTE_MAX = 300
#: A clock a few minutes fast on the nurse's tablet is not "the future".
FUTURE_SKEW = datetime.timedelta(minutes=5)
#: How long a follow-up may take, by level.
FOLLOWUP_DAYS = {FlagLevel.URGENT: 1, FlagLevel.ABNORMAL: 7}
FOLLOWUP_TEMPLATE = "elders.health_followup"

_SEVERITY = {FlagLevel.NORMAL: 0, FlagLevel.ABNORMAL: 1, FlagLevel.URGENT: 2}

_GLUCOSE_MEASURE = {
    GlucoseTiming.FASTING: Measure.GLUCOSE_FASTING,
    GlucoseTiming.AFTER_MEAL: Measure.GLUCOSE_AFTER_MEAL,
    GlucoseTiming.RANDOM: Measure.GLUCOSE_RANDOM,
}


@dataclass(frozen=True)
class ReadingInput:
    """One measurement to record, as the form read it (values already checked and in range)."""

    kind: str
    value: Decimal
    value2: Decimal | None = None
    glucose_timing: str = ""


def severity(level: str) -> int:
    return _SEVERITY.get(level, 0)


def reading_measures(*, kind: str, value, value2=None, glucose_timing: str = "") -> list[tuple[str, Decimal]]:
    """The numbers of a reading that thresholds compare: (measure, value)."""
    if kind == ReadingKind.BLOOD_PRESSURE:
        out = [(Measure.SYSTOLIC, Decimal(value))]
        if value2 is not None:
            out.append((Measure.DIASTOLIC, Decimal(value2)))
        return out
    if kind == ReadingKind.GLUCOSE:
        measure = _GLUCOSE_MEASURE.get(glucose_timing)
        return [(measure, Decimal(value))] if measure else []
    if kind == ReadingKind.HEART_RATE:
        return [(Measure.HEART_RATE, Decimal(value))]
    return []  # weight: no screening cut-off


def reading_flag(
    *, kind: str, value, value2=None, glucose_timing: str = "", thresholds
) -> tuple[str, list[dict]]:
    """The level of a reading (the most severe active threshold it crosses) and its flags.

    A threshold with direction ``high`` is crossed at or above its limit, ``low`` below it. For each measure
    and direction only the most severe crossed threshold is kept (186 mmHg is "≥180, urgent", not also
    "≥140"). Each flag is a dict: ``label`` (the threshold's), ``level``, ``measure``, ``direction``,
    ``limit`` and ``value`` (strings), stored on the Reading so that a later edit of the thresholds does
    not rewrite history."""
    by_measure: dict[str, list[Threshold]] = {}
    for t in thresholds:
        if t.is_active:
            by_measure.setdefault(t.measure, []).append(t)
    flags: list[dict] = []
    level = FlagLevel.NORMAL
    for measure, number in reading_measures(
        kind=kind, value=value, value2=value2, glucose_timing=glucose_timing
    ):
        best: dict[str, Threshold] = {}
        for t in by_measure.get(measure, []):
            crossed = number >= t.limit if t.direction == Direction.HIGH else number < t.limit
            if crossed and (t.direction not in best or severity(t.level) > severity(best[t.direction].level)):
                best[t.direction] = t
        for t in best.values():
            flags.append(
                {
                    "label": t.label,
                    "level": t.level,
                    "measure": measure,
                    "direction": t.direction,
                    "limit": _plain(t.limit),
                    "value": _plain(number),
                }
            )
            if severity(t.level) > severity(level):
                level = t.level
    flags.sort(key=lambda f: -severity(f["level"]))
    return level, flags


def _plain(number) -> str:
    return format(Decimal(number).normalize(), "f")


def thresholds_active() -> list[Threshold]:
    return list(Threshold.objects.filter(is_active=True))


def may_record_at(*, actor, session: Session) -> bool:
    """Staff of the clinic: community staff, or partner staff (the health centre) who manage the activity."""
    return bool(
        session.activity.area == Area.ELDERS and can_manage_activity(user=actor, activity=session.activity)
    )


def followup_assignee(*, elder: Person) -> User | None:
    """Her family doctor (an active account) when she has one, else her grid's leader, else a grid worker of
    her grid (the first by account), else nobody (community staff see it among all follow-ups)."""
    profile = ElderProfile.objects.filter(person=elder).select_related("family_doctor").first()
    if profile and profile.family_doctor and profile.family_doctor.is_active:
        return profile.family_doctor
    household = elder.household if elder.household_id else None
    grid = household.building.grid if household is not None and household.building_id else None
    if grid is None:
        return None
    if grid.leader_id and grid.leader.is_active:
        return grid.leader
    return User.objects.filter(role=Role.GRID_WORKER, grid=grid, is_active=True).order_by("pk").first()


def readings_record(
    *,
    actor,
    elder: Person,
    readings: list[ReadingInput],
    session: Session | None = None,
    taken_at: datetime.datetime | None = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> list[Reading]:
    """Record one visit's readings for ``elder`` (all or none), flagged against the active thresholds.

    At a clinic ``session`` the elder's attendance is recorded once (``events`` check-in; a walk-in gets a
    registration made on her behalf). A flagged entry creates one follow-up, for its most severe reading,
    and tells the assignee. Refused: no reading, no health consent, a time in the future, a note too long,
    a session the actor does not run, a value the form should have refused (the database checks too)."""
    now = now or timezone.now()
    taken_at = taken_at or now
    note = (note or "").strip()
    if session is not None and not may_record_at(actor=actor, session=session):
        raise PermissionDenied(_("Only the staff of this clinic can record readings here."))
    if session is None and not (actor and actor.is_authenticated and actor.is_community_staff):
        raise PermissionDenied(_("Only the staff of this clinic can record readings here."))
    if session is not None and session.cancelled:
        raise ValidationError(_("This session has been cancelled."), code="session_cancelled")
    errors: dict[str, list[str]] = {}
    if not readings:
        errors.setdefault("__all__", []).append(_("Enter at least one reading."))
    if taken_at > now + FUTURE_SKEW:
        errors.setdefault("taken_at", []).append(_("A reading cannot be taken in the future."))
    if len(note) > READING_NOTE_MAX:
        errors.setdefault("note", []).append(
            _("The note can be at most %(n)d characters long.") % {"n": READING_NOTE_MAX}
        )
    if errors:
        raise ValidationError(errors, code="invalid")
    if not has_consent(person=elder, purpose=ConsentPurpose.HEALTH):
        raise ValidationError(
            _("%(name)s has not given her health-data consent: no reading can be recorded.")
            % {"name": elder.name},
            code="no_consent",
        )
    thresholds = thresholds_active()
    rows = []
    for item in readings:
        level, flags = reading_flag(
            kind=item.kind,
            value=item.value,
            value2=item.value2,
            glucose_timing=item.glucose_timing,
            thresholds=thresholds,
        )
        rows.append(
            Reading(
                elder=elder,
                kind=item.kind,
                value=item.value,
                value2=item.value2 if item.kind == ReadingKind.BLOOD_PRESSURE else None,
                unit=READING_UNITS[item.kind],
                glucose_timing=item.glucose_timing if item.kind == ReadingKind.GLUCOSE else "",
                taken_at=taken_at,
                session=session,
                level=level,
                flags=flags,
                note=note,
                recorded_by=actor,
            )
        )
    with transaction.atomic(), set_actor(actor):
        try:
            with transaction.atomic():
                for row in rows:
                    row.save()
        except IntegrityError:
            raise ValidationError(
                _("These readings are not possible; check the values and try again."), code="db_check"
            ) from None
        if session is not None:
            attendance_record(actor=actor, session=session, person=elder, now=now)
        worst = max(rows, key=lambda r: severity(r.level))
        if worst.level != FlagLevel.NORMAL:
            _followup_create(reading=worst, elder=elder, session=session, today=timezone.localdate(now))
    return rows


def _followup_create(*, reading: Reading, elder: Person, session: Session | None, today) -> FollowUp:
    assignee = followup_assignee(elder=elder)
    followup = FollowUp.objects.create(
        elder=elder,
        reading=reading,
        level=reading.level,
        assigned_to=assignee,
        due_on=today + datetime.timedelta(days=FOLLOWUP_DAYS[reading.level]),
    )
    if assignee is not None:
        clinic = session.activity.title if session is not None else _("the community health station")
        message_enqueue(
            key=f"elders.health_followup:{followup.pk}",
            template=FOLLOWUP_TEMPLATE,
            user=assignee,
            context={
                "elder": elder.name,
                "level": FlagLevel(reading.level).label,
                "clinic": clinic,
                "due": followup.due_on.isoformat(),
            },
        )
    return followup


def may_close_followup(*, actor, followup: FollowUp) -> bool:
    """Its assignee, community staff, or a grid worker of the elder's grid."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    if actor.is_community_staff or followup.assigned_to_id == actor.pk:
        return True
    return bool(
        actor.is_grid_worker
        and actor.grid_id
        and Person.objects.filter(pk=followup.elder_id, household__building__grid_id=actor.grid_id).exists()
    )


def followup_close(
    *, actor, followup: FollowUp, outcome: str, now: datetime.datetime | None = None
) -> FollowUp:
    """Close a follow-up with what was done (required). Refused when it is already closed."""
    if not may_close_followup(actor=actor, followup=followup):
        raise PermissionDenied
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError(
            {"outcome": _("Say what was done, e.g. “phoned her daughter; BP rechecked at home 135/85”.")},
            code="no_outcome",
        )
    if len(outcome) > NOTE_MAX:
        raise ValidationError(
            {"outcome": _("The outcome can be at most %(n)d characters long.") % {"n": NOTE_MAX}},
            code="outcome_too_long",
        )
    now = now or timezone.now()
    with transaction.atomic(), set_actor(actor):
        locked = FollowUp.objects.select_for_update().get(pk=followup.pk)
        if locked.status != FollowUpStatus.OPEN:
            raise ValidationError(_("This follow-up is already closed."), code="already_closed")
        locked.status = FollowUpStatus.CLOSED
        locked.outcome = outcome
        locked.closed_by = actor
        locked.closed_at = now
        locked.save(update_fields=["status", "outcome", "closed_by", "closed_at"])
    return locked


#: The largest limit a threshold may have (the model keeps 6 digits, one after the point).
THRESHOLD_LIMIT_MAX = Decimal("999.9")


def threshold_update(
    *,
    actor,
    threshold: Threshold,
    limit: Decimal,
    level: str,
    label: str,
    source: str,
    is_active: bool,
) -> Threshold:
    """Community staff change a threshold (who and when kept on the row, the change in the audit log).
    Refused: a limit that is not positive, a level that flags nothing, an empty label or source, a second
    active threshold for the same measure, direction and level."""
    if actor is None or not actor.is_authenticated or not actor.is_community_staff:
        raise PermissionDenied
    label, source = (label or "").strip(), (source or "").strip()
    errors: dict[str, list[str]] = {}
    if limit is None or not (Decimal(0) < limit <= THRESHOLD_LIMIT_MAX):
        errors["limit"] = [_("Enter a limit above 0 and at most %(max)s.") % {"max": THRESHOLD_LIMIT_MAX}]
    if level not in (FlagLevel.ABNORMAL, FlagLevel.URGENT):
        errors["level"] = [_("Choose abnormal or urgent.")]
    if not label:
        errors["label"] = [_("Give the label shown with a flagged reading.")]
    if not source:
        errors["source"] = [_("Say where the cut-off comes from (the guideline, or the station's own rule).")]
    if errors:
        raise ValidationError(errors, code="invalid")
    with transaction.atomic(), set_actor(actor):
        locked = Threshold.objects.select_for_update().get(pk=threshold.pk)
        locked.limit, locked.level, locked.label, locked.source = limit, level, label, source
        locked.is_active = is_active
        locked.updated_by = actor
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise ValidationError(
                {
                    "level": _(
                        "Another active threshold already flags this measure at this level in this "
                        "direction: turn that one off first."
                    )
                },
                code="duplicate",
            ) from None
    return locked
