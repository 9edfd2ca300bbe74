"""Check-in: attendance per session, by staff scanning a ticket or searching a name, or by the resident.

A check-in is one ``CheckIn`` row per (registration, session), backed by a unique constraint. The
writer locks the registration row (``select_for_update``), looks for an existing row, then inserts in a
savepoint; if a concurrent scanner won anyway, the ``IntegrityError`` becomes the same translated
"already checked in at HH:MM" refusal. Refusals (forged token, another session's ticket, a place not
confirmed) are translated ``ValidationError``s and change nothing.

Check-out (``checkout_record``) is the same pattern for leaving: one ``CheckOut`` per (registration,
session), only after that session's check-in, with whom the person left (a child collected by her
grandmother).
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import set_actor
from portal.community.selectors import may_act_for, people_visible_to

from ..models import (
    ACTIVE_STATUSES,
    Booking,
    CheckIn,
    CheckInMethod,
    CheckOut,
    Offer,
    Registration,
    RegistrationStatus,
    Session,
)
from ..selectors import can_manage_activity
from . import _pool

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")
_TICKET_PATH_RE = re.compile(r"/ticket/([A-Za-z0-9_-]{8,64})/?")


def checkin_token_parse(text: str) -> str:
    """The ticket token in what a QR scanner app pasted: the bare token, or the ticket URL
    (``https://…/activities/ticket/<token>/``). Raises a translated ``ValidationError`` otherwise."""
    text = (text or "").strip()
    if TOKEN_RE.fullmatch(text):
        return text
    match = _TICKET_PATH_RE.search(urlparse(text).path or "") if "/" in text else None
    if match:
        return match.group(1)
    raise ValidationError(_("This is not a ticket code of this portal."), code="bad_token")


def _hhmm(dt) -> str:
    return timezone.localtime(dt).strftime("%H:%M")


def _already(checkin: CheckIn, name: str) -> ValidationError:
    return ValidationError(
        _("%(name)s is already checked in (at %(time)s).")
        % {"name": name, "time": _hhmm(checkin.checked_in_at)},
        code="already_checked_in",
    )


def _covers(registration: Registration, session: Session) -> bool:
    """The registration is for this session (or for the whole course the session belongs to)."""
    if registration.session_id is not None:
        return registration.session_id == session.pk
    return registration.activity_id == session.activity_id


def _check_actor(*, actor, session: Session, method: str, registration: Registration | None = None) -> None:
    if method not in CheckInMethod.values:
        raise ValidationError(_("Unknown check-in method."), code="bad_method")
    if method == CheckInMethod.SELF:
        if actor is None or not actor.is_authenticated:
            raise PermissionDenied(_("Sign in to check in."))
        if registration is not None and not (
            registration.booking.booked_by_id == actor.pk
            or may_act_for(actor=actor, person=registration.person)
        ):
            raise PermissionDenied(_("You may not check in this person."))
        return
    if not can_manage_activity(user=actor, activity=session.activity):
        raise PermissionDenied(_("Only the staff of this activity can check people in."))


def _booking_by_token(*, token: str, session: Session) -> Booking:
    token = checkin_token_parse(token)
    booking = Booking.objects.select_related("activity", "session").filter(token=token).first()
    if booking is None:
        raise ValidationError(
            _("Unknown ticket: this code is not a booking of this portal."), code="unknown_token"
        )
    wrong = booking.activity_id != session.activity_id or (
        booking.session_id is not None and booking.session_id != session.pk
    )
    if wrong:
        target = booking.session or booking.activity
        raise ValidationError(
            _("This ticket is for %(session)s, not for this session.") % {"session": target},
            code="wrong_session",
        )
    return booking


def _insert(*, registration: Registration, session: Session, actor, method: str, now) -> CheckIn:
    """Insert under the registration's row lock (held by the caller's transaction)."""
    existing = CheckIn.objects.filter(registration=registration, session=session).first()
    if existing is not None:
        raise _already(existing, registration.person.name)
    _pool.race_pause()
    try:
        with transaction.atomic():
            return _create(
                registration=registration,
                session=session,
                checked_in_at=now,
                checked_in_by=None if method == CheckInMethod.SELF else actor,
                method=method,
            )
    except IntegrityError:
        existing = CheckIn.objects.filter(registration=registration, session=session).first()
        if existing is None:  # pragma: no cover - another constraint; let it surface
            raise
        raise _already(existing, registration.person.name) from None


def _create(**fields) -> CheckIn:
    return CheckIn.objects.create(**fields)


def _lock(qs):
    """The registrations, row-locked (``_pool.LOCKING`` is turned off only by the control test)."""
    if _pool.LOCKING:
        qs = qs.select_for_update(of=("self",))
    return list(qs.select_related("person", "booking").order_by("pk"))


def checkin_record(
    *,
    actor,
    session: Session,
    method: str,
    registration: Registration | None = None,
    token: str | None = None,
    now=None,
) -> CheckIn:
    """Check one person in at ``session``: ``registration`` directly, or the one confirmed person of the
    ticket ``token`` (a token with a ``registration`` checks in that chosen person of the booking).

    Staff methods need ``can_manage_activity``; ``self`` needs the actor to be the booker or to act for
    the person. Raises ``PermissionDenied`` or a translated ``ValidationError`` (second check-in, forged
    or unknown token, another session's ticket, a place not confirmed, a cancelled session)."""
    if registration is None and not token:
        raise ValidationError(_("Scan a ticket or choose a person."), code="nothing_chosen")
    _check_actor(actor=actor, session=session, method=method)
    if session.cancelled:
        raise ValidationError(_("This session has been cancelled."), code="session_cancelled")
    now = now or timezone.now()
    booking = _booking_by_token(token=token, session=session) if token else None
    with transaction.atomic(), set_actor(actor):
        if registration is not None:
            if booking is not None and registration.booking_id != booking.pk:
                raise ValidationError(_("This person is not on this ticket."), code="not_on_ticket")
            regs = _lock(Registration.objects.filter(pk=registration.pk))
        else:
            regs = _lock(booking.registrations.filter(status=RegistrationStatus.CONFIRMED))
            if len(regs) > 1:
                raise ValidationError(
                    _("This ticket is for several people: choose who is here."), code="choose_person"
                )
            if not regs:
                raise ValidationError(_("Nobody on this ticket has a confirmed place."), code="not_confirmed")
        reg = regs[0]
        _check_actor(actor=actor, session=session, method=method, registration=reg)
        if not _covers(reg, session):
            raise ValidationError(
                _("This ticket is for %(session)s, not for this session.")
                % {"session": reg.session or reg.activity},
                code="wrong_session",
            )
        if reg.status != RegistrationStatus.CONFIRMED:
            raise ValidationError(
                _("%(name)s has no confirmed place (%(status)s).")
                % {"name": reg.person.name, "status": reg.get_status_display()},
                code="not_confirmed",
            )
        return _insert(registration=reg, session=session, actor=actor, method=method, now=now)


def checkin_ticket(
    *, actor, session: Session, token: str, method: str = CheckInMethod.STAFF_SCAN, now=None
) -> list[CheckIn]:
    """Check in every confirmed person of the ticket ``token`` not yet checked in at ``session`` (a mother
    and her two children, one scan). Refuses when all are already in, or nobody is confirmed."""
    _check_actor(actor=actor, session=session, method=method)
    if session.cancelled:
        raise ValidationError(_("This session has been cancelled."), code="session_cancelled")
    now = now or timezone.now()
    booking = _booking_by_token(token=token, session=session)
    with transaction.atomic(), set_actor(actor):
        regs = _lock(booking.registrations.filter(status=RegistrationStatus.CONFIRMED))
        regs = [r for r in regs if _covers(r, session)]
        if not regs:
            raise ValidationError(_("Nobody on this ticket has a confirmed place."), code="not_confirmed")
        done = {c.registration_id: c for c in CheckIn.objects.filter(session=session, registration__in=regs)}
        todo = [r for r in regs if r.pk not in done]
        if not todo:
            first = min(done.values(), key=lambda c: c.checked_in_at)
            raise _already(first, "、".join(r.person.name for r in regs))
        return [_insert(registration=r, session=session, actor=actor, method=method, now=now) for r in todo]


def attendance_record(
    *,
    actor,
    session: Session,
    person,
    method: str = CheckInMethod.STAFF_SEARCH,
    now=None,
) -> CheckIn:
    """Record that ``person`` is present at ``session``, as staff see her there (a clinic day, a class):
    the attendance of someone who may or may not have booked. Idempotent: a second call returns the
    ``CheckIn`` already there (one person-visit however often the nurse records something for her).

    * With a confirmed registration covering the session (hers, or the course's), that one is checked in.
    * With another active registration (on the waitlist, offered a seat, a lottery application) she is
      here all the same: that registration is confirmed (an open offer of hers is taken) and checked in.
    * With none (a walk-in at a drop-in clinic), a booking is made for her by the staff member, marked as
      on her behalf (``Booking.on_behalf``, like ``booking_create_on_behalf``), confirmed and checked in.
      A walk-in is not held to the booking window, to the session having started or to its capacity
      (``Session.capacity`` 0 means no seat left to book, not "unlimited"): she is in the room. Nobody is
      told of a booking made for a visit that is already happening. The person must be within the staff
      member's own scope (``people_visible_to``: her organisation's clients, her grid, everyone for
      community staff), as for a booking on someone's behalf.

    Staff methods only (``can_manage_activity``); a cancelled session is refused. The pool row is locked
    first, then the registration (the engine's order), so two nurses recording the same walk-in at once
    make one registration and one check-in."""
    if method == CheckInMethod.SELF:
        raise ValidationError(_("Attendance is recorded by staff."), code="bad_method")
    _check_actor(actor=actor, session=session, method=method)
    if session.cancelled:
        raise ValidationError(_("This session has been cancelled."), code="session_cancelled")
    now = now or timezone.now()
    activity = session.activity
    with transaction.atomic(), set_actor(actor):
        pool = _pool.pool_lock(_pool.pool_for(activity=activity, session=session))
        covering = Registration.objects.filter(person_id=person.pk, status__in=ACTIVE_STATUSES).filter(
            Q(session_id=session.pk) | Q(session__isnull=True, activity_id=activity.pk)
        )
        regs = _lock(covering)
        reg = next((r for r in regs if r.status == RegistrationStatus.CONFIRMED), regs[0] if regs else None)
        if reg is None:
            if not people_visible_to(viewer=actor).filter(pk=person.pk).exists():
                raise PermissionDenied(_("This person is not among the people you serve."))
            booking = Booking.objects.create(
                activity=activity, session=pool.session, booked_by=actor, on_behalf=True
            )
            reg = Registration.objects.create(
                booking=booking,
                activity=activity,
                session=pool.session,
                person=person,
                status=RegistrationStatus.CONFIRMED,
            )
        elif reg.status != RegistrationStatus.CONFIRMED:
            offer_id = reg.offer_id if reg.status == RegistrationStatus.OFFERED else None
            Registration.objects.filter(pk=reg.pk).update(
                status=RegistrationStatus.CONFIRMED, queue_no=None, updated_at=now
            )
            reg.status, reg.queue_no = RegistrationStatus.CONFIRMED, None
            _pool.pool_recount(pool)
            if (
                offer_id
                and not Registration.objects.filter(
                    offer_id=offer_id, status=RegistrationStatus.OFFERED
                ).exists()
            ):
                Offer.objects.filter(pk=offer_id, status=Offer.Status.OPEN).update(
                    status=Offer.Status.ACCEPTED, decided_at=now
                )
        existing = CheckIn.objects.filter(registration=reg, session=session).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return _create(
                    registration=reg, session=session, checked_in_at=now, checked_in_by=actor, method=method
                )
        except IntegrityError:
            existing = CheckIn.objects.filter(registration=reg, session=session).first()
            if existing is None:  # pragma: no cover - another constraint; let it surface
                raise
            return existing


# --- Check-out: leaving, for activities where leaving matters (a child's day-care) ---------------------


def _already_out(checkout, name: str) -> ValidationError:
    return ValidationError(
        _("%(name)s was already signed out at %(time)s to %(whom)s.")
        % {"name": name, "time": _hhmm(checkout.checked_out_at), "whom": checkout.released_to or "—"},
        code="already_signed_out",
    )


def _create_checkout(**fields) -> CheckOut:
    return CheckOut.objects.create(**fields)


def checkout_record(
    *, actor, session: Session, registration: Registration, released_to: str, now=None
) -> CheckOut:
    """Sign one person out of ``session`` (a child leaving the day-care with the person who collected her),
    after her check-in at that session. ``released_to`` is who she left with, as staff saw them.

    Staff of the activity only (``can_manage_activity``). Refuses with a translated ``ValidationError``
    and changes nothing: a cancelled session, a registration not confirmed or not covering the session,
    no check-in at this session ("not signed in today"), a second sign-out ("already signed out at HH:MM
    to …"). The registration row is locked first (the check-in's order); the insert runs in a savepoint,
    and the ``IntegrityError`` of a concurrent second tablet becomes the same "already signed out"
    refusal."""
    if not can_manage_activity(user=actor, activity=session.activity):
        raise PermissionDenied(_("Only the staff of this activity can sign people out."))
    if session.cancelled:
        raise ValidationError(_("This session has been cancelled."), code="session_cancelled")
    released_to = " ".join((released_to or "").split())[: CheckOut._meta.get_field("released_to").max_length]
    if not released_to:
        raise ValidationError(_("Say who she leaves with."), code="released_to_missing")
    now = now or timezone.now()
    with transaction.atomic(), set_actor(actor):
        [reg] = _lock(Registration.objects.filter(pk=registration.pk))
        name = reg.person.name
        if not _covers(reg, session):
            raise ValidationError(
                _("%(name)s is not booked for this session.") % {"name": name}, code="wrong_session"
            )
        if reg.status != RegistrationStatus.CONFIRMED:
            raise ValidationError(
                _("%(name)s has no confirmed place (%(status)s).")
                % {"name": name, "status": reg.get_status_display()},
                code="not_confirmed",
            )
        existing = CheckOut.objects.filter(registration=reg, session=session).first()
        if existing is not None:
            raise _already_out(existing, name)
        if not CheckIn.objects.filter(registration=reg, session=session).exists():
            raise ValidationError(
                _("%(name)s was not signed in today.") % {"name": name}, code="not_signed_in"
            )
        _pool.race_pause()
        try:
            with transaction.atomic():
                return _create_checkout(
                    registration=reg,
                    session=session,
                    checked_out_at=now,
                    checked_out_by=actor,
                    released_to=released_to,
                )
        except IntegrityError:
            existing = CheckOut.objects.filter(registration=reg, session=session).first()
            if existing is None:  # pragma: no cover - another constraint; let it surface
                raise
            raise _already_out(existing, name) from None
