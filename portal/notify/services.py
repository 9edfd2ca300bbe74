"""Writes for notify: enqueue, deliver (claim → send → mark), retry, cancel, recover; preferences; read.

Exactly once: ``message_deliver`` claims a row with ``UPDATE ... SET status='sending' WHERE
status='pending'`` and only the one caller that updated the row sends it. A retryable failure releases
the claim (back to pending, ``not_before`` pushed out by an exponential backoff); a worker that died
after claiming leaves the row in "sending", which ``messages_recover_stuck`` releases (or marks sent when
the provider id shows the send went through).
"""

from __future__ import annotations

import dataclasses
import logging
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
STUCK_AFTER = timedelta(minutes=getattr(settings, "NOTIFY_STUCK_MINUTES", 10))
REQUEUE_AFTER = timedelta(minutes=getattr(settings, "NOTIFY_REQUEUE_MINUTES", 5))


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


def _queue_send(message_ids: list[int]) -> None:
    """Publish the sends (``portal.tasks.publish_many``): a broker error never raises, it leaves the rows
    for the next scan."""
    from portal.tasks import publish_many

    from .tasks import send_message

    missed = publish_many(send_message, [(pk,) for pk in message_ids])
    if missed:
        try:
            _mark_unpublished(missed)
        except DatabaseError:
            logger.exception("Could not mark %s unpublished message(s)", len(missed))


def _queue_send_on_commit(message_ids: list[int]) -> None:
    """Publish the sends once the transaction commits; a broker outage never fails the request."""
    transaction.on_commit(lambda: _queue_send(message_ids))


def message_enqueue(
    *,
    key: str,
    template: str,
    context: dict,
    person=None,
    user=None,
    channels: list[str] | None = None,
    not_before: datetime | None = None,
) -> list[Message]:
    """Create the outbox rows for one message to one recipient, one row per channel, and queue the sends.

    ``key`` says what, to whom and why (``"account.welcome:user:42"``); each row's key adds the channel
    (``"account.welcome:user:42:sms"``) and is unique, so enqueuing the same key again returns the rows
    already there and sends nothing new. ``template`` is a ``MessageTemplate.code``; an unknown or
    inactive template sends nothing (logged). ``channels`` defaults to every channel the recipient's
    preference enables; channels she has turned off, or that have no address (no e-mail, no account for
    the inbox), are left out. SMS due inside the recipient's quiet hours waits until they end.
    The send task is queued only after the transaction commits; rows due later wait for the periodic scan.
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
    enabled = set(pref.enabled_channels())
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
            row_not_before = _row_not_before(channel=channel, due=due, pref=pref, not_before=not_before)
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
            _queue_send_on_commit(to_queue)
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
            _queue_send_on_commit(ids)
    return updated


# --- Delivery -----------------------------------------------------------------------------------


class DeliveryResult:
    SENT = "sent"
    SKIPPED = "skipped"  # somebody else holds or already sent it, or it is not due
    RETRY = "retry"
    FAILED = "failed"


@dataclasses.dataclass(frozen=True)
class DeliveryOutcome:
    result: str
    countdown: int = 0
    error: str = ""


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


def message_deliver(*, message_id: int) -> DeliveryOutcome:
    """Claim, send and mark one message. Safe to call any number of times: it sends at most once."""
    now = timezone.now()
    if not message_claim(message_id=message_id, now=now):
        return DeliveryOutcome(DeliveryResult.SKIPPED)
    message = Message.objects.get(pk=message_id)
    try:
        provider_id = _transport(message)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        retryable = _is_retryable(exc)
        if not retryable or message.attempts >= MAX_ATTEMPTS:
            Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(
                status=MessageStatus.FAILED, last_error=error
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
        )
        logger.info(
            "Message %s: attempt %s failed, retry in %ss: %s", message.key, message.attempts, countdown, error
        )
        return DeliveryOutcome(DeliveryResult.RETRY, countdown=countdown, error=error)
    Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT,
        sent_at=timezone.now(),
        provider_id=(provider_id or "")[:200],
        last_error="",
    )
    return DeliveryOutcome(DeliveryResult.SENT)


def messages_recover_stuck(*, older_than: timedelta = STUCK_AFTER) -> tuple[int, int]:
    """Rows left in "sending" by a worker that died: (marked sent, released to pending).

    A row whose provider id is recorded did go out: it is marked sent, never sent again. The others are
    released for another attempt, or failed once they have used up their attempts.
    """
    now = timezone.now()
    stuck = Message.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=now - older_than)
    sent = stuck.exclude(provider_id="").update(status=MessageStatus.SENT, sent_at=F("claimed_at"))
    failed = stuck.filter(provider_id="", attempts__gte=MAX_ATTEMPTS).update(
        status=MessageStatus.FAILED, last_error="The worker stopped while sending; no attempts left."
    )
    released = stuck.filter(provider_id="").update(
        status=MessageStatus.PENDING,
        claimed_at=None,
        queued_at=None,
        last_error="The worker stopped while sending.",
    )
    if sent or released or failed:
        logger.warning("Recovered stuck messages: %s sent, %s released, %s failed", sent, released, failed)
    return sent, released


def messages_queue_due(*, limit: int = 500) -> int:
    """The periodic scan: recover stuck rows, then queue every due pending row not queued recently."""
    from .selectors import messages_due

    messages_recover_stuck()
    now = timezone.now()
    ids = messages_due(now=now, requeue_after=REQUEUE_AFTER, limit=limit)
    if not ids:
        return 0
    # Scheduled inbox items need no transport: they become visible when due.
    Message.objects.filter(pk__in=ids, channel=Channel.INBOX, status=MessageStatus.PENDING).update(
        status=MessageStatus.SENT, sent_at=now
    )
    ids = list(Message.objects.filter(pk__in=ids, status=MessageStatus.PENDING).values_list("pk", flat=True))
    Message.objects.filter(pk__in=ids, status=MessageStatus.PENDING).update(queued_at=now)
    _queue_send(ids)
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
