"""Writes for notify: enqueue, deliver (claim → send → mark), retry, cancel, recover; preferences; read.

Exactly once: ``message_deliver`` claims a row with ``UPDATE ... SET status='sending' WHERE
status='pending'`` and only the one caller that updated the row sends it. Before it calls the provider it
records the hand-over (``handed_at``, committed). Then:

- the provider answers: the row is sent (if the database is away at that moment, the task comes back with
  the provider's id and only marks the row);
- the provider refuses, or the connection was never made: nothing is on its way; a retryable failure
  releases the claim (back to pending, ``not_before`` pushed out by an exponential backoff);
- no answer (a read timeout, a dropped connection, a server error) or a worker that died after the
  hand-over: the outcome is *unknown* and the row says so. ``message_settle`` asks the provider
  (``query_sent``: Aliyun's QuerySendDetails by phone, date and the row's id as ``OutId``) and sends again
  only when the provider has no record. A provider that cannot be asked gets at most one resend
  (``blind_resends``) and the row says so.

A worker that died before the hand-over leaves the row in "sending" without ``handed_at``:
``messages_recover_stuck`` releases it. Codes (``message_send_code``) take a fast lane: their own queue,
no quiet hours, and never sent once expired.
"""

from __future__ import annotations

import dataclasses
import logging
import smtplib
from datetime import datetime, time, timedelta
from email.utils import make_msgid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.mail import EmailMessage
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Channel, ContactPreference, Message, MessageStatus, MessageTemplate
from .selectors import contact_preference_for

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: Tuning, overridable in settings.
MAX_ATTEMPTS = getattr(settings, "NOTIFY_MAX_ATTEMPTS", 5)
BACKOFF_BASE_SECONDS = getattr(settings, "NOTIFY_BACKOFF_BASE_SECONDS", 60)
BACKOFF_MAX_SECONDS = getattr(
    settings, "NOTIFY_BACKOFF_MAX_SECONDS", 30 * 60
)  # below Redis' visibility timeout
#: A row "sending" for longer than this was left by a worker that died (a send holds a row for at most the
#: task's time limit, NOTIFY_SEND_TIME_LIMIT, well below it).
STUCK_AFTER = timedelta(seconds=getattr(settings, "NOTIFY_STUCK_SECONDS", 120))
#: An unknown outcome is asked about this long after the hand-over (the provider has its record by then).
SETTLE_AFTER = timedelta(seconds=getattr(settings, "NOTIFY_SETTLE_SECONDS", 30))
#: A due row queued longer ago than this and still pending lost its task (a broker restart, a dead worker).
REQUEUE_AFTER = timedelta(seconds=getattr(settings, "NOTIFY_REQUEUE_SECONDS", 60))
#: The fast lane's Celery queue (codes), consumed by a worker of its own in production.
URGENT_QUEUE = getattr(settings, "NOTIFY_URGENT_QUEUE", "urgent")


class NotifyError(Exception):
    """A domain error with a translated message."""


# --- Rendering ----------------------------------------------------------------------------------


def _language_of(user) -> str:
    lang = (getattr(user, "language", "") or "").lower() if user is not None else ""
    return "en" if lang.startswith("en") else "zh-hans"


def _render(source: str, context: dict, language: str) -> str:
    if not source:
        return ""
    with translation.override(language):
        return Template(source).render(Context(context, autoescape=False))


def _provider_params(context: dict) -> dict[str, str]:
    """The simple values of the context, as strings: what an SMS provider template can take."""
    return {
        str(k): str(v)
        for k, v in context.items()
        if isinstance(v, str | int | float) and not isinstance(v, bool)
    }


# --- Quiet hours --------------------------------------------------------------------------------


def _row_not_before(*, channel, due: datetime, pref, not_before: datetime | None) -> datetime | None:
    """When a message row may go: an SMS waits for the end of the person's quiet hours."""
    if channel == Channel.SMS:
        return quiet_hours_end(due=due, start=pref.quiet_start, end=pref.quiet_end) or not_before
    return not_before


def quiet_hours_end(*, due: datetime, start: time | None, end: time | None) -> datetime | None:
    """When ``due`` falls inside the quiet hours [start, end) (Asia/Shanghai), the moment they end."""
    if start is None or end is None or start == end:
        return None
    local = due.astimezone(SHANGHAI)
    t = local.time()
    day = local.date()
    if start < end:  # e.g. 12:00-14:00
        if start <= t < end:
            return datetime.combine(day, end, tzinfo=SHANGHAI)
        return None
    # across midnight, e.g. 21:00-08:00
    if t >= start:
        return datetime.combine(day + timedelta(days=1), end, tzinfo=SHANGHAI)
    if t < end:
        return datetime.combine(day, end, tzinfo=SHANGHAI)
    return None


# --- Enqueue ------------------------------------------------------------------------------------


def _person_of(user):
    try:
        return user.person
    except ObjectDoesNotExist:
        return None


