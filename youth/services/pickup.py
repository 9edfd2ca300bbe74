"""Safe pickup: sign-in at drop-off, sign-out at pickup to an authorised person only, refusals, children
not collected.

Sign-in is the engine's check-in (``events.services.checkin_record``) of the child's registration for the
day-care week; sign-out is the engine's check-out (``events.services.checkout_record``) plus this area's
``PickupAttempt`` record, written in one transaction. Only a guardian of the child or a pickup person valid
that day (``youth.selectors.collectors.collectors_for``) may collect her. Anyone else is refused: the
refused attempt is recorded and committed (the record must survive the refusal), and each guardian is told
at once by SMS and in-site message, past quiet hours (``safety=True``). A second sign-out or a sign-out
without the day's sign-in is refused with the engine's reason and records nothing (the child is not there
to be collected: there is nothing to tell the guardians that the day roster does not already show).
"""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import ACTIVE_STATUSES, CheckIn, CheckInMethod, CheckOut, Registration, Session
from events.selectors import can_manage_activity
from events.services import checkin_record, checkout_record
from portal.audit import set_actor
from portal.community.models import Person
from portal.notify.services import message_enqueue

from ..models import DaycareProgramme, PickupAttempt, PickupOutcome, PickupPerson
from ..selectors.access import guardians_by_child, guardians_of
from ..selectors.collectors import Collector, collectors_for

logger = logging.getLogger(__name__)

NAME_MAX = PickupAttempt._meta.get_field("name").max_length
RELATION_MAX = PickupAttempt._meta.get_field("relation").max_length

TEMPLATE_REFUSED = "youth.pickup_refused"
TEMPLATE_NOT_COLLECTED = "youth.not_collected"
TEMPLATE_NOT_COLLECTED_STAFF = "youth.not_collected_staff"

#: How far back the overdue scan looks (a scan that was down for a weekend still tells).
OVERDUE_LOOKBACK = datetime.timedelta(days=3)


class PickupRefused(ValidationError):
    """The person at the door may not collect the child. Raised after the refused attempt (``attempt``)
    and the guardians' messages have been committed."""

    def __init__(self, message, *, attempt: PickupAttempt):
        super().__init__({"collector": message}, code="pickup_refused")
        self.attempt = attempt
        self.reason = message


def registration_for(*, session: Session, child: Person) -> Registration:
    """The child's registration covering ``session`` (the day-care week's, or the session's own), or a
    translated refusal: not booked for this week."""
    reg = (
        Registration.objects.filter(
            person_id=child.pk, activity_id=session.activity_id, status__in=ACTIVE_STATUSES
        )
        .filter(Q(session__isnull=True) | Q(session_id=session.pk))
        .select_related("person")
        .order_by("status", "pk")
        .first()
    )
    if reg is None:
        raise ValidationError(
            _("%(name)s is not booked for this week.") % {"name": child.name}, code="not_booked"
        )
    return reg


def child_sign_in(*, staff, session: Session, child: Person, now=None) -> CheckIn:
    """Sign the child in at drop-off (the engine's check-in of her week's registration). Refuses: not
    booked or not confirmed for this week, already signed in, a cancelled session, staff not running it."""
    reg = registration_for(session=session, child=child)
    try:
        return checkin_record(
            actor=staff, session=session, registration=reg, method=CheckInMethod.STAFF_SEARCH, now=now
        )
    except ValidationError as exc:
        if getattr(exc, "code", None) == "already_checked_in":
            existing = CheckIn.objects.filter(registration=reg, session=session).first()
            raise ValidationError(
                _("%(name)s was already signed in at %(time)s.")
                % {"name": child.name, "time": _hhmm(existing.checked_in_at) if existing else "—"},
                code="already_signed_in",
            ) from None
        raise


def _hhmm(dt) -> str:
    return timezone.localtime(dt).strftime("%H:%M")


def _parse_collector(value) -> tuple[str, int] | None:
    """``"guardian:<id>"`` / ``"pickup:<id>"`` → (kind, id); anything else → None."""
    if not value or not isinstance(value, str) or ":" not in value:
        return None
    kind, _sep, pk = value.partition(":")
    if kind not in ("guardian", "pickup") or not pk.isdigit() or len(pk) > 12:
        return None
    return kind, int(pk)


def _own_pickup_person(*, child: Person, parsed) -> PickupPerson | None:
    """The child's own pickup person named by ``parsed`` (revoked or for another day), else None: an id
    of another child's list reveals nothing about her."""
    if parsed is None or parsed[0] != "pickup":
        return None
    return PickupPerson.objects.filter(pk=parsed[1], child_id=child.pk).first()


