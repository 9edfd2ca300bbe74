"""The waitlist: a freed seat goes to the next unit as a time-limited offer; accept, decline, expire, leave.

A unit is a person, or a whole booking when the activity counts families. An offer holds the seat
(``offered`` counts as taken) until it is accepted, declined or expires; then it passes on.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import set_actor
from portal.community.selectors import may_act_for

from ..deadline import DeadlineText, deadline_text
from ..models import Activity, Offer, Registration, RegistrationStatus, Session
from . import _pool
from ._messages import notify_booking
from ._pool import Pool, pool_for, pool_lock, pool_recount, race_pause
from .reminders import reminders_schedule_for


def _offer_expiry(*, pool: Pool, now: datetime.datetime) -> datetime.datetime | None:
    expires = now + datetime.timedelta(hours=pool.activity.offer_hold_hours)
    if pool.session is not None:
        if pool.session.cancelled or pool.session.starts_at <= now:
            return None
        expires = min(expires, pool.session.starts_at)
    return expires


def promote_locked(*, pool: Pool, now: datetime.datetime) -> list[Offer]:
    """Offer every free seat to the next units on the waitlist. The caller holds the pool lock."""
    offers: list[Offer] = []
    if pool.activity.is_lottery and not pool.activity.waitlist_enabled:
        return offers
    while pool.seats_left() > 0:
        expires = _offer_expiry(pool=pool, now=now)
        if expires is None:
            break
        head = pool.waitlist().select_related("booking").first()
        if head is None:
            break
        race_pause()
        offers.append(_offer_make(pool=pool, head=head, expires=expires, now=now))
    return offers


def _offer_make(*, pool: Pool, head: Registration, expires, now, **fields) -> Offer:
    """Offer a seat to ``head``'s unit (her alone, or her whole waiting family when the activity counts
    families) and tell them: the one way an offer is made. The caller holds the pool lock."""
    if pool.activity.counts_families:
        regs = list(pool.waitlist().filter(booking_id=head.booking_id))
    else:
        regs = [head]
    offer = Offer.objects.create(booking=head.booking, expires_at=expires, **fields)
    Registration.objects.filter(pk__in=[r.pk for r in regs]).update(
        status=RegistrationStatus.OFFERED, offer=offer, updated_at=now
    )
    pool_recount(pool)
    notify_booking(
        booking=head.booking,
        template="events.offer_made",
        key=f"events.offer:{offer.pk}",
        context={"expires": DeadlineText(expires), "hours": pool.activity.offer_hold_hours},
        persons=[r.person for r in Registration.objects.filter(offer=offer).select_related("person")],
    )
    return offer


#: The longest reason staff may give for offering a seat out of turn.
OFFER_REASON_MAX = 200


def waitlist_offer_to(
    *, actor, registration: Registration, reason: str, now: datetime.datetime | None = None
) -> Offer:
    """Staff offer a free seat to one named person on the waitlist, out of queue order (e.g. "行动不便，
    优先安排"). Only when a seat is free (an open offer holds its seat); the reason and who made the offer
    are kept on it; the family is told and the seat held exactly as for an offer in turn. Refused for a
    person not waiting, a lottery not drawn yet, a session that has started or been cancelled."""
    from ..models import LotteryDraw
    from ..selectors import can_manage_activity

    now = now or timezone.now()
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied
    if not can_manage_activity(user=actor, activity=registration.activity):
        raise PermissionDenied
    reason = " ".join((reason or "").split()).rstrip("。.")
    if not reason:
        raise ValidationError(
            {"reason": _("Give the reason for offering this person a seat before the others.")},
            code="no_reason",
        )
    if len(reason) > OFFER_REASON_MAX:
        raise ValidationError(
            {"reason": _("The reason can be at most %(n)d characters long.") % {"n": OFFER_REASON_MAX}},
            code="reason_too_long",
        )
    with transaction.atomic(), set_actor(actor):
        pool = pool_lock(Pool(activity=registration.activity, session=registration.session))
        reg = Registration.objects.select_related("booking", "person").get(pk=registration.pk)
        if (
            pool.activity.is_lottery
            and not LotteryDraw.objects.filter(activity=pool.activity, session=pool.session).exists()
        ):
            raise ValidationError(
                _("The lottery has not been drawn yet: the draw gives the places, not the staff."),
                code="lottery_not_drawn",
            )
        if reg.status != RegistrationStatus.WAITLISTED:
            raise ValidationError(_("This person is not on the waitlist."), code="not_waitlisted")
        expires = _offer_expiry(pool=pool, now=now)
        if expires is None:
            raise ValidationError(
                _("This session has started or has been cancelled: no seat can be offered."),
                code="session_closed",
            )
        if pool.seats_left() <= 0:
            raise ValidationError(
                _("No place is free: a seat can be offered once one is given back."), code="full"
            )
        race_pause()
        return _offer_make(pool=pool, head=reg, expires=expires, now=now, offered_by=actor, reason=reason)


def waitlist_promote_next(
    *, activity: Activity, session: Session | None = None, now: datetime.datetime | None = None
) -> list[Offer]:
    """Offer the free seats of a pool to the next on its waitlist (also run after capacity is raised)."""
    now = now or timezone.now()
    with transaction.atomic():
        pool = pool_lock(pool_for(activity=activity, session=session))
        return promote_locked(pool=pool, now=now)


def _may_answer(actor, offer: Offer) -> bool:
    if offer.booking.booked_by_id == actor.pk:
        return True
    return any(
        may_act_for(actor=actor, person=r.person) for r in offer.registrations.select_related("person")
    )


def _lock_offer(offer: Offer) -> Offer:
    qs = Offer.objects.select_related("booking__activity", "booking__session").filter(pk=offer.pk)
    return (qs.select_for_update(of=("self",)) if _pool.LOCKING else qs).get()


def offer_accept(*, actor, offer: Offer, now: datetime.datetime | None = None) -> Offer:
    """Take the offered seat. Refused once the offer is answered or has expired."""
    now = now or timezone.now()
    if not _may_answer(actor, offer):
        raise PermissionDenied
    with transaction.atomic(), set_actor(actor):
        locked = _lock_offer(offer)
        if locked.status != Offer.Status.OPEN:
            raise ValidationError(
                _("This offer has already been answered or has passed on (%(status)s).")
                % {"status": locked.get_status_display()},
                code="offer_closed",
            )
        if locked.expires_at <= now:
            raise ValidationError(
                _("This offer expired on %(when)s and has passed on to the next person.")
                % {"when": deadline_text(locked.expires_at)},
                code="offer_expired",
            )
        race_pause()
        locked.status = Offer.Status.ACCEPTED
        locked.decided_at = now
        locked.save(update_fields=["status", "decided_at"])
        Registration.objects.filter(offer=locked, status=RegistrationStatus.OFFERED).update(
            status=RegistrationStatus.CONFIRMED, queue_no=None, updated_at=now
        )
        reminders_schedule_for(booking=locked.booking, now=now)
    return locked


def _close_offer(*, offer: Offer, status: str, reg_status: str, now: datetime.datetime) -> Offer | None:
    """Close an open offer (pool locked first, then the offer) and pass the seat on."""
    pool = pool_lock(Pool(activity=offer.booking.activity, session=offer.booking.session))
    locked = _lock_offer(offer)
    if locked.status != Offer.Status.OPEN:
        return None
    locked.status = status
    locked.decided_at = now
    locked.save(update_fields=["status", "decided_at"])
    Registration.objects.filter(offer=locked, status=RegistrationStatus.OFFERED).update(
        status=reg_status, updated_at=now
    )
    pool_recount(pool)
    promote_locked(pool=pool, now=now)
    return locked


def offer_decline(*, actor, offer: Offer, now: datetime.datetime | None = None) -> Offer:
    """Say no to the offered seat: it passes on to the next on the waitlist."""
    now = now or timezone.now()
    if not _may_answer(actor, offer):
        raise PermissionDenied
    with transaction.atomic(), set_actor(actor):
        closed = _close_offer(
            offer=offer, status=Offer.Status.DECLINED, reg_status=RegistrationStatus.DECLINED, now=now
        )
        if closed is None:
            raise ValidationError(
                _("This offer has already been answered or has passed on."), code="offer_closed"
            )
    return closed


def offer_expire(*, offer: Offer, now: datetime.datetime | None = None) -> bool:
    """Expire one offer whose time is up (safe to call twice); True if this call expired it."""
    now = now or timezone.now()
    with transaction.atomic():
        if not Offer.objects.filter(pk=offer.pk, status=Offer.Status.OPEN, expires_at__lte=now).exists():
            return False
        closed = _close_offer(
            offer=offer, status=Offer.Status.EXPIRED, reg_status=RegistrationStatus.EXPIRED, now=now
        )
        if closed is None:
            return False
        notify_booking(
            booking=closed.booking,
            template="events.offer_expired",
            key=f"events.offer_expired:{closed.pk}",
            context={"expires": DeadlineText(closed.expires_at)},
            persons=[r.person for r in closed.registrations.select_related("person")],
        )
    return True


def offers_expire_due(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """The periodic scan: expire every open offer whose time is up, each in its own transaction."""
    now = now or timezone.now()
    due = list(
        Offer.objects.filter(status=Offer.Status.OPEN, expires_at__lte=now)
        .select_related("booking__activity", "booking__session")
        .order_by("expires_at", "id")[:limit]
    )
    return sum(1 for offer in due if offer_expire(offer=offer, now=now))


def waitlist_leave(
    *, actor, registration: Registration, now: datetime.datetime | None = None
) -> Registration:
    """Leave the waitlist (or withdraw a lottery application)."""
    now = now or timezone.now()
    if not (
        registration.booking.booked_by_id == actor.pk or may_act_for(actor=actor, person=registration.person)
    ):
        raise PermissionDenied
    with transaction.atomic(), set_actor(actor):
        pool = pool_lock(Pool(activity=registration.activity, session=registration.session))
        updated = Registration.objects.filter(
            pk=registration.pk, status__in=[RegistrationStatus.WAITLISTED, RegistrationStatus.APPLIED]
        ).update(status=RegistrationStatus.CANCELLED, cancelled_at=now, cancelled_by=actor, updated_at=now)
        if not updated:
            raise ValidationError(_("This person is not on the waitlist."), code="not_waitlisted")
        pool_recount(pool)
    registration.refresh_from_db()
    return registration