def _address_for(channel: str, *, user, person) -> str:
    if channel == Channel.SMS:
        phone = (user.phone if user is not None else None) or (person.phone if person is not None else None)
        if not phone:
            return ""
        return getattr(phone, "as_e164", None) or str(phone)
    if channel == Channel.EMAIL:
        return user.email if user is not None else ""
    return ""


def _mark_unpublished(calls: list[tuple]) -> None:
    """The broker did not take these sends: clear ``queued_at`` so the next scan (within a minute of the
    broker's return) queues them, instead of taking them for in-flight until REQUEUE_AFTER."""
    ids = [args[0] for args in calls]
    Message.objects.filter(pk__in=ids, status=MessageStatus.PENDING).update(queued_at=None)
    logger.warning("Broker unreachable: %s message(s) left for the next scan", len(ids))


def _queue_send(message_ids: list[int], *, urgent: bool = False) -> None:
    """Publish the sends (``portal.tasks.publish_many``), codes on the fast lane's queue: a broker error
    never raises, it leaves the rows for the next scan."""
    from portal.tasks import publish_many

    from .tasks import send_message

    options = {"queue": URGENT_QUEUE} if urgent else {}
    missed = publish_many(send_message, [(pk,) for pk in message_ids], **options)
    if missed:
        try:
            _mark_unpublished(missed)
        except DatabaseError:
            logger.exception("Could not mark %s unpublished message(s)", len(missed))


def _queue_send_on_commit(message_ids: list[int], *, urgent: bool = False) -> None:
    """Publish the sends once the transaction commits; a broker outage never fails the request."""
    transaction.on_commit(lambda: _queue_send(message_ids, urgent=urgent))


def _urgent_among(ids: list[int]) -> set[int]:
    """Which of these rows take the fast lane (codes)."""
    return set(Message.objects.filter(pk__in=ids, urgent=True).values_list("pk", flat=True))


def _queue_rows(ids: list[int]) -> None:
    """Publish the sends of these rows, each on its lane."""
    if not ids:
        return
    urgent = _urgent_among(ids)
    normal = [pk for pk in ids if pk not in urgent]
    if urgent:
        _queue_send([pk for pk in ids if pk in urgent], urgent=True)
    if normal:
        _queue_send(normal)


def message_send_code(
    *,
    key: str,
    user,
    phone: str,
    text: str,
    sms_template_code: str = "",
    params: dict | None = None,
    valid_for: timedelta,
) -> Message:
    """Queue a one-time code (sign-up, sign-in, a new number, a password reset) by SMS on the fast lane.

    One SMS row to ``phone`` for ``user``: ``text`` is already rendered in the request's language,
    ``params`` go to the provider's approved template (``sms_template_code``). The row bypasses quiet
    hours and the SMS-off preference (the person asked for the code), goes to its own queue, and is never
    sent after ``valid_for`` (a late code is worse than none: it is cancelled). Nothing is sent in the
    request: the send is queued after commit, and a broker outage leaves the row to the next scan.
    ``key`` must be unique per code (and must not contain it); the same key again returns the row already
    there and sends nothing new.
    """
    from portal.accounts.phone import parse_cn_mobile

    if not key:
        raise ValueError("message_send_code needs a key")
    if user is None or not getattr(user, "pk", None):
        raise ValueError("message_send_code needs a saved user")
    address = parse_cn_mobile(str(phone)) if phone else None
    if not address:
        raise ValueError("message_send_code needs a mobile number")
    now = timezone.now()
    with transaction.atomic():
        message, created = Message.objects.get_or_create(
            key=key,
            defaults={
                "user": user,
                "person": _person_of(user),
                "channel": Channel.SMS,
                "address": address,
                "language": _code_language() if translation.get_language() else _language_of(user),
                "subject": "",
                "body": text,
                "sms_template_code": sms_template_code or "",
                "params": {str(k): str(v) for k, v in (params or {}).items()},
                "status": MessageStatus.PENDING,
                "urgent": True,
                "expires_at": now + valid_for,
                "queued_at": now,
            },
        )
        if created:
            _queue_send_on_commit([message.pk], urgent=True)
    return message


def _code_language() -> str:
    """The language the code's text was rendered in: the request's."""
    return "en" if (translation.get_language() or "").lower().startswith("en") else "zh-hans"


