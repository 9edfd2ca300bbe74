"""Reminders before each session, and messages from staff to everyone booked.

Long delays live in the database (see ARCHITECTURE.md): a reminder due in two days is a ``Reminder`` row
with a ``due_at`` and a state, one per (booking, session, lead time). Rows come from two places, so that
nothing depends on the booking code remembering to call us:

* ``reminders_schedule_for(booking=...)``, which the booking services call in their own transaction
  when a place is confirmed (``booking_create`` with a seat, ``offer_accept``, a lottery win);
  ``registration_cancel`` cancels them through ``reminders_cancel_for`` when nobody is left confirmed;
* ``reminders_fill``, run by the periodic scan before it sends: one ``INSERT ... ON CONFLICT DO NOTHING``
  (``bulk_create(ignore_conflicts=True)``) of the rows missing for confirmed bookings of upcoming sessions.

``reminders_send_due`` (the scan, ``events.tasks.send_due_reminders``, every minute) claims due pending
rows in batches with ``SELECT ... FOR UPDATE SKIP LOCKED``, re-reads who is still confirmed, enqueues one
message per recipient through the notify outbox (the whole batch in one ``message_enqueue_many``, a
constant number of queries; key ``events.reminder:<pk>``; the outbox's unique key and its conditional
claim make a second enqueue or a second send impossible) and marks the rows sent in
the same transaction, so the sends are queued only after commit. A row whose booking is no longer
confirmed, or whose session was cancelled, is marked cancelled; one that is too late, or made pointless
by a later reminder that is also due, is skipped. Each row keeps the reason.

Timing: a reminder that would fall in the night (21:00–08:00, Shanghai) moves to 08:00 when that still
leaves half the lead time before the start, else to 20:00 the evening before: nobody is texted at 05:30
about the 07:30 marathon start. Personal quiet hours are then applied by ``message_enqueue`` (SMS waits).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.audit import set_actor
from portal.community.selectors import acting_for_by_person
from portal.notify.models import ELDER_QUIET_END, ELDER_QUIET_START
from portal.notify.services import NotifyBatchError, message_enqueue_many

from ..deadline import DeadlineText
from ..models import (
    DEFAULT_REMINDER_LEADS,
    SEATED_STATUSES,
    Activity,
    Booking,
    Registration,
    RegistrationScope,
    RegistrationStatus,
    Reminder,
    ReminderRule,
    ReminderState,
    Session,
    StaffMessage,
)
from . import _pool
from ._messages import recipients_for

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: The night in which no reminder is due (the elders' default quiet hours), and where one moves to.
NIGHT_START = ELDER_QUIET_START
NIGHT_END = ELDER_QUIET_END
EVENING = datetime.time(20, 0)
#: The scan creates rows for sessions starting within the longest lead time plus this margin.
FILL_MARGIN = datetime.timedelta(days=1)
BATCH_SIZE = 500
STAFF_MESSAGE_MAX = 500
#: The same text sent to the same place again within this time is asked about first (a reload of the form
#: after an error page makes a fresh request key: issue 8, "10 recipients got 20 SMS").
STAFF_MESSAGE_REPEAT_WINDOW = datetime.timedelta(minutes=30)
#: Tests only: False claims rows without ``FOR UPDATE SKIP LOCKED`` (concurrent scans then overlap,
#: and only the outbox's unique keys keep a message from going out twice).
CLAIM_LOCKING = True


def _fmt(dt: datetime.datetime) -> str:
    return timezone.localtime(dt, SHANGHAI).strftime("%Y-%m-%d %H:%M")


# --- lead times and due times -------------------------------------------------------------------


def reminder_leads(*, activity: Activity) -> list[int]:
    """The activity's lead times in minutes, longest first (default: the day before, two hours before)."""
    leads = sorted(activity.reminder_rules.order_by().values_list("lead_minutes", flat=True), reverse=True)
    return leads or list(DEFAULT_REMINDER_LEADS)