def _why_not(*, child: Person, own: PickupPerson | None, day: datetime.date) -> str:
    """The reason a chosen or typed person may not collect the child, for the record and the staff."""
    if own is not None and own.revoked_at is not None:
        return _("The authorisation of %(name)s to collect %(child)s was revoked.") % {
            "name": own.name,
            "child": child.name,
        }
    if own is not None and own.only_on is not None and own.only_on != day:
        return _("%(name)s was authorised to collect %(child)s on %(day)s only, not today.") % {
            "name": own.name,
            "child": child.name,
            "day": own.only_on.strftime("%Y-%m-%d"),
        }
    return _("This person is not on the list of people authorised to collect %(child)s.") % {
        "child": child.name
    }


def _who(*, parsed, collectors: list[Collector]) -> Collector | None:
    if parsed is None:
        return None
    kind, pk = parsed
    return next((c for c in collectors if c.kind == kind and c.pk == pk), None)


def _programme(session: Session) -> DaycareProgramme | None:
    return DaycareProgramme.objects.filter(weeks__activity_id=session.activity_id).first()


def child_sign_out(
    *,
    staff,
    session: Session,
    child: Person,
    collector: str | None,
    other_name: str = "",
    other_relation: str = "",
    now=None,
) -> PickupAttempt:
    """Sign the child out to the person collecting her: ``collector`` is ``"guardian:<id>"`` or
    ``"pickup:<id>"`` (a tile on the sign-out page), or ``None`` for someone else (``other_name``,
    ``other_relation`` as typed by staff).

    Released (a guardian, or a pickup person valid on the session's day): the engine's ``CheckOut`` and a
    ``PickupAttempt(RELEASED)`` in one transaction. Refused (anyone else): a ``PickupAttempt(REFUSED)``
    with the reason is committed, each guardian is told at once (safety message, SMS and inbox), and
    :class:`PickupRefused` is raised. The engine's refusals (not signed in today, already signed out, a
    cancelled session) record nothing, and so does a user who does not run the activity."""
    if not can_manage_activity(user=staff, activity=session.activity):
        raise PermissionDenied(_("Only the staff of this activity can sign people out."))
    now = now or timezone.now()
    other_name = " ".join((other_name or "").split())
    other_relation = " ".join((other_relation or "").split())
    if collector is None and not other_name:
        raise ValidationError(
            {"other_name": _("Choose who is collecting her, or type the name of the person at the door.")},
            code="collector_missing",
        )
    if len(other_name) > NAME_MAX:
        raise ValidationError(
            {"other_name": _("A name of at most %(n)d characters.") % {"n": NAME_MAX}}, code="name_too_long"
        )
    if len(other_relation) > RELATION_MAX:
        raise ValidationError(
            {"other_relation": _("At most %(n)d characters.") % {"n": RELATION_MAX}}, code="relation_too_long"
        )
    reg = registration_for(session=session, child=child)
    day = timezone.localtime(session.starts_at).date()
    parsed = _parse_collector(collector)
    collectors = collectors_for(child_ids=[child.pk], day=day)[child.pk]
    chosen = _who(parsed=parsed, collectors=collectors)
    listed = next((c for c in collectors if c.name == other_name), None) if chosen is None else None
    if listed is not None and collector is None:
        # Staff typed the name of someone on her list: the tile (with the photo) is the check, not the name.
        raise ValidationError(
            {
                "other_name": _("%(name)s is on her list: choose her tile and check her photo.")
                % {"name": listed.name}
            },
            code="choose_tile",
        )
    if chosen is None:
        own = _own_pickup_person(child=child, parsed=parsed)
        attempt = _refuse(
            staff=staff,
            session=session,
            child=child,
            name=(other_name or (own.name if own else "") or _("(no name given)"))[:NAME_MAX],
            relation=other_relation or (own.get_relation_display() if own else ""),
            reason=_why_not(child=child, own=own, day=day),
            pickup_person=own,
            now=now,
        )
        raise PickupRefused(attempt.reason, attempt=attempt)
    released_to = f"{chosen.name}（{chosen.relation}）"
    with transaction.atomic(), set_actor(staff):
        checkout = checkout_record(
            actor=staff, session=session, registration=reg, released_to=released_to, now=now
        )
        return PickupAttempt.objects.create(
            session=session,
            child=child,
            pickup_person_id=chosen.pk if chosen.kind == "pickup" else None,
            guardian_id=chosen.pk if chosen.kind == "guardian" else None,
            name=chosen.name[:NAME_MAX],
            relation=str(chosen.relation)[:RELATION_MAX],
            outcome=PickupOutcome.RELEASED,
            checkout=checkout,
            staff=staff,
            at=now,
        )