def message_enqueue(
    *,
    key: str,
    template: str,
    context: dict,
    person=None,
    user=None,
    channels: list[str] | None = None,
    not_before: datetime | None = None,
    safety: bool = False,
) -> list[Message]:
    """Create the outbox rows for one message to one recipient, one row per channel, and queue the sends.

    ``key`` says what, to whom and why (``"account.welcome:user:42"``); each row's key adds the channel
    (``"account.welcome:user:42:sms"``) and is unique, so enqueuing the same key again returns the rows
    already there and sends nothing new. ``template`` is a ``MessageTemplate.code``; an unknown or
    inactive template sends nothing (logged). ``channels`` defaults to every channel the recipient's
    preference enables; channels she has turned off, or that have no address (no e-mail, no account for
    the inbox), are left out. SMS due inside the recipient's quiet hours waits until they end.
    The send task is queued only after the transaction commits; rows due later wait for the periodic scan.

    ``safety`` is for a message about someone's safety that cannot wait (a child's pickup refused at the
    door): it goes at once on the urgent queue, past the quiet hours, on every channel asked for that has
    an address, whatever the preference has turned off.
    """
    if not key:
        raise ValueError("message_enqueue needs a key")
    if user is None and person is None:
        raise ValueError("message_enqueue needs a user or a person")
    if user is None and person is not None and person.user_id:
        user = person.user
    if person is None and user is not None:
        person = _person_of(user)
    tmpl = MessageTemplate.objects.filter(code=template).first()
    if tmpl is None or not tmpl.active:
        logger.warning(
            "Message template %r is %s: nothing sent for %s", template, "inactive" if tmpl else "missing", key
        )
        return []

    pref = contact_preference_for(user=user, person=person)
    enabled = set(Channel.values) if safety else set(pref.enabled_channels())
    wanted = list(dict.fromkeys(channels)) if channels is not None else [c.value for c in Channel]
    unknown = [c for c in wanted if c not in Channel.values]
    if unknown:
        raise ValueError(f"Unknown channel(s): {unknown}")

    language = _language_of(user)
    base_context = {
        "community": settings.COMMUNITY_NAME,
        "recipient_name": (user.get_short_name() if user is not None else person.name),
    }
    full_context = {**base_context, **context}
    subject_src, body_src = tmpl.source_for(language)
    try:
        subject = " ".join(_render(subject_src, full_context, language).split())[:200]
        body = _render(body_src, full_context, language).strip()
    except TemplateSyntaxError as exc:
        raise NotifyError(
            _("The message template %(code)s cannot be rendered.") % {"code": tmpl.code}
        ) from exc
    now = timezone.now()
    due = not_before or now

    rows: list[Message] = []
    to_queue: list[int] = []
    with transaction.atomic():
        for channel in wanted:
            if channel not in enabled:
                continue
            if channel == Channel.INBOX and user is None:
                continue
            address = _address_for(channel, user=user, person=person)
            if channel != Channel.INBOX and not address:
                continue
            row_not_before = (
                not_before
                if safety
                else _row_not_before(channel=channel, due=due, pref=pref, not_before=not_before)
            )
            inbox_now = channel == Channel.INBOX and (row_not_before is None or row_not_before <= now)
            message, created = Message.objects.get_or_create(
                key=f"{key}:{channel}",
                defaults={
                    "template": tmpl,
                    "user": user,
                    "person": person,
                    "channel": channel,
                    "address": address,
                    "language": language,
                    "subject": subject,
                    "body": body,
                    "sms_template_code": tmpl.sms_template_code if channel == Channel.SMS else "",
                    "params": _provider_params(full_context) if channel == Channel.SMS else {},
                    # The inbox row is the delivery: it is "sent" the moment it is due.
                    "status": MessageStatus.SENT if inbox_now else MessageStatus.PENDING,
                    "sent_at": now if inbox_now else None,
                    "not_before": row_not_before,
                    "queued_at": now
                    if not inbox_now and (row_not_before is None or row_not_before <= now)
                    else None,
                },
            )
            rows.append(message)
            if created and message.queued_at is not None:
                to_queue.append(message.pk)
        if to_queue:
            _queue_send_on_commit(to_queue, urgent=safety)
    return rows


class NotifyBatchError(NotifyError):
    """Some items of a ``message_enqueue_many`` batch cannot be enqueued; nothing was written.

    ``failures`` maps the index of each failing item to its error (a ``NotifyError`` for a template
    that cannot be rendered, a ``ValueError`` for a malformed item)."""

    def __init__(self, failures: dict[int, Exception]):
        self.failures = failures
        super().__init__("; ".join(f"item {i}: {exc}" for i, exc in sorted(failures.items())))


def _phone_address(phone) -> str:
    """``_address_for``'s SMS address of one phone value, formatting it once instead of three times
    (a phone number is falsy when it formats to nothing)."""
    if phone is None or isinstance(phone, str):
        return phone or ""
    return getattr(phone, "as_e164", None) or ""


def _fields_cached(instance, name: str) -> bool:
    return instance._meta.get_field(name).is_cached(instance)


def _default_preference(*, user, person) -> ContactPreference:
    """The unsaved default of ``contact_preference_for`` (60+: quiet 21:00-08:00)."""
    from .models import ELDER_QUIET_AGE, ELDER_QUIET_END, ELDER_QUIET_START

    pref = ContactPreference(user=user, person=None if user is not None else person)
    age = person.age if person is not None else None
    if age is not None and age >= ELDER_QUIET_AGE:
        pref.quiet_start, pref.quiet_end = ELDER_QUIET_START, ELDER_QUIET_END
    return pref


#: ``message_enqueue_many`` looks keys up this many at a time.
KEY_CHUNK = 5000


