"""Messages of the engine, through the notify outbox (rows written in the caller's transaction; the
sends are queued by ``message_enqueue`` only after commit)."""

from __future__ import annotations

from django.utils import timezone

from portal.notify.services import message_enqueue

from ..models import Booking, Session


def when_text(*, activity, session: Session | None) -> str:
    if session is None:
        session = activity.sessions.filter(cancelled=False).order_by("starts_at").first()
    if session is None:
        return ""
    return timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")


def notify_booking(*, booking: Booking, template: str, key: str, context: dict, persons=None) -> None:
    """Tell the people of a booking: the user who booked, or (booked by staff on a resident's behalf)
    each person booked who has an account or a phone of her own."""
    persons = list(persons if persons is not None else [r.person for r in booking.registrations.all()])
    ctx = {
        "activity": booking.activity.title,
        "place": (
            booking.session.place if booking.session and booking.session.place else booking.activity.place
        ),
        "when": when_text(activity=booking.activity, session=booking.session),
        "persons": "、".join(p.name for p in persons),
        **context,
    }
    if booking.on_behalf:
        for person in persons:
            if person.user_id or person.phone:
                message_enqueue(
                    key=f"{key}:person:{person.pk}", template=template, context=ctx, person=person
                )
        return
    message_enqueue(
        key=f"{key}:user:{booking.booked_by_id}", template=template, context=ctx, user=booking.booked_by
    )
