"""Holiday classes and parenting lectures (家庭教育讲座): events activities with the youth area's facts.

A class or a lecture is an ``events`` activity of the youth area booked as one course (a class's meetings,
or a lecture's one session), created by ``events.services.activity_create`` and the engine's session
service, with its ``YouthActivity`` row, all in one transaction. Who may be booked is the activity's
audience (``youth.models.Audience``), checked on every booking, whichever page books: the rule below is
registered with the engine (``events.services.eligibility.booking_rule_register``), which calls it for
every booking it makes; ``youth_class_book`` is the area's own entry to the same booking.

* children: children only, in the age range (the engine's age rule);
* siblings: brothers and sisters of one household booked together; places are counted in families;
* parent and child: at least one child in the age range with a guardian of hers; places are counted in
  families and the guardian is not held to the age range (``Activity.adults_accompany``);
* guardians (lectures): adults only (the engine's age rule, from 18).

A child under 14 is booked only once her guardian's consent to keeping her information is on record.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Activity, Area, Booking, CapacityUnit, RegistrationScope
from events.services import booking_create
from events.services.activities import activity_create, may_create_activity
from events.services.eligibility import booking_rule_register
from events.services.sessions import sessions_create_course
from portal.audit import set_actor
from portal.community.models import ACTING_RELATIONS, Organization, OrganizationKind, Person, Relation

from ..models import Audience, ProgrammeKind, Subject, YouthActivity
from ..selectors.access import ADULT_AGE, child_consent_ok

#: The organisations a class may be run with: schools and volunteer groups.
PARTNER_KINDS = (OrganizationKind.SCHOOL, OrganizationKind.VOLUNTEER_GROUP)
#: The audiences of each kind.
AUDIENCES = {
    ProgrammeKind.CLASS: (Audience.CHILDREN, Audience.SIBLINGS, Audience.PARENT_CHILD),
    ProgrammeKind.LECTURE: (Audience.GUARDIANS,),
}
#: Places counted in families for the audiences booked as families.
FAMILY_AUDIENCES = (Audience.SIBLINGS, Audience.PARENT_CHILD)
#: The most meetings of a holiday class created at once (a summer of weekdays).
MEETINGS_MAX = 60
SPEAKER_MAX = 100


# --- creating ----------------------------------------------------------------------------------


def _check_youth_facts(
    *, actor, kind: str, audience: str, subject: str, speaker: str, partner, data: Mapping[str, Any]
) -> None:
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if kind not in ProgrammeKind.values:
        refuse("kind", _("Choose a holiday class or a parenting lecture."))
    elif audience not in AUDIENCES[ProgrammeKind(kind)]:
        if kind == ProgrammeKind.LECTURE:
            refuse("audience", _("A parenting lecture is for parents and guardians."))
        else:
            refuse(
                "audience",
                _("Choose who the class is for: children, brothers and sisters, or a parent and child."),
            )
    if subject and subject not in Subject.values:
        refuse("subject", _("Choose a subject from the list."))
    if len(speaker) > SPEAKER_MAX:
        refuse("speaker", _("The speaker's name can be at most %(n)d characters long.") % {"n": SPEAKER_MAX})
    if partner is not None:
        if partner.kind not in PARTNER_KINDS or not partner.is_active:
            refuse("partner", _("Choose a school or a volunteer group the community works with."))
        elif (
            not actor.is_community_staff
            and actor.is_partner_staff
            and actor.organization_id
            and partner.pk != actor.organization_id
        ):
            refuse("partner", _("You can only run classes with %(org)s.") % {"org": actor.organization})
    if kind == ProgrammeKind.CLASS:
        max_age = data.get("max_age")
        if max_age is None:
            refuse("max_age", _("Give the oldest age of the children the class is for."))
        elif max_age >= ADULT_AGE:
            refuse(
                "max_age",
                _("A holiday class is for children: the oldest age is at most %(max)d.")
                % {"max": ADULT_AGE - 1},
            )
    if errors:
        raise ValidationError(errors)


def _activity_values(*, kind: str, audience: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The events activity's values: the youth area's, one registration for the course, families for the
    audiences booked as families, adults only for a lecture."""
    values = dict(data)
    values["area"] = Area.YOUTH
    values["registration_scope"] = RegistrationScope.COURSE
    values["capacity_unit"] = CapacityUnit.FAMILY if audience in FAMILY_AUDIENCES else CapacityUnit.PERSON
    if kind == ProgrammeKind.LECTURE:
        values["min_age"], values["max_age"] = ADULT_AGE, None
    return values