def message_enqueue_many(*, items) -> list[list[Message]]:
    """``message_enqueue`` for a batch, at a constant number of queries whatever its size.

    ``items`` is a sequence of mappings with ``message_enqueue``'s keyword arguments (``key``,
    ``template``, ``context``, ``person`` / ``user``, optional ``channels`` and ``not_before``). Returns,
    for each item, its rows (those already there included), like ``message_enqueue``; the same
    semantics: one row per enabled channel with an address, keys unique (an item enqueued before
    adds nothing and sends nothing), the recipient's language, quiet hours for SMS, inactive or
    missing templates send nothing (logged), sends queued after commit.

    Every item is checked and rendered before anything is written: if any cannot be, nothing is
    written and ``NotifyBatchError`` says which (the caller may drop them and call again).

    Queries: templates, the users and resident records not already loaded, the preferences, the keys
    already there, the insert (``INSERT ... ON CONFLICT DO NOTHING`` in batches of 1,000) and the rows
    written, each once per call.
    """
    from portal.accounts.models import User
    from portal.community.models import Person

    items = list(items)
    if not items:
        return []
    failures: dict[int, Exception] = {}

    # Recipients: fill in the user of a person and the person of a user, in two queries at most.
    recipients: list[tuple] = []
    need_user: set[int] = set()
    need_person: set[int] = set()
    for i, item in enumerate(items):
        user, person = item.get("user"), item.get("person")
        if not item.get("key"):
            failures[i] = ValueError("message_enqueue needs a key")
        elif user is None and person is None:
            failures[i] = ValueError("message_enqueue needs a user or a person")
        if user is None and person is not None and person.user_id and not _fields_cached(person, "user"):
            need_user.add(person.user_id)
        if person is None and user is not None and not _fields_cached(user, "person"):
            need_person.add(user.pk)
    users = User.objects.in_bulk(need_user) if need_user else {}
    persons = {p.user_id: p for p in Person.objects.filter(user_id__in=need_person)} if need_person else {}
    for item in items:
        user, person = item.get("user"), item.get("person")
        if user is None and person is not None and person.user_id:
            user = person.user if _fields_cached(person, "user") else users.get(person.user_id)
        if person is None and user is not None:
            person = _person_of(user) if _fields_cached(user, "person") else persons.get(user.pk)
        recipients.append((user, person))

    # Templates and preferences, once each.
    templates = {
        t.code: t for t in MessageTemplate.objects.filter(code__in={item.get("template") for item in items})
    }
    user_ids = {u.pk for u, _p in recipients if u is not None}
    person_ids = {p.pk for _u, p in recipients if p is not None}
    by_user: dict[int, ContactPreference] = {}
    by_person: dict[int, ContactPreference] = {}
    if user_ids or person_ids:
        for pref in ContactPreference.objects.filter(Q(user_id__in=user_ids) | Q(person_id__in=person_ids)):
            if pref.user_id is not None:
                by_user[pref.user_id] = pref
            else:
                by_person[pref.person_id] = pref

    now = timezone.now()
    compiled: dict[str, Template] = {}
    planned: list[list[Message]] = []  # per item: the rows to write
    for i, item in enumerate(items):
        planned.append([])
        if i in failures:
            continue
        user, person = recipients[i]
        key, code = item["key"], item.get("template")
        tmpl = templates.get(code)
        if tmpl is None or not tmpl.active:
            logger.warning(
                "Message template %r is %s: nothing sent for %s", code, "inactive" if tmpl else "missing", key
            )
            continue
        channels = item.get("channels")
        wanted = list(dict.fromkeys(channels)) if channels is not None else [c.value for c in Channel]
        unknown = [c for c in wanted if c not in Channel.values]
        if unknown:
            failures[i] = ValueError(f"Unknown channel(s): {unknown}")
            continue
        pref = (
            (by_user.get(user.pk) if user is not None else None)
            or (by_person.get(person.pk) if person is not None else None)
            or _default_preference(user=user, person=person)
        )
        enabled = set(pref.enabled_channels())
        language = _language_of(user)
        full_context = {
            "community": settings.COMMUNITY_NAME,
            "recipient_name": (user.get_short_name() if user is not None else person.name),
            **(item.get("context") or {}),
        }
        subject_src, body_src = tmpl.source_for(language)
        try:
            with translation.override(language):
                subject = body = ""
                for which, source in (("subject", subject_src), ("body", body_src)):
                    if not source:
                        continue
                    if source not in compiled:
                        compiled[source] = Template(source)
                    text = compiled[source].render(Context(full_context, autoescape=False))
                    if which == "subject":
                        subject = " ".join(text.split())[:200]
                    else:
                        body = text.strip()
        except TemplateSyntaxError as exc:
            failures[i] = NotifyError(
                _("The message template %(code)s cannot be rendered.") % {"code": tmpl.code}
            )
            failures[i].__cause__ = exc
            continue
        not_before = item.get("not_before")
        due = not_before or now
        for channel in wanted:
            if channel not in enabled:
                continue
            if channel == Channel.INBOX and user is None:
                continue
            if channel == Channel.SMS:
                address = _phone_address(user.phone if user is not None else None) or (
                    _phone_address(person.phone) if person is not None else ""
                )
            else:
                address = _address_for(channel, user=user, person=person)
            if channel != Channel.INBOX and not address:
                continue
            row_not_before = _row_not_before(channel=channel, due=due, pref=pref, not_before=not_before)
            inbox_now = channel == Channel.INBOX and (row_not_before is None or row_not_before <= now)
            planned[i].append(
                Message(
                    key=f"{key}:{channel}",
                    template=tmpl,
                    user=user,
                    person=person,
                    channel=channel,
                    address=address,
                    language=language,
                    subject=subject,
                    body=body,
                    sms_template_code=tmpl.sms_template_code if channel == Channel.SMS else "",
                    params=_provider_params(full_context) if channel == Channel.SMS else {},
                    status=MessageStatus.SENT if inbox_now else MessageStatus.PENDING,
                    sent_at=now if inbox_now else None,
                    not_before=row_not_before,
                    queued_at=now
                    if not inbox_now and (row_not_before is None or row_not_before <= now)
                    else None,
                )
            )
    if failures:
        raise NotifyBatchError(failures)

    fresh: dict[str, Message] = {}
    for rows in planned:
        for m in rows:
            fresh.setdefault(m.key, m)  # a key given twice is written once
    if not fresh:
        return [[] for _item in items]

    def chunked(keys: list[str]):
        # a statement takes at most 65,535 parameters on PostgreSQL
        return (keys[i : i + KEY_CHUNK] for i in range(0, len(keys), KEY_CHUNK))

    with transaction.atomic():
        existing = [
            k
            for chunk in chunked(list(fresh))
            for k in Message.objects.filter(key__in=chunk).values_list("key", flat=True)
        ]
        already = set(existing)
        new_rows = [m for key, m in fresh.items() if key not in already]
        # ON CONFLICT DO NOTHING: a row enqueued at the same moment by another transaction wins.
        Message.objects.bulk_create(new_rows, ignore_conflicts=True, batch_size=1000)
        stored = {
            key: (pk, created_at)
            for chunk in chunked([m.key for m in new_rows])
            for key, pk, created_at in Message.objects.filter(key__in=chunk).values_list(
                "key", "id", "created_at"
            )
        }
        written: dict[str, Message] = {}
        for m in new_rows:
            pk, created_at = stored.get(m.key, (None, None))
            if pk is not None and created_at == m.created_at:  # ours: the insert stamped it just now
                m.pk = pk
                m._state.adding, m._state.db = False, Message.objects.db
                written[m.key] = m
        # Rows already there (the caller gets them as they are), or lost to a concurrent insert.
        others = existing + [m.key for m in new_rows if m.key in stored and m.key not in written]
        written.update((m.key, m) for chunk in chunked(others) for m in Message.objects.filter(key__in=chunk))
        to_queue = [m.pk for m in new_rows if written.get(m.key) is m and m.queued_at is not None]
        if to_queue:
            _queue_send_on_commit(to_queue)
    return [[written[m.key] for m in rows if m.key in written] for rows in planned]


