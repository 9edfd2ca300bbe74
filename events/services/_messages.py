"""Messages of the engine, through the notify outbox (rows written in the caller's transaction; the
sends are queued by ``message_enqueue`` only after commit)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from portal.community.selectors import acting_for_by_person
from portal.notify.services import message_enqueue

from ..models import Booking, Session


def when_text(*, activity, session: Session | None) -> str:
    if session is None:
        session = activity.sessions.filter(cancelled=False).order_by("starts_at").first()
    if session is None:
        return ""
    return timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")


def recipients_for(
    pairs: Iterable[tuple[Booking, object]], *, holders: dict | None = None
) -> dict[str, dict]:
    """The one rule of who hears about a person's booking, for every message of the engine (booking
    made, waitlist, offer, lottery result, reminder, cancellation, staff message).

    ``pairs`` are (booking, person booked). Heard by: the resident who made the booking (not the staff
    member who booked on someone's behalf); each person booked who has an account of her own; for one
    without an account, everyone who acts for her (guardians, carers) with an account, and, when staff
    booked her, her own phone. One entry per recipient (key ``user:<id>`` or ``person:<id>``), however
    many of her people are in it: nobody is told twice. One query for any number of pairs, none when
    ``holders`` (``acting_for_by_person`` of a whole batch, loaded once by the caller) is given."""
    pairs = list(pairs)
    if holders is None:
        holders = acting_for_by_person(person_ids={p.pk for _b, p in pairs if not p.user_id})
    out: dict[str, dict] = {}
    for booking, person in pairs:
        if not booking.on_behalf:
            out.setdefault(f"user:{booking.booked_by_id}", {"user": booking.booked_by})
        if person.user_id:
            out.setdefault(f"user:{person.user_id}", {"person": person})
            continue
        for holder in holders.get(person.pk, []):
            out.setdefault(f"user:{holder.user_id}", {"user": holder.user, "person": holder})
        if booking.on_behalf and person.phone:
            out.setdefault(f"person:{person.pk}", {"person": person})
    return out


def notify_booking(*, booking: Booking, template: str, key: str, context: dict, persons=None) -> None:
    """Tell the people of a booking (see :func:`recipients_for`) about ``persons`` (default: everyone
    on it), one message each."""
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
    for who, target in recipients_for((booking, person) for person in persons).items():
        message_enqueue(key=f"{key}:{who}", template=template, context=ctx, **target)