def youth_activity_create(
    *,
    actor,
    kind: str,
    audience: str,
    data: Mapping[str, Any],
    first: datetime.date | None,
    start_time: datetime.time | None,
    end_time: datetime.time | None,
    weekdays: Iterable[int] = (),
    count: int = 1,
    subject: str = "",
    speaker: str = "",
    partner: Organization | None = None,
    now: datetime.datetime | None = None,
) -> YouthActivity:
    """Create a holiday class (a course of ``count`` meetings from ``first`` on ``weekdays``, public
    holidays skipped) or a parenting lecture (one session on ``first``) with its ``YouthActivity``.

    ``data`` holds the events activity's values (title, place, ages, capacity, booking window, status,
    organiser...; the names of ``Activity``'s fields), checked by ``activity_create``; the area, the
    course booking and the unit of places follow from the kind and the audience. Raises
    ``PermissionDenied`` for someone who may not create activities and a translated ``ValidationError``
    keyed by field for every rule broken; nothing is saved then."""
    if not may_create_activity(actor):
        raise PermissionDenied
    now = now or timezone.now()
    speaker = " ".join((speaker or "").split())
    _check_youth_facts(
        actor=actor,
        kind=kind,
        audience=audience,
        subject=subject,
        speaker=speaker,
        partner=partner,
        data=data,
    )
    if first is None or start_time is None or end_time is None:
        errors = {}
        if first is None:
            errors["first"] = [_("Give the date of the first meeting.")]
        if start_time is None:
            errors["start_time"] = [_("Give the time it starts.")]
        if end_time is None:
            errors["end_time"] = [_("Give the time it ends.")]
        raise ValidationError(errors)
    if kind == ProgrammeKind.LECTURE:
        weekdays, count = [first.weekday()], 1
    weekdays = list(weekdays)
    if not 1 <= count <= MEETINGS_MAX:
        raise ValidationError(
            {"count": _("A class has between 1 and %(max)d meetings.") % {"max": MEETINGS_MAX}},
            code="bad_count",
        )
    if partner is None and actor.is_partner_staff and actor.organization_id and not actor.is_community_staff:
        own = actor.organization
        partner = own if own.kind in PARTNER_KINDS else None
    values = _activity_values(kind=kind, audience=audience, data=data)
    with transaction.atomic(), set_actor(actor):
        activity = activity_create(actor=actor, data=values, now=now)
        if audience == Audience.PARENT_CHILD:
            # Not one of the activity form's fields: set here, in the same transaction.
            Activity.objects.filter(pk=activity.pk).update(adults_accompany=True)
            activity.adults_accompany = True
        try:
            sessions_create_course(
                actor=actor,
                activity=activity,
                first=first,
                weekdays=weekdays or [first.weekday()],
                count=count,
                start_time=start_time,
                end_time=end_time,
                capacity=activity.capacity or 0,
                now=now,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                fields = {"ends_at": "end_time", "end_time": "end_time", "dates": "first"}
                raise ValidationError({fields.get(k, k): v for k, v in exc.error_dict.items()}) from exc
            raise
        return YouthActivity.objects.create(
            activity=activity, kind=kind, audience=audience, subject=subject, speaker=speaker, partner=partner
        )


# --- who may be booked together ----------------------------------------------------------------


def _is_child(person: Person, day: datetime.date) -> bool:
    return person.birth_date is not None and person.age_on(day) < ADULT_AGE


def _names(persons: Sequence[Person]) -> str:
    return "、".join(p.name for p in persons)


def youth_booking_refusals(*, activity: Activity, persons: Sequence[Person], now=None) -> list[str]:
    """Why ``persons`` may not be booked together into a class or lecture (empty: they may). Registered
    with the engine, which calls it for every booking; costs nothing outside the youth area."""
    if activity.area != Area.YOUTH:
        return []
    youth = YouthActivity.objects.filter(activity_id=activity.pk).only("audience").first()
    if youth is None:
        return []  # a day-care week: its own rules
    day = timezone.localdate(now) if now else timezone.localdate()
    children = [p for p in persons if _is_child(p, day)]
    adults = [p for p in persons if not _is_child(p, day)]
    reasons: list[str] = []
    for child in children:
        if not child_consent_ok(child):
            reasons.append(
                _(
                    "%(name)s is under 14: she can be booked once a guardian has given consent to keeping a "
                    "child's information (under My family)."
                )
                % {"name": child.name}
            )
    audience = youth.audience
    if audience in (Audience.CHILDREN, Audience.SIBLINGS) and adults:
        reasons.append(
            _("This class is for children only: %(names)s cannot be booked.") % {"names": _names(adults)}
        )
    if audience == Audience.SIBLINGS and children:
        households = {c.household_id for c in children}
        if len(children) < 2:
            reasons.append(
                _(
                    "This class is for brothers and sisters together: book at least two children of one family."
                )
            )
        elif len(households) != 1 or None in households:
            reasons.append(
                _("This class is for brothers and sisters of one family: %(names)s are not of one household.")
                % {"names": _names(children)}
            )
    if audience == Audience.PARENT_CHILD:
        if not children:
            reasons.append(_("This class is for a parent and child together: book at least one child."))
        elif not adults:
            reasons.append(
                _("This class is for a parent and child together: book a guardian with %(names)s.")
                % {"names": _names(children)}
            )
        else:
            acting = set(
                Relation.objects.filter(
                    subject_id__in=[a.pk for a in adults],
                    relative_id__in=[c.pk for c in children],
                    kind__in=ACTING_RELATIONS,
                ).values_list("subject_id", flat=True)
            )
            strangers = [a for a in adults if a.pk not in acting]
            if strangers:
                reasons.append(
                    _(
                        "%(names)s is not a guardian of the children booked: a parent comes with her own child."
                    )
                    % {"names": _names(strangers)}
                )
    return reasons


booking_rule_register(youth_booking_refusals)


def youth_class_book(
    *, actor, activity: Activity, persons: Sequence[Person], now: datetime.datetime | None = None
) -> Booking:
    """Book ``persons`` (herself and the children she acts for) into a class or lecture: the audience is
    checked first, then the engine books (and checks everything again under its lock, this rule too).
    Raises a translated ``ValidationError`` with every reason; nothing is booked then."""
    if not YouthActivity.objects.filter(activity_id=activity.pk).exists():
        raise ValidationError(_("This is not a holiday class or a parenting lecture."), code="not_youth")
    now = now or timezone.now()
    reasons = youth_booking_refusals(activity=activity, persons=persons, now=now)
    if reasons:
        raise ValidationError(reasons, code="not_eligible")
    return booking_create(actor=actor, activity=activity, persons=list(persons), now=now)


# --- attendance --------------------------------------------------------------------------------


def attendance_tick(*, actor, session, registration=None, person=None, now=None):
    """Tick one person present at a session of a class: her registration (the engine's
    ``checkin_record``, refused a second time with the time of the first) or, for someone who came
    without booking, ``attendance_record`` (a walk-in booked on her behalf). One ``CheckIn`` per
    registration per session (the engine's constraint)."""
    from events.models import CheckInMethod
    from events.services.checkin import attendance_record, checkin_record

    if registration is not None:
        return checkin_record(
            actor=actor,
            session=session,
            method=CheckInMethod.STAFF_SEARCH,
            registration=registration,
            now=now,
        )
    if person is None:
        raise ValidationError(_("Choose who is here."), code="nothing_chosen")
    return attendance_record(actor=actor, session=session, person=person, now=now)