def message_cancel(*, key: str) -> int:
    """Cancel the pending rows of ``key`` (every channel); returns how many were cancelled."""
    return Message.objects.filter(
        Q(key=key) | Q(key__in=[f"{key}:{c}" for c in Channel.values]), status=MessageStatus.PENDING
    ).update(status=MessageStatus.CANCELLED)


def messages_retry(*, message_ids: list[int]) -> int:
    """Put failed messages back in the queue with a fresh count of attempts (the admin action)."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.filter(pk__in=message_ids, status=MessageStatus.FAILED).values_list(
                "pk", flat=True
            )
        )
        updated = Message.objects.filter(pk__in=ids, status=MessageStatus.FAILED).update(
            status=MessageStatus.PENDING, attempts=0, not_before=None, queued_at=now, claimed_at=None
        )
        if ids:
            transaction.on_commit(lambda: _queue_rows(ids))
    return updated


# --- Delivery -----------------------------------------------------------------------------------


class DeliveryResult:
    SENT = "sent"
    SKIPPED = "skipped"  # somebody else holds or already sent it, or it is not due
    RETRY = "retry"
    FAILED = "failed"
    UNKNOWN = "unknown"  # handed over, no answer: to be settled with the provider
    EXPIRED = "expired"  # a code not sent in time: cancelled


@dataclasses.dataclass(frozen=True)
class DeliveryOutcome:
    result: str
    countdown: int = 0
    error: str = ""


class SentButUnrecorded(Exception):
    """The provider took the message, but the row could not be marked sent (the database went away).

    The send task comes back with ``provider_id`` and only marks the row (``message_mark_sent``)."""

    def __init__(self, message_id: int, provider_id: str):
        super().__init__(f"message {message_id} sent as {provider_id!r} but not recorded")
        self.message_id = message_id
        self.provider_id = provider_id


def backoff_seconds(attempts: int) -> int:
    """60 s, 120 s, 240 s, ... capped at BACKOFF_MAX_SECONDS."""
    return int(min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def message_claim(*, message_id: int, now: datetime | None = None) -> bool:
    """Conditional UPDATE pending → sending; True only for the one caller that changed the row."""
    now = now or timezone.now()
    return (
        Message.objects.filter(pk=message_id, status=MessageStatus.PENDING)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .update(status=MessageStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        == 1
    )


def _send_sms(message: Message) -> str:
    from portal.accounts.sms import get_sms_backend

    return get_sms_backend().send(
        phone=message.address,
        text=message.body,
        template_code=message.sms_template_code,
        params=message.params or None,
        out_id=str(message.pk),
    )


def _send_email(message: Message) -> str:
    msgid = make_msgid(domain="zhaoxi.local")
    email = EmailMessage(
        subject=message.subject or settings.COMMUNITY_NAME,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.address],
        headers={"Message-ID": msgid},
    )
    email.send(fail_silently=False)
    return msgid


def _transport(message: Message) -> str:
    """Hand the message to its channel; returns the provider id. Raises on failure."""
    if message.channel == Channel.SMS:
        return _send_sms(message)
    if message.channel == Channel.EMAIL:
        return _send_email(message)
    return f"inbox:{message.pk}"


def _is_retryable(exc: Exception) -> bool:
    from portal.accounts.sms import SMSError

    if isinstance(exc, SMSError):
        return bool(exc.retryable)
    # smtplib's errors are OSErrors: the mail server may be back in a minute.
    return isinstance(exc, OSError | TimeoutError | ConnectionError)


def _outcome_unknown(exc: Exception) -> bool:
    """Whether the provider may have the message although the send raised: no answer came back."""
    from portal.accounts.sms import SMSError

    if isinstance(exc, SMSError):
        return bool(exc.unknown)
    if isinstance(exc, ConnectionRefusedError | smtplib.SMTPConnectError):
        return False
    # The mail server stopped answering after the connection was made: the mail may be on its way.
    return isinstance(exc, TimeoutError | smtplib.SMTPServerDisconnected | ConnectionResetError)


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def message_mark_sent(*, message_id: int, provider_id: str) -> bool:
    """The provider took the row's message (its id ``provider_id``): mark it sent, once."""
    return (
        Message.objects.filter(
            pk=message_id, status__in=[MessageStatus.SENDING, MessageStatus.UNKNOWN]
        ).update(
            status=MessageStatus.SENT,
            sent_at=timezone.now(),
            provider_id=(provider_id or "")[:200],
            last_error="",
        )
        == 1
    )