def _leads_by_activity(activity_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = set(activity_ids)
    found: dict[int, list[int]] = defaultdict(list)
    for activity_id, lead in (
        ReminderRule.objects.filter(activity_id__in=ids).order_by().values_list("activity_id", "lead_minutes")
    ):
        found[activity_id].append(lead)
    return {a: sorted(found.get(a) or DEFAULT_REMINDER_LEADS, reverse=True) for a in ids}


def reminder_due_at(*, starts_at: datetime.datetime, lead_minutes: int) -> datetime.datetime:
    """``lead_minutes`` before the start, moved out of the night (see the module docstring)."""
    lead = datetime.timedelta(minutes=lead_minutes)
    due = starts_at - lead
    local = timezone.localtime(due, SHANGHAI)
    t = local.time()
    if NIGHT_END <= t < NIGHT_START:
        return due
    night_of = local.date() if t >= NIGHT_START else local.date() - datetime.timedelta(days=1)
    morning = datetime.datetime.combine(night_of + datetime.timedelta(days=1), NIGHT_END, tzinfo=SHANGHAI)
    if starts_at - morning >= lead / 2:
        return morning
    return datetime.datetime.combine(night_of, EVENING, tzinfo=SHANGHAI)


def reminder_rules_set(
    *, actor, activity: Activity, lead_minutes: Sequence[int], now: datetime.datetime | None = None
) -> list[ReminderRule]:
    """Replace the activity's lead times (an empty list: back to the default). Pending reminders at lead
    times no longer wanted are cancelled; confirmed bookings get rows for the new ones."""
    from ..selectors import can_manage_activity

    if not can_manage_activity(user=actor, activity=activity):
        raise PermissionDenied
    try:
        leads = sorted({int(m) for m in lead_minutes}, reverse=True)
    except (TypeError, ValueError):
        leads = [-1]
    if any(not 10 <= m <= 14 * 24 * 60 for m in leads):
        raise ValidationError(
            {"lead_minutes": _("A reminder is sent between 10 minutes and 14 days before the start.")},
            code="bad_lead",
        )
    now = now or timezone.now()
    with transaction.atomic(), set_actor(actor):
        Activity.objects.select_for_update().filter(pk=activity.pk).first()
        activity.reminder_rules.exclude(lead_minutes__in=leads).delete()
        for m in leads:
            ReminderRule.objects.get_or_create(activity=activity, lead_minutes=m)
        reminders_refresh_for(activity=activity, now=now)
    return list(activity.reminder_rules.all())


def reminders_refresh_for(*, activity: Activity, now: datetime.datetime | None = None) -> int:
    """After the activity's lead times changed (by ``reminder_rules_set`` or in the admin): cancel
    pending reminders at lead times no longer wanted, create the rows for new ones. Returns the rows
    cancelled."""
    now = now or timezone.now()
    wanted = reminder_leads(activity=activity)
    with transaction.atomic():
        cancelled = (
            Reminder.objects.filter(booking__activity=activity, state=ReminderState.PENDING)
            .exclude(lead_minutes__in=wanted)
            .update(state=ReminderState.CANCELLED, reason="lead time removed")
        )
        _fill(now=now, activity_ids=[activity.pk], only_missing=False, horizon=None)
    return cancelled


# --- creating the rows --------------------------------------------------------------------------


def _fill(
    *,
    now: datetime.datetime,
    activity_ids: Sequence[int] | None = None,
    booking_ids: Sequence[int] | None = None,
    only_missing: bool = True,
    horizon: datetime.timedelta | None,
) -> int:
    """Insert the reminder rows missing for confirmed bookings of upcoming sessions; returns how many
    rows were offered to the database (conflicting ones are left alone)."""
    confirmed = Registration.objects.filter(status=RegistrationStatus.CONFIRMED)
    if activity_ids is not None:
        confirmed = confirmed.filter(activity_id__in=activity_ids)
    if booking_ids is not None:
        confirmed = confirmed.filter(booking_id__in=booking_ids)
    session_q = Q(cancelled=False, starts_at__gt=now)
    if horizon is not None:
        session_q &= Q(starts_at__lte=now + horizon)

    # (booking, session, activity, starts, confirmed since) for bookings of one session ...
    per_session = confirmed.filter(
        session__isnull=False,
        session__cancelled=False,
        session__starts_at__gt=now,
        **({"session__starts_at__lte": now + horizon} if horizon is not None else {}),
    )
    if only_missing:
        per_session = per_session.exclude(
            Exists(
                Reminder.objects.filter(booking_id=OuterRef("booking_id"), session_id=OuterRef("session_id"))
            )
        )
    pairs = [
        (r["booking_id"], r["session_id"], r["activity_id"], r["session__starts_at"], r["since"])
        for r in per_session.order_by()
        .values("booking_id", "session_id", "activity_id", "session__starts_at")
        .annotate(since=Min("updated_at"))
    ]
    # ... and for course bookings, one pair per upcoming meeting of the course.
    course_sessions = Session.objects.filter(session_q, activity__registration_scope=RegistrationScope.COURSE)
    if activity_ids is not None:
        course_sessions = course_sessions.filter(activity_id__in=activity_ids)
    if booking_ids is not None:
        course_sessions = course_sessions.filter(activity__bookings__in=booking_ids)
    meetings: dict[int, list[tuple[int, datetime.datetime]]] = defaultdict(list)
    for pk, activity_id, starts in course_sessions.distinct().values_list("pk", "activity_id", "starts_at"):
        meetings[activity_id].append((pk, starts))
    if meetings:
        course_regs = (
            confirmed.filter(session__isnull=True, activity_id__in=list(meetings))
            .order_by()
            .values("booking_id", "activity_id")
            .annotate(since=Min("updated_at"))
        )
        existing = set()
        if only_missing:
            session_ids = [pk for rows in meetings.values() for pk, _starts in rows]
            existing = set(
                Reminder.objects.filter(session_id__in=session_ids)
                .values_list("booking_id", "session_id")
                .distinct()
            )
        for r in course_regs:
            for session_id, starts in meetings[r["activity_id"]]:
                if (r["booking_id"], session_id) not in existing:
                    pairs.append((r["booking_id"], session_id, r["activity_id"], starts, r["since"]))
    if not pairs:
        return 0
    leads = _leads_by_activity(p[2] for p in pairs)
    rows = []
    for booking_id, session_id, activity_id, starts, since in pairs:
        for lead in leads[activity_id]:
            due = reminder_due_at(starts_at=starts, lead_minutes=lead)
            late = since is not None and since >= due
            rows.append(
                Reminder(
                    booking_id=booking_id,
                    session_id=session_id,
                    lead_minutes=lead,
                    due_at=due,
                    state=ReminderState.SKIPPED if late else ReminderState.PENDING,
                    reason="booked after it was due" if late else "",
                )
            )
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def reminders_schedule_for(
    *,
    registration: Registration | None = None,
    booking: Booking | None = None,
    booking_ids: Sequence[int] | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """Create the reminder rows of a booking (or of ``booking_ids``, e.g. a lottery's winners) whose
    seats are confirmed. The booking services call it in their own transaction the moment a place is
    confirmed (a booking with a seat, an accepted offer, a lottery win); safe to call again (the rows'
    unique key and ``ON CONFLICT DO NOTHING``). Returns the rows offered to the database."""
    if booking_ids is not None:
        ids = list(booking_ids)
    elif booking is not None:
        ids = [booking.pk]
    elif registration is not None:
        ids = [registration.booking_id]
    else:
        raise ValueError("reminders_schedule_for needs a registration, a booking or booking ids")
    if not ids:
        return 0
    return _fill(now=now or timezone.now(), booking_ids=ids, only_missing=False, horizon=None)


def reminders_schedule_new(*, booking: Booking, session: Session | None, now: datetime.datetime) -> int:
    """The reminder rows of a booking just made with a confirmed seat in ``session``: what
    ``reminders_schedule_for`` would write, from what the booking service already holds (the session and
    the moment), so one query for the activity's lead times and one INSERT. A course booking (no
    session) takes the general path, one row set per meeting."""
    if session is None:
        return reminders_schedule_for(booking=booking, now=now)
    if session.cancelled or session.starts_at <= now:
        return 0
    rows = []
    for lead in _leads_by_activity([booking.activity_id])[booking.activity_id]:
        due = reminder_due_at(starts_at=session.starts_at, lead_minutes=lead)
        late = now >= due
        rows.append(
            Reminder(
                booking_id=booking.pk,
                session_id=session.pk,
                lead_minutes=lead,
                due_at=due,
                state=ReminderState.SKIPPED if late else ReminderState.PENDING,
                reason="booked after it was due" if late else "",
            )
        )
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def reminders_fill(*, now: datetime.datetime | None = None) -> int:
    """The scan's first step: rows missing for confirmed bookings of sessions starting soon enough for
    any reminder (the longest lead time in use plus a day)."""
    now = now or timezone.now()
    longest = max(ReminderRule.objects.aggregate(m=Max("lead_minutes"))["m"] or 0, *DEFAULT_REMINDER_LEADS)
    return _fill(now=now, horizon=datetime.timedelta(minutes=longest) + FILL_MARGIN)


def reminders_cancel_for(
    *, booking: Booking | None = None, session: Session | None = None, reason: str = ""
) -> int:
    """Cancel pending reminders: every one of a cancelled ``session``; those of a ``booking`` (for that
    session, when given) with nobody confirmed any more. The scan re-checks anyway at send time."""
    if booking is None and session is None:
        raise ValueError("reminders_cancel_for needs a booking or a session")
    qs = Reminder.objects.filter(state=ReminderState.PENDING)
    if session is not None:
        qs = qs.filter(session=session)
    if booking is not None:
        qs = qs.filter(booking=booking).exclude(
            Exists(
                Registration.objects.filter(
                    booking_id=OuterRef("booking_id"), status=RegistrationStatus.CONFIRMED
                ).filter(Q(session_id=OuterRef("session_id")) | Q(session__isnull=True))
            )
        )
        reason = reason or "nobody confirmed"
    else:
        reason = reason or "session cancelled"
    return qs.update(state=ReminderState.CANCELLED, reason=reason[:200])


# --- sending ------------------------------------------------------------------------------------


def _claim(*, now: datetime.datetime, limit: int) -> list[Reminder]:
    qs = (
        Reminder.objects.due(now)
        .select_related("session", "booking__activity", "booking__session", "booking__booked_by__person")
        .order_by("due_at", "id")
    )
    if CLAIM_LOCKING:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs[:limit])


def _verdict(reminder: Reminder, persons, others, now) -> tuple[str, str]:
    """(state, reason) for a claimed reminder: send it, or why not."""
    session = reminder.session
    if session.cancelled:
        return ReminderState.CANCELLED, "session cancelled"
    if not persons:
        return ReminderState.CANCELLED, "nobody confirmed"
    if session.starts_at <= now:
        return ReminderState.SKIPPED, "session already started"
    for other in others:
        if other.lead_minutes < reminder.lead_minutes and other.due_at <= now:
            return ReminderState.SKIPPED, "a later reminder is due as well"
        if other.state == ReminderState.SENT and other.sent_at and other.sent_at >= reminder.due_at:
            return ReminderState.SKIPPED, "another reminder went out after this one was due"
    return ReminderState.SENT, ""


def _send_batch(*, now: datetime.datetime, limit: int) -> tuple[int, int]:
    """One transaction: claim up to ``limit`` due rows, decide, enqueue, mark. (claimed, sent)."""
    with transaction.atomic():
        batch = _claim(now=now, limit=limit)
        if not batch:
            return 0, 0
        booking_ids = {r.booking_id for r in batch}
        session_ids = {r.session_id for r in batch}
        confirmed: dict[int, list[Registration]] = defaultdict(list)
        for reg in (
            Registration.objects.filter(booking_id__in=booking_ids, status=RegistrationStatus.CONFIRMED)
            .select_related("person__user")
            .order_by("id")
        ):
            confirmed[reg.booking_id].append(reg)
        # those who act for the people without an account, for the whole batch in one query
        holders = acting_for_by_person(
            person_ids={r.person_id for regs in confirmed.values() for r in regs if not r.person.user_id}
        )
        others: dict[tuple[int, int], list[Reminder]] = defaultdict(list)
        for other in Reminder.objects.filter(booking_id__in=booking_ids, session_id__in=session_ids).only(
            "booking_id", "session_id", "lead_minutes", "due_at", "state", "sent_at"
        ):
            others[(other.booking_id, other.session_id)].append(other)

        course_ids = {r.booking.activity_id for r in batch if r.booking.activity.is_course}
        first_starts = (
            dict(
                Session.objects.filter(activity_id__in=course_ids, cancelled=False)
                .order_by()
                .values("activity_id")
                .annotate(first=Min("starts_at"))
                .values_list("activity_id", "first")
            )
            if course_ids
            else {}
        )

        outcome: dict[tuple[str, str], list[int]] = defaultdict(list)
        to_send: list[tuple[Reminder, list[dict]]] = []
        for reminder in batch:
            regs = [
                r
                for r in confirmed.get(reminder.booking_id, [])
                if r.session_id is None or r.session_id == reminder.session_id
            ]
            peers = [o for o in others[(reminder.booking_id, reminder.session_id)] if o.pk != reminder.pk]
            state, reason = _verdict(reminder, [r.person for r in regs], peers, now)
            if state == ReminderState.SENT:
                to_send.append(
                    (
                        reminder,
                        _reminder_items(
                            reminder=reminder,
                            registrations=regs,
                            now=now,
                            first_starts=first_starts,
                            holders=holders,
                        ),
                    )
                )
                # later rows of this batch see it as sent
                reminder.state, reminder.sent_at = ReminderState.SENT, now
            else:
                outcome[(state, reason)].append(reminder.pk)
        errors = _enqueue_reminders(to_send)
        for reminder, _items in to_send:
            error = errors.get(reminder.pk)
            if error is None:
                outcome[(ReminderState.SENT, "")].append(reminder.pk)
            else:
                logger.warning("Reminder %s not sent: %s", reminder.pk, error)
                outcome[(ReminderState.SKIPPED, f"error: {error}"[:200])].append(reminder.pk)

        sent = 0
        for (state, reason), ids in outcome.items():
            fields = {"state": state, "reason": reason}
            if state == ReminderState.SENT:
                fields["sent_at"] = now
            n = Reminder.objects.filter(pk__in=ids, state=ReminderState.PENDING).update(**fields)
            if state == ReminderState.SENT:
                sent += n
    return len(batch), sent


def _reminder_items(
    *,
    reminder: Reminder,
    registrations: list[Registration],
    now: datetime.datetime,
    first_starts: dict,
    holders: dict | None = None,
) -> list[dict]:
    """The outbox items of one reminder: one message per recipient of the booking (see
    ``_recipients``), due now (quiet hours apply). ``first_starts``: a course's first meeting."""
    booking, session = reminder.booking, reminder.session
    activity = booking.activity
    if activity.is_course:
        # A course seat is given back before its first meeting; usually long past by the reminder.
        first = first_starts.get(activity.pk)
        deadline = first - datetime.timedelta(hours=activity.cancel_hours_before) if first else None
    else:
        deadline = session.starts_at - datetime.timedelta(hours=activity.cancel_hours_before)
    for reg in registrations:
        reg.booking = booking  # already loaded with the reminder
    context = {
        "activity": activity.title,
        "when": _fmt(session.starts_at),
        "place": session.place or activity.place,
        "persons": "、".join(r.person.name for r in registrations),
        # midnight written as the end of the day before, in the recipient's language (events.deadline)
        "cancel_until": DeadlineText(deadline) if deadline is not None and deadline > now else "",
        "lead_minutes": reminder.lead_minutes,
    }
    return [
        {
            "key": f"events.reminder:{reminder.pk}:{who}",
            "template": "events.reminder",
            "context": context,
            "not_before": now,
            **target,
        }
        for who, target in _recipients(registrations, holders=holders).items()
    ]


def _enqueue_reminders(to_send: list[tuple[Reminder, list[dict]]]) -> dict[int, Exception]:
    """Enqueue the messages of a batch of reminders in one bulk call (a constant number of queries);
    a reminder any of whose messages cannot be enqueued sends none of them. Returns those errors."""
    errors: dict[int, Exception] = {}
    while True:
        items: list[dict] = []
        owners: list[Reminder] = []
        for reminder, its in to_send:
            if reminder.pk not in errors:
                items.extend(its)
                owners.extend([reminder] * len(its))
        try:
            message_enqueue_many(items=items)
        except NotifyBatchError as exc:
            # nothing was written: drop the reminders that failed, enqueue the rest
            for index, error in exc.failures.items():
                errors.setdefault(owners[index].pk, error)
            continue
        return errors


def reminders_send_due(
    *, now: datetime.datetime | None = None, batch_size: int = BATCH_SIZE, max_batches: int = 100
) -> int:
    """The scan's second step: send every due reminder, batch by batch (each batch its own transaction,
    so concurrent scans share the work). Returns the number of reminders this call sent."""
    now = now or timezone.now()
    sent = 0
    for _i in range(max_batches):
        claimed, n = _send_batch(now=now, limit=batch_size)
        sent += n
        if claimed < batch_size:
            break
    return sent


def reminders_scan(*, now: datetime.datetime | None = None) -> int:
    """The periodic task's body: create missing rows, cancel those of cancelled sessions, send due ones."""
    now = now or timezone.now()
    reminders_fill(now=now)
    Reminder.objects.filter(state=ReminderState.PENDING, session__cancelled=True).update(
        state=ReminderState.CANCELLED, reason="session cancelled"
    )
    return reminders_send_due(now=now)


# --- a message from staff to everyone booked ----------------------------------------------------


def _recipients(registrations: Iterable[Registration], *, holders: dict | None = None) -> dict[str, dict]:
    """Who hears about these registrations: the engine's one rule, ``_messages.recipients_for`` (the
    resident who booked, each person's own account, those who act for a person without one)."""
    return recipients_for(((reg.booking, reg.person) for reg in registrations), holders=holders)


def _message_target_lock(*, activity: Activity, session: Session | None) -> None:
    """Lock the row of what a staff message is sent to (the session; the activity for a course or a
    message to the whole activity), so that two tabs sending at once decide one after the other."""
    if session is not None and not activity.is_course:
        qs = Session.objects.filter(pk=session.pk)
    else:
        qs = Activity.objects.filter(pk=activity.pk)
    if _pool.LOCKING:
        qs = qs.select_for_update()
    list(qs.values_list("pk", flat=True))


def _message_recipients(
    *, activity: Activity, session: Session | None, include_waitlist: bool, now: datetime.datetime
) -> dict[str, dict]:
    statuses = list(SEATED_STATUSES) + ([RegistrationStatus.WAITLISTED] if include_waitlist else [])
    regs = Registration.objects.filter(activity=activity, status__in=statuses)
    if activity.is_course:
        regs = regs.filter(session__isnull=True)
    elif session is not None:
        regs = regs.filter(session=session)
    else:
        regs = regs.filter(session__cancelled=False, session__starts_at__gt=now)
    return _recipients(regs.select_related("booking__booked_by__person", "person__user").order_by("id"))


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _same_message_sent_recently(
    *, activity: Activity, session: Session | None, text: str, now: datetime.datetime
) -> StaffMessage | None:
    """The latest message with the same text (whitespace aside) sent to the same place within
    ``STAFF_MESSAGE_REPEAT_WINDOW``: the same session, or the activity (a course: any of its meetings,
    which all reach the same people). Whether the waitlist was included does not matter: those booked
    heard it either way."""
    recent = StaffMessage.objects.filter(activity=activity, created_at__gt=now - STAFF_MESSAGE_REPEAT_WINDOW)
    if not activity.is_course:
        recent = (
            recent.filter(session=session) if session is not None else recent.filter(session__isnull=True)
        )
    wanted = _normalised(text)
    for previous in recent.order_by("-created_at", "-id").only("text", "recipients", "created_at"):
        if _normalised(previous.text) == wanted:
            return previous
    return None


def _repeat_refusal(*, previous: StaffMessage, now: datetime.datetime) -> ValidationError:
    sent = timezone.localtime(previous.created_at, SHANGHAI)
    today = timezone.localtime(now, SHANGHAI).date()
    when = sent.strftime("%H:%M") if sent.date() == today else sent.strftime("%Y-%m-%d %H:%M")
    message = ngettext(
        "This message was already sent at %(when)s to %(n)d person. Send it again?",
        "This message was already sent at %(when)s to %(n)d people. Send it again?",
        previous.recipients,
    )
    return ValidationError(
        {"text": ValidationError(message, code="repeat", params={"when": when, "n": previous.recipients})}
    )


def session_message_send(
    *,
    actor,
    session: Session | None = None,
    activity: Activity | None = None,
    text: str,
    request_key: str = "",
    include_waitlist: bool = False,
    confirm_repeat: bool = False,
    now: datetime.datetime | None = None,
) -> int:
    """Tell everyone booked on ``session`` (or on every upcoming session of ``activity``, or on the
    course) the staff member's ``text``, through the outbox (template ``staff.notice``). Only staff who
    manage the activity may. Returns the number of recipients (a family is told once).

    ``request_key`` (e.g. the form's one-time token): sending again with the same key sends nothing and
    returns the first count. ``include_waitlist`` also tells those waiting.

    The same text sent to the same place within ``STAFF_MESSAGE_REPEAT_WINDOW`` (a reload of the form
    makes a new key) is refused with code ``repeat``, saying when it went out and to how many, unless
    ``confirm_repeat``. The check and the write happen under a lock on the session's (or the
    activity's) row, so two tabs at once cannot both pass it."""
    from ..selectors import can_manage_activity

    if session is None and activity is None:
        raise ValueError("session_message_send needs a session or an activity")
    if session is not None:
        if activity is not None and session.activity_id != activity.pk:
            raise ValidationError(_("This session belongs to another activity."), code="wrong_session")
        activity = session.activity
    if not can_manage_activity(user=actor, activity=activity):
        raise PermissionDenied
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the message to send.")}, code="empty")
    if len(text) > STAFF_MESSAGE_MAX:
        raise ValidationError(
            {
                "text": _("Keep the message to %(max)d characters (it has %(n)d).")
                % {"max": STAFF_MESSAGE_MAX, "n": len(text)}
            },
            code="too_long",
        )
    request_key = (request_key or "")[:64]
    now = now or timezone.now()
    title = activity.title + (f" {_fmt(session.starts_at)}" if session is not None else "")
    try:
        with transaction.atomic(), set_actor(actor):
            _message_target_lock(activity=activity, session=session)
            if request_key:
                done = StaffMessage.objects.filter(request_key=request_key).first()
                if done is not None:
                    return done.recipients
            recipients = _message_recipients(
                activity=activity, session=session, include_waitlist=include_waitlist, now=now
            )
            if not recipients:
                raise ValidationError(_("Nobody is booked yet: there is nobody to tell."), code="nobody")
            if not confirm_repeat:
                previous = _same_message_sent_recently(activity=activity, session=session, text=text, now=now)
                if previous is not None:
                    raise _repeat_refusal(previous=previous, now=now)
            _pool.race_pause()
            message = StaffMessage.objects.create(
                activity=activity,
                session=session,
                sent_by=actor,
                text=text,
                recipients=len(recipients),
                request_key=request_key,
            )
            # one batch, at a constant number of queries however many families are told
            # the SMS has no subject line: its text names the activity and the session (staff.notice)
            when = _fmt(session.starts_at) if session is not None else ""
            context = {"title": title, "text": text, "activity": activity.title, "when": when}
            message_enqueue_many(
                items=[
                    {
                        "key": f"events.staff_message:{message.pk}:{who}",
                        "template": "staff.notice",
                        "context": context,
                        **target,
                    }
                    for who, target in recipients.items()
                ]
            )
    except IntegrityError:
        # the same request, sent at the same moment by a double click: the first one wins
        done = StaffMessage.objects.filter(request_key=request_key).first() if request_key else None
        if done is None:
            raise
        return done.recipients
    return len(recipients)


__all__ = [
    "reminder_due_at",
    "reminder_leads",
    "reminder_rules_set",
    "reminders_cancel_for",
    "reminders_fill",
    "reminders_refresh_for",
    "reminders_scan",
    "reminders_schedule_for",
    "reminders_send_due",
    "session_message_send",
]
