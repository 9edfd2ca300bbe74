"""Checkpoints (the marathon's stations) and self check-in by the QR code posted at the venue.

Stamps
------
``checkpoint_stamp`` records that the people of a ticket passed a station, one ``Stamp`` per
(checkpoint, registration, session), backed by a unique constraint. As in ``checkin``, the writer locks the
registration rows (``select_for_update``; ``_pool.LOCKING`` is turned off only by the control test), looks
for existing stamps, then inserts each in a savepoint; when a second phone at the same station won anyway,
the ``IntegrityError`` becomes the same translated "already stamped here at HH:MM" refusal and the whole
call changes nothing.

Who is stamped
--------------
* In an activity that counts **families** (``capacity_unit=FAMILY``: the marathon's parent-child pairs run
  together), the unit is the booking: one scan stamps every confirmed person of the booking who is not yet
  stamped at that station. Choosing one person of such a booking stamps the whole booking too.
* In an activity that counts **persons**, each person runs on her own: a ticket of several confirmed
  people needs a choice (``code="choose_person"``), then ``registration`` names the one who passed.

Who may stamp: staff who can manage the activity, and volunteers signed up for a shift at that checkpoint
on that session (``ShiftSignup`` status ``signed_up`` whose ``shift.checkpoint`` is it).

When, and in which order
------------------------
* A station accepts stamps only while its session runs: from ``STAMPS_OPEN_BEFORE`` (30 minutes, for the
  crowd at the start line) before ``session.starts_at`` until ``session.ends_at``. Weeks before the race,
  or after it, is a translated refusal (``code="stamps_not_open"`` / ``"stamps_closed"``).
* Stations are stamped in route order (``Checkpoint.position``): a stamp at a station needs a stamp, on
  that session, at every *required* station before it (an optional photo point is never a prerequisite),
  and the refusal names the first one missing, "请先在「第2站 · 1.2 km 补给站」打卡" (``code="out_of_order"``).
* A stamp comes at least ``STAMP_MIN_INTERVAL`` (one minute) after the latest of those earlier stamps
  (``code="too_soon"``): the finish can never carry the same minute as the start. The checks read the
  stamps under the registration locks, so two phones cannot both get past them.

Venue code (self check-in)
--------------------------
The poster at the venue carries ``/activities/<pk>/here/<code>/`` where ``code`` is
``Signer(salt=VENUE_SALT).sign(str(pk))``: no database field, unguessable without ``SECRET_KEY``, one per
activity. Rotating ``SECRET_KEY`` (keep the old one in ``SECRET_KEY_FALLBACKS`` until the posters are
reprinted) invalidates every poster. ``checkin_self_at_venue`` checks in, in one transaction, the people
of the signed-in resident's family with a confirmed place, through ``checkin_record(method=SELF)``.
"""

from __future__ import annotations

import datetime

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import set_actor

from ..models import (
    Activity,
    Booking,
    CheckIn,
    CheckInMethod,
    Checkpoint,
    Registration,
    RegistrationStatus,
    Session,
    Stamp,
)
from ..selectors.checkpoints import may_stamp_at
from . import _pool
from .checkin import checkin_record, checkin_token_parse

VENUE_SALT = "events.venue-checkin"

#: Stations open this long before the session starts (families gather at the start line).
STAMPS_OPEN_BEFORE = datetime.timedelta(minutes=30)
#: A stamp comes at least this long after the stamp at the station before it on the route.
STAMP_MIN_INTERVAL = datetime.timedelta(minutes=1)


def _hhmm(dt) -> str:
    return timezone.localtime(dt).strftime("%H:%M")


def _names(regs) -> str:
    return "、".join(r.person.name for r in regs)


def _already(stamp: Stamp, names: str) -> ValidationError:
    return ValidationError(
        _("%(names)s already stamped at this checkpoint at %(time)s.")
        % {"names": names, "time": _hhmm(stamp.stamped_at)},
        code="already_stamped",
    )


def _lock(qs) -> list[Registration]:
    if _pool.LOCKING:
        qs = qs.select_for_update(of=("self",))
    return list(qs.select_related("person", "booking").order_by("pk"))


def _create(**fields) -> Stamp:
    return Stamp.objects.create(**fields)


def _covers(registration: Registration, session: Session) -> bool:
    if registration.session_id is not None:
        return registration.session_id == session.pk
    return registration.activity_id == session.activity_id


def _booking_by_token(*, token: str, checkpoint: Checkpoint, session: Session) -> Booking:
    token = checkin_token_parse(token)
    booking = Booking.objects.select_related("activity", "session").filter(token=token).first()
    if booking is None:
        raise ValidationError(
            _("Unknown ticket: this code is not a booking of this portal."), code="unknown_token"
        )
    if booking.activity_id != checkpoint.activity_id:
        raise ValidationError(
            _("This ticket is for %(activity)s, not for this activity.") % {"activity": booking.activity},
            code="wrong_activity",
        )
    if booking.session_id is not None and booking.session_id != session.pk:
        raise ValidationError(
            _("This ticket is for %(session)s, not for this session.") % {"session": booking.session},
            code="wrong_session",
        )
    return booking