def message_deliver(*, message_id: int) -> DeliveryOutcome:
    """Claim, hand over, send and mark one message. Safe to call any number of times: it sends at most once.

    Raises ``SentButUnrecorded`` when the provider took the message but the database went away before the
    row was marked; a database error before the hand-over leaves the row for ``messages_recover_stuck``.
    """
    now = timezone.now()
    if not message_claim(message_id=message_id, now=now):
        return DeliveryOutcome(DeliveryResult.SKIPPED)
    message = Message.objects.get(pk=message_id)
    if message.expires_at is not None and message.expires_at <= now:
        Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(
            status=MessageStatus.CANCELLED, last_error="Expired before it could be sent: not sent late."
        )
        logger.info("Message %s expired before it could be sent", message.key)
        return DeliveryOutcome(DeliveryResult.EXPIRED)
    # The hand-over is on record (committed) before the provider hears of the message.
    if not Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(
        handed_at=timezone.now()
    ):
        return DeliveryOutcome(DeliveryResult.SKIPPED)
    try:
        provider_id = _transport(message)
    except Exception as exc:
        error = _error_text(exc)
        if _outcome_unknown(exc):
            Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(
                status=MessageStatus.UNKNOWN, last_error=error
            )
            logger.warning(
                "Message %s: no answer from the provider (%s); to be checked in %ss",
                message.key,
                error,
                int(SETTLE_AFTER.total_seconds()),
            )
            return DeliveryOutcome(
                DeliveryResult.UNKNOWN, countdown=int(SETTLE_AFTER.total_seconds()), error=error
            )
        retryable = _is_retryable(exc)
        if not retryable or message.attempts >= MAX_ATTEMPTS:
            Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(
                status=MessageStatus.FAILED, last_error=error, handed_at=None
            )
            logger.warning(
                "Message %s failed for good after %s attempt(s): %s", message.key, message.attempts, error
            )
            return DeliveryOutcome(DeliveryResult.FAILED, error=error)
        countdown = backoff_seconds(message.attempts)
        Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(
            status=MessageStatus.PENDING,
            last_error=error,
            not_before=timezone.now() + timedelta(seconds=countdown),
            queued_at=timezone.now(),
            claimed_at=None,
            handed_at=None,
        )
        logger.info(
            "Message %s: attempt %s failed, retry in %ss: %s", message.key, message.attempts, countdown, error
        )
        return DeliveryOutcome(DeliveryResult.RETRY, countdown=countdown, error=error)
    try:
        message_mark_sent(message_id=message_id, provider_id=provider_id)
    except DatabaseError as exc:
        raise SentButUnrecorded(message_id, provider_id or "") from exc
    return DeliveryOutcome(DeliveryResult.SENT)