def _refuse(*, staff, session, child, name, relation, reason, pickup_person, now) -> PickupAttempt:
    """Record the refused attempt and tell each guardian, in a transaction of its own that commits."""
    programme = _programme(session)
    with transaction.atomic(), set_actor(staff):
        attempt = PickupAttempt.objects.create(
            session=session,
            child=child,
            pickup_person=pickup_person,
            name=name,
            relation=relation[:RELATION_MAX],
            outcome=PickupOutcome.REFUSED,
            reason=reason[:200],
            staff=staff,
            at=now,
        )
        context = {
            "child": child.name,
            "name": name,
            "relation": relation,
            "time": _hhmm(now),
            "place": programme.place if programme else session.activity.place,
            "staff": staff.get_short_name() if staff else "",
            "staff_phone": str(getattr(staff, "phone", "") or ""),
            "reason": attempt.reason,
        }
        for guardian in guardians_of(child):
            message_enqueue(
                key=f"youth.pickup_refused:attempt:{attempt.pk}:person:{guardian.pk}",
                template=TEMPLATE_REFUSED,
                context=context,
                person=guardian,
                channels=["sms", "inbox"],
                safety=True,
            )
    return attempt


# --- children not collected by the end of the day ---------------------------------------------------


def not_collected_rows(*, sessions, now=None) -> list[tuple[Session, Registration, CheckIn]]:
    """(session, registration, check-in) of every child signed in and not signed out of ``sessions``
    (a queryset of day-care sessions) whose programme's ``day_ends`` has passed. Two queries."""
    now = now or timezone.now()
    out_q = CheckOut.objects.filter(
        registration_id=OuterRef("registration_id"), session_id=OuterRef("session_id")
    )
    rows = (
        CheckIn.objects.filter(session__in=sessions)
        .filter(~Exists(out_q))
        .select_related("session__activity__daycare_week__programme", "registration__person")
        .order_by("session__starts_at", "registration__person__name", "pk")
    )
    found = []
    for ci in rows:
        programme = ci.session.activity.daycare_week.programme
        ends = datetime.datetime.combine(
            timezone.localtime(ci.session.starts_at).date(),
            programme.day_ends,
            tzinfo=timezone.get_current_timezone(),
        )
        if ends <= now:
            found.append((ci.session, ci.registration, ci))
    return found


def pickup_overdue_notify(*, now=None) -> dict[str, int]:
    """For each day-care session whose end time (the programme's ``day_ends``) has passed, with children
    signed in and not signed out: tell each guardian of each such child once (safety message: the key is
    per child per session per guardian) and the activity's organiser once per session (inbox). Safe to
    run twice: the keys make a second run send nothing. Returns counts for the task's log."""
    now = now or timezone.now()
    sessions = Session.objects.filter(
        activity__daycare_week__isnull=False,
        cancelled=False,
        starts_at__gte=now - OVERDUE_LOOKBACK,
        starts_at__lte=now,
    )
    rows = not_collected_rows(sessions=sessions, now=now)
    if not rows:
        return {"children": 0, "sessions": 0}
    guardians = guardians_by_child({reg.person_id for _s, reg, _c in rows})
    by_session: dict[int, list] = {}
    for session, reg, _ci in rows:
        by_session.setdefault(session.pk, []).append((session, reg))
    with transaction.atomic():
        for session, reg, ci in rows:
            programme = session.activity.daycare_week.programme
            for guardian in guardians.get(reg.person_id, []):
                message_enqueue(
                    key=f"youth.not_collected:session:{session.pk}:child:{reg.person_id}:person:{guardian.pk}",
                    template=TEMPLATE_NOT_COLLECTED,
                    context={
                        "child": reg.person.name,
                        "place": programme.place,
                        "day_ends": programme.day_ends.strftime("%H:%M"),
                        "signed_in": _hhmm(ci.checked_in_at),
                    },
                    person=guardian,
                    channels=["sms", "inbox"],
                    safety=True,
                )
        for items in by_session.values():
            session = items[0][0]
            organiser = session.activity.organiser_user
            if organiser is None:
                continue
            programme = session.activity.daycare_week.programme
            names = [reg.person.name for _s, reg in items]
            message_enqueue(
                key=f"youth.not_collected_staff:session:{session.pk}:user:{organiser.pk}",
                template=TEMPLATE_NOT_COLLECTED_STAFF,
                context={
                    "programme": programme.title,
                    "day": timezone.localtime(session.starts_at).strftime("%Y-%m-%d"),
                    "names": names[:10],
                    "count": len(names),
                    "more": max(len(names) - 10, 0),
                },
                user=organiser,
                channels=["inbox"],
            )
    return {"children": len(rows), "sessions": len(by_session)}