def _fmt(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


def _check_session_running(session: Session, now: datetime.datetime) -> None:
    opens = session.starts_at - STAMPS_OPEN_BEFORE
    if now < opens:
        raise ValidationError(
            _("Stamps for this session open at %(time)s, %(minutes)s minutes before it starts.")
            % {"time": _fmt(opens), "minutes": int(STAMPS_OPEN_BEFORE.total_seconds() // 60)},
            code="stamps_not_open",
        )
    if now > session.ends_at:
        raise ValidationError(
            _("This session ended at %(time)s; stamps are closed.") % {"time": _fmt(session.ends_at)},
            code="stamps_closed",
        )


def checkpoint_label(checkpoint: Checkpoint, number: int) -> str:
    """ "第2站 · 滨河广场": the station's place along the route (counted from 1) and its name."""
    return _("Station %(number)s · %(name)s") % {"number": number, "name": checkpoint.name}


def _check_route_order(
    *, checkpoint: Checkpoint, session: Session, regs: list[Registration], now: datetime.datetime
) -> None:
    """Refuse a stamp whose earlier required stations are not stamped yet, or one less than
    ``STAMP_MIN_INTERVAL`` after them. Two queries, whatever the size of the family."""
    route = list(Checkpoint.objects.filter(activity_id=checkpoint.activity_id).order_by("position", "id"))
    number = {c.pk: i for i, c in enumerate(route, start=1)}
    before = [c for c in route if c.required and c.position < checkpoint.position]
    if not before:
        return
    seen: dict[tuple[int, int], datetime.datetime] = {
        (s["registration_id"], s["checkpoint_id"]): s["stamped_at"]
        for s in Stamp.objects.filter(session=session, registration__in=regs, checkpoint__in=before).values(
            "registration_id", "checkpoint_id", "stamped_at"
        )
    }
    for point in before:
        missing = [r for r in regs if (r.pk, point.pk) not in seen]
        if missing:
            raise ValidationError(
                _("Stamp at “%(checkpoint)s” first: %(names)s not stamped there yet.")
                % {"checkpoint": checkpoint_label(point, number[point.pk]), "names": _names(missing)},
                code="out_of_order",
            )
    latest_at, latest_point = max(
        ((seen[(r.pk, c.pk)], c) for r in regs for c in before), key=lambda pair: pair[0]
    )
    if now < latest_at + STAMP_MIN_INTERVAL:
        raise ValidationError(
            _(
                "Too soon: %(names)s stamped at “%(checkpoint)s” at %(time)s. A stamp here comes at least "
                "a minute after the station before."
            )
            % {
                "names": _names(regs),
                "checkpoint": checkpoint_label(latest_point, number[latest_point.pk]),
                "time": _hhmm(latest_at),
            },
            code="too_soon",
        )


def _session_for(
    *, checkpoint: Checkpoint, session: Session | None, registration: Registration | None
) -> Session:
    if session is None and registration is not None and registration.session_id:
        session = registration.session
    if session is None:
        raise ValidationError(_("Choose the session first."), code="no_session")
    if session.activity_id != checkpoint.activity_id:
        raise ValidationError(_("This session is not of this checkpoint's activity."), code="wrong_session")
    if session.cancelled:
        raise ValidationError(_("This session has been cancelled."), code="session_cancelled")
    return session


def checkpoint_stamp(
    *,
    actor,
    checkpoint: Checkpoint,
    token: str | None = None,
    registration: Registration | None = None,
    session: Session | None = None,
    now: datetime.datetime | None = None,
) -> list[Stamp]:
    """Stamp the people of a ticket (``token``: the bare token or the pasted ticket link) or the chosen
    ``registration`` at ``checkpoint`` for ``session``; returns the new stamps.

    A family booking (capacity counted in families) is stamped as a whole; a ticket of several people in
    an activity counted in persons needs ``registration`` too (``code="choose_person"``). Raises
    ``PermissionDenied`` (not staff of the activity, no shift at this station) or a translated
    ``ValidationError``: a forged, unknown or another activity's ticket, another session's ticket, a
    place not confirmed, a cancelled session, everyone already stamped here, a session not running
    (``STAMPS_OPEN_BEFORE`` its start until its end), an earlier required station not stamped yet, or a
    stamp less than ``STAMP_MIN_INTERVAL`` after the station before."""
    if registration is None and not token:
        raise ValidationError(_("Scan a ticket or choose a person."), code="nothing_chosen")
    session = _session_for(checkpoint=checkpoint, session=session, registration=registration)
    activity = checkpoint.activity
    if not may_stamp_at(user=actor, checkpoint=checkpoint, session=session):
        raise PermissionDenied(
            _("Only the staff of this activity and the volunteers at this checkpoint can stamp.")
        )
    now = now or timezone.now()
    booking = _booking_by_token(token=token, checkpoint=checkpoint, session=session) if token else None
    if registration is not None and booking is not None and registration.booking_id != booking.pk:
        raise ValidationError(_("This person is not on this ticket."), code="not_on_ticket")
    if registration is not None and registration.activity_id != checkpoint.activity_id:
        raise ValidationError(
            _("This ticket is for %(activity)s, not for this activity.")
            % {"activity": registration.activity},
            code="wrong_activity",
        )
    if registration is not None and not _covers(registration, session):
        raise ValidationError(
            _("This ticket is for %(session)s, not for this session.")
            % {"session": registration.session or registration.activity},
            code="wrong_session",
        )
    _check_session_running(session, now)
    booking_id = booking.pk if booking is not None else registration.booking_id
    with transaction.atomic(), set_actor(actor):
        if registration is not None and not activity.counts_families:
            regs = _lock(Registration.objects.filter(pk=registration.pk))
        else:
            regs = _lock(
                Registration.objects.filter(booking_id=booking_id, status=RegistrationStatus.CONFIRMED)
            )
            if registration is not None and registration.pk not in {r.pk for r in regs}:
                raise ValidationError(
                    _("%(name)s has no confirmed place.") % {"name": registration.person.name},
                    code="not_confirmed",
                )
            if registration is None and len(regs) > 1 and not activity.counts_families:
                raise ValidationError(
                    _("This ticket is for several people: choose who is here."), code="choose_person"
                )
        regs = [r for r in regs if _covers(r, session)]
        if not regs:
            raise ValidationError(_("Nobody on this ticket has a confirmed place."), code="not_confirmed")
        for reg in regs:
            if reg.status != RegistrationStatus.CONFIRMED:
                raise ValidationError(
                    _("%(name)s has no confirmed place (%(status)s).")
                    % {"name": reg.person.name, "status": reg.get_status_display()},
                    code="not_confirmed",
                )
        done = {
            s.registration_id: s
            for s in Stamp.objects.filter(checkpoint=checkpoint, session=session, registration__in=regs)
        }
        todo = [r for r in regs if r.pk not in done]
        if not todo:
            raise _already(min(done.values(), key=lambda s: s.stamped_at), _names(regs))
        _check_route_order(checkpoint=checkpoint, session=session, regs=todo, now=now)
        _pool.race_pause()
        stamps = []
        for reg in todo:
            try:
                with transaction.atomic():
                    stamps.append(
                        _create(
                            checkpoint=checkpoint,
                            registration=reg,
                            session=session,
                            stamped_at=now,
                            stamped_by=actor,
                        )
                    )
            except IntegrityError:
                won = Stamp.objects.filter(checkpoint=checkpoint, session=session, registration=reg).first()
                if won is None:  # pragma: no cover - another constraint; let it surface
                    raise
                raise _already(won, _names(regs)) from None
        return stamps


# --- self check-in with the venue's QR code -----------------------------------------------------------


def venue_code_for(activity: Activity) -> str:
    """The signed code on the venue poster of ``activity`` (no database field)."""
    return signing.Signer(salt=VENUE_SALT).sign(str(activity.pk))


def venue_code_check(*, activity: Activity, code: str) -> None:
    """Raise a translated ``ValidationError`` unless ``code`` is this activity's venue code."""
    try:
        value = signing.Signer(salt=VENUE_SALT).unsign(code or "")
    except signing.BadSignature:
        raise ValidationError(
            _("This venue code is not valid. Scan the QR code on the poster at the venue again."),
            code="bad_code",
        ) from None
    if value != str(activity.pk):
        raise ValidationError(
            _(
                "This venue code belongs to another activity. Scan the QR code posted at this activity's venue."
            ),
            code="wrong_activity",
        )


def venue_sessions_today(*, activity: Activity, now: datetime.datetime | None = None):
    """The activity's sessions that start today (local time), in order, cancelled ones included."""
    now = now or timezone.now()
    day = timezone.localtime(now).date()
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    return activity.sessions.filter(
        starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=1)
    ).order_by("starts_at", "id")


def checkin_self_at_venue(
    *,
    actor,
    activity: Activity,
    code: str,
    session: Session,
    registrations: list[Registration],
    now: datetime.datetime | None = None,
) -> list[CheckIn]:
    """Check in the chosen people of the resident's family at today's ``session``, after scanning the
    venue code: all or none, in one transaction (each through ``checkin_record(method=SELF)``).

    Refuses (translated ``ValidationError``, nothing changed) a forged or another activity's code, a
    session not of today or of another activity, nobody chosen, or someone already checked in."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Sign in to check in."))
    venue_code_check(activity=activity, code=code)
    now = now or timezone.now()
    if (
        session.activity_id != activity.pk
        or not venue_sessions_today(activity=activity, now=now).filter(pk=session.pk).exists()
    ):
        raise ValidationError(
            _("You can check in only for a session of this activity today."), code="not_today"
        )
    if not registrations:
        raise ValidationError(_("Choose who is here."), code="nothing_chosen")
    with transaction.atomic(), set_actor(actor):
        return [
            checkin_record(actor=actor, session=session, registration=r, method=CheckInMethod.SELF, now=now)
            for r in registrations
        ]