# --- Settling an unknown outcome ------------------------------------------------------------------


class SettleResult:
    SENT = "sent"  # the provider has it: marked sent, never sent again
    RESEND = "resend"  # the provider has no record (or cannot be asked, first time): sent again
    FAILED = "failed"
    LATER = "later"  # too early to ask, or the provider could not be asked: ask again later
    SKIPPED = "skipped"  # settled by someone else, or nothing to settle


def _dates_to_ask(handed_at: datetime) -> list:
    """The China-time dates a send handed over at ``handed_at`` may be filed under at the provider."""
    first = handed_at.astimezone(SHANGHAI).date()
    last = (handed_at + STUCK_AFTER).astimezone(SHANGHAI).date()
    return [first] if first == last else [first, last]


def _release_for_resend(message: Message, *, now: datetime, note: str, blind: bool = False) -> bool:
    """Back to pending for another attempt (failed when out of attempts); only the caller that changed
    the row gets True and publishes the send."""
    current = Message.objects.filter(pk=message.pk, status=message.status, handed_at=message.handed_at)
    if message.attempts >= MAX_ATTEMPTS:
        current.update(status=MessageStatus.FAILED, last_error=f"{note} No attempts left.")
        return False
    changes = {
        "status": MessageStatus.PENDING,
        "claimed_at": None,
        "handed_at": None,
        "not_before": None,
        "queued_at": now,
        "last_error": note,
    }
    if blind:
        changes["blind_resends"] = F("blind_resends") + 1
    return current.update(**changes) == 1


def message_settle(*, message_id: int, now: datetime | None = None) -> str:
    """Settle a send whose outcome is unknown (status "unknown"): ask the provider, then mark it sent or
    send it again. A row the provider cannot be asked about is resent at most once (``blind_resends``).

    Concurrent calls are safe: every change is a conditional UPDATE on the row's status and hand-over
    time, so only one caller settles it and at most one resend is queued.
    """
    from portal.accounts.sms import SMSError, get_sms_backend

    now = now or timezone.now()
    message = Message.objects.filter(pk=message_id, status=MessageStatus.UNKNOWN).first()
    if message is None:
        return SettleResult.SKIPPED
    handed_at = message.handed_at or message.claimed_at or now
    if now < handed_at + SETTLE_AFTER:
        return SettleResult.LATER
    current = Message.objects.filter(pk=message.pk, status=MessageStatus.UNKNOWN, handed_at=message.handed_at)
    backend = get_sms_backend() if message.channel == Channel.SMS else None
    record = None
    can_ask = backend is not None and backend.supports_query
    if can_ask:
        try:
            for day in _dates_to_ask(handed_at):
                record = backend.query_sent(phone=message.address, out_id=str(message.pk), sent_on=day)
                if record is not None:
                    break
        except SMSError as exc:
            if exc.retryable:
                current.update(last_error=f"Could not ask the provider yet: {exc}"[:2000])
                logger.warning(
                    "Message %s: could not ask the provider (%s); asking again later", message.key, exc
                )
                return SettleResult.LATER
            # The provider refuses to be asked (the key may not query, the action is unknown): as good
            # as a provider without a query.
            logger.warning("Message %s: the provider refuses to be asked (%s)", message.key, exc)
            can_ask = False
    if not can_ask:
        if message.blind_resends >= 1:
            current.update(
                status=MessageStatus.FAILED,
                last_error=(
                    "No answer from the provider again, and it cannot be asked whether it took the message: "
                    "it was resent once already and is not resent again."
                ),
            )
            logger.warning("Message %s: outcome unknown twice, not resent again", message.key)
            return SettleResult.FAILED
        note = "No answer from the provider, which cannot be asked whether it took the message: resent once."
        if _release_for_resend(message, now=now, note=note, blind=True):
            _queue_rows([message.pk])
            logger.warning("Message %s: outcome unknown, provider cannot be asked: resent once", message.key)
            return SettleResult.RESEND
        return SettleResult.SKIPPED
    if record is None:
        note = "No answer from the provider, which has no record of the message: sent again."
        if _release_for_resend(message, now=now, note=note):
            _queue_rows([message.pk])
            logger.warning("Message %s: the provider has no record of it: sent again", message.key)
            return SettleResult.RESEND
        return SettleResult.SKIPPED
    if record.status == "failed":
        current.update(
            status=MessageStatus.FAILED,
            provider_id=(record.provider_id or "")[:200],
            last_error="The provider took the message but reports it could not be delivered.",
        )
        return SettleResult.FAILED
    changed = current.update(
        status=MessageStatus.SENT,
        sent_at=record.sent_at or handed_at,
        provider_id=(record.provider_id or "")[:200],
        last_error="",
    )
    if changed:
        logger.info("Message %s: the provider has it (%s): marked sent", message.key, record.provider_id)
    return SettleResult.SENT if changed else SettleResult.SKIPPED


def queue_settle(ids: list[int], *, countdown: int = 0) -> None:
    """Publish ``settle_message`` for these rows (codes on the fast lane), in ``countdown`` seconds. A
    broker error never raises: the scan settles unknown rows anyway."""
    from portal.tasks import publish_with

    from .tasks import settle_message

    urgent = _urgent_among(ids)
    for pk in ids:
        options = {"queue": URGENT_QUEUE} if pk in urgent else {}
        if countdown:
            options["countdown"] = countdown
        if not publish_with(settle_message, args=(pk,), **options):
            return  # the broker is away: the next scan asks again


def messages_recover_stuck(*, older_than: timedelta | None = None) -> tuple[int, int]:
    """Rows left in "sending" by a worker that died: (marked sent, released to pending).

    A row whose provider id is recorded did go out: it is marked sent, never sent again. A row handed to
    the provider without an answer on record has an unknown outcome: it becomes "unknown", for
    ``message_settle`` to ask the provider. The others never reached the provider: they are released for
    another attempt, or failed once they have used up their attempts.
    """
    older_than = STUCK_AFTER if older_than is None else older_than
    now = timezone.now()
    stuck = Message.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=now - older_than)
    sent = stuck.exclude(provider_id="").update(status=MessageStatus.SENT, sent_at=F("claimed_at"))
    unknown = stuck.filter(provider_id="", handed_at__isnull=False).update(
        status=MessageStatus.UNKNOWN, last_error="The worker stopped while the provider had the message."
    )
    failed = stuck.filter(provider_id="", handed_at__isnull=True, attempts__gte=MAX_ATTEMPTS).update(
        status=MessageStatus.FAILED, last_error="The worker stopped while sending; no attempts left."
    )
    released = stuck.filter(provider_id="", handed_at__isnull=True).update(
        status=MessageStatus.PENDING,
        claimed_at=None,
        queued_at=None,
        last_error="The worker stopped before it handed the message over.",
    )
    if sent or released or failed or unknown:
        logger.warning(
            "Recovered stuck messages: %s sent, %s released, %s failed, %s to check with the provider",
            sent,
            released,
            failed,
            unknown,
        )
    return sent, released


def messages_queue_due(*, limit: int = 500) -> int:
    """The periodic scan: recover stuck rows, settle unknown outcomes, cancel expired codes, then queue
    every due pending row not queued recently. Returns how many sends it queued."""
    from .selectors import messages_due, messages_to_settle

    messages_recover_stuck()
    now = timezone.now()
    Message.objects.filter(status=MessageStatus.PENDING, expires_at__lte=now).update(
        status=MessageStatus.CANCELLED, last_error="Expired before it could be sent: not sent late."
    )
    to_settle = messages_to_settle(now=now, settle_after=SETTLE_AFTER, limit=limit)
    if to_settle:
        queue_settle(to_settle)
    ids = messages_due(now=now, requeue_after=REQUEUE_AFTER, limit=limit)
    if not ids:
        return 0
    # Scheduled inbox items need no transport: they become visible when due.
    Message.objects.filter(pk__in=ids, channel=Channel.INBOX, status=MessageStatus.PENDING).update(
        status=MessageStatus.SENT, sent_at=now
    )
    ids = list(Message.objects.filter(pk__in=ids, status=MessageStatus.PENDING).values_list("pk", flat=True))
    Message.objects.filter(pk__in=ids, status=MessageStatus.PENDING).update(queued_at=now)
    _queue_rows(ids)
    return len(ids)


# --- Inbox and preferences ----------------------------------------------------------------------


def inbox_mark_read(*, user, message: Message) -> bool:
    """Mark the user's inbox message read (once); True if this call marked it."""
    if message.user_id != user.pk:
        raise NotifyError(_("This message is not yours."))
    now = timezone.now()
    changed = Message.objects.filter(pk=message.pk, user=user, read_at__isnull=True).update(read_at=now)
    if changed:
        message.read_at = now
    return bool(changed)


def inbox_mark_all_read(*, user) -> int:
    return Message.objects.inbox().unread().filter(user=user).update(read_at=timezone.now())


def contact_preference_set(
    *,
    user,
    sms_enabled: bool,
    email_enabled: bool,
    quiet_start: time | None,
    quiet_end: time | None,
) -> ContactPreference:
    """Save the signed-in user's channels and quiet hours (both times, or neither)."""
    with transaction.atomic():
        pref, _created = ContactPreference.objects.select_for_update().get_or_create(user=user)
        pref.sms_enabled = sms_enabled
        pref.email_enabled = email_enabled
        pref.inbox_enabled = True
        pref.quiet_start = quiet_start
        pref.quiet_end = quiet_end
        try:
            pref.full_clean()
        except ValidationError as exc:
            raise NotifyError(" ".join(exc.messages)) from exc
        pref.save()
    return pref
