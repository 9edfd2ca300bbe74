"""Notify: one outbox for every message the portal sends (SMS, e-mail, the in-site inbox).

A message to send is a ``Message`` row with a unique key (what, to whom, why, which channel), rendered in
the recipient's language when it is enqueued. The sender claims a row with a conditional UPDATE
(pending → sending), so a duplicated or retried task never sends it twice, and records the hand-over
(``handed_at``) before it calls the provider, so a send whose answer never came (a timeout, a worker
killed mid-send) is "unknown" and settled by asking the provider, not sent again. The in-site inbox needs
no sender: the row itself is the inbox item.
"""

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.template import Template, TemplateSyntaxError
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    INBOX = "inbox", _("In-site message")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    #: Handed to the provider, but no answer came back: being checked with the provider.
    UNKNOWN = "unknown", _("Checking with the provider")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


#: The languages a message template is written in; anything else falls back to the first.
TEMPLATE_LANGUAGES = ("zh-hans", "en")

#: Quiet hours for people aged 60 and over who have not set their own (Asia/Shanghai).
ELDER_QUIET_AGE = 60
ELDER_QUIET_START = time(21, 0)
ELDER_QUIET_END = time(8, 0)


def validate_template_source(value: str) -> None:
    try:
        Template(value)
    except TemplateSyntaxError as exc:
        raise ValidationError(_("This is not a valid template: %(error)s"), params={"error": exc}) from exc


class MessageTemplate(models.Model):
    """The wording of one kind of message, in Chinese and English, editable by staff in the admin.

    Subject and body use Django template syntax (``{{ name }}``) against the context given when the
    message is enqueued. SMS providers in China only send pre-approved templates: ``sms_template_code``
    is that provider template (the context is passed to it as parameters).
    """

    code = models.CharField(
        _("code"),
        max_length=100,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9_.-]+$", _("Use lower-case letters, digits, dots, dashes and underscores.")
            )
        ],
        help_text=_("e.g. account.welcome"),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    subject_zh = models.CharField(
        _("subject (Chinese)"), max_length=200, blank=True, validators=[validate_template_source]
    )
    body_zh = models.TextField(_("body (Chinese)"), validators=[validate_template_source])
    subject_en = models.CharField(
        _("subject (English)"), max_length=200, blank=True, validators=[validate_template_source]
    )
    body_en = models.TextField(_("body (English)"), blank=True, validators=[validate_template_source])
    sms_template_code = models.CharField(_("SMS provider template code"), max_length=50, blank=True)
    active = models.BooleanField(_("active"), default=True, help_text=_("Inactive templates send nothing."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=~Q(body_zh=""), name="message_template_has_body")]

    def __str__(self):
        return self.code

    def source_for(self, language: str) -> tuple[str, str]:
        """(subject, body) template source in ``language``; Chinese when the English is left blank."""
        if language == "en" and self.body_en.strip():
            return self.subject_en, self.body_en
        return self.subject_zh, self.body_zh


class MessageQuerySet(models.QuerySet):
    def inbox(self):
        return self.filter(channel=Channel.INBOX, status=MessageStatus.SENT)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Message(models.Model):
    """One message to one recipient over one channel: the outbox row, and for ``inbox`` the inbox item."""

    key = models.CharField(
        _("key"),
        max_length=255,
        unique=True,
        help_text=_("What, to whom, why and how: account.welcome:user:42:sms"),
    )
    template = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    person = models.ForeignKey(
        "community.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(
        _("address"), max_length=254, blank=True, help_text=_("Phone number or e-mail.")
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    sms_template_code = models.CharField(_("SMS provider template code"), max_length=50, blank=True)
    params = models.JSONField(_("provider parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    urgent = models.BooleanField(
        _("urgent"),
        default=False,
        help_text=_(
            "Verification and reset codes: sent at once on their own queue, whatever the quiet hours."
        ),
    )
    expires_at = models.DateTimeField(
        _("expires"),
        null=True,
        blank=True,
        help_text=_("Not sent after this time (a code that has expired)."),
    )
    handed_at = models.DateTimeField(_("handed to the provider"), null=True, blank=True, editable=False)
    blind_resends = models.PositiveSmallIntegerField(
        _("resends without confirmation"),
        default=0,
        editable=False,
        help_text=_(
            "Resent after an unknown outcome although the provider could not be asked (at most once)."
        ),
    )
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    provider_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "not_before"], name="message_due"),
            models.Index(fields=["user", "channel", "status", "read_at"], name="message_inbox"),
            # The inbox page (newest first) and the navigation badge (unread count), for in-site messages
            # only: small partial indexes that the page reads in order, without sorting the user's messages.
            models.Index(
                fields=["user", "-sent_at", "-id"],
                name="message_inbox_newest",
                condition=Q(channel="inbox", status="sent"),
            ),
            models.Index(
                fields=["user"],
                name="message_inbox_unread",
                condition=Q(channel="inbox", status="sent", read_at__isnull=True),
            ),
            models.Index(
                fields=["status", "claimed_at"],
                name="message_in_flight",
                condition=Q(status__in=["sending", "unknown"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(person__isnull=False), name="message_has_recipient"
            ),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="message_channel_valid"),
            models.CheckConstraint(condition=Q(status__in=MessageStatus.values), name="message_status_valid"),
            models.CheckConstraint(
                condition=~Q(channel=Channel.INBOX) | Q(user__isnull=False), name="message_inbox_has_user"
            ),
            models.CheckConstraint(
                condition=Q(channel=Channel.INBOX) | ~Q(address=""), name="message_sms_email_has_address"
            ),
            models.CheckConstraint(
                condition=~Q(status=MessageStatus.SENT) | Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
        ]

    def __str__(self):
        return self.key

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class ContactPreference(models.Model):
    """How a user (or a resident without an account) wants to be reached, and when not to be.

    Quiet hours (免打扰时段) hold back SMS until they end, in Asia/Shanghai time. A person aged 60 or over
    who has no preference row gets 21:00–08:00; once a row exists its own values apply (blank: none).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contact_preference",
    )
    person = models.OneToOneField(
        "community.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contact_preference",
    )
    sms_enabled = models.BooleanField(_("SMS"), default=True)
    email_enabled = models.BooleanField(_("e-mail"), default=True)
    inbox_enabled = models.BooleanField(_("in-site messages"), default=True)
    quiet_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contact preference")
        verbose_name_plural = _("contact preferences")
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(person__isnull=True))
                | (Q(user__isnull=True) & Q(person__isnull=False)),
                name="contact_preference_one_owner",
            ),
            models.CheckConstraint(
                condition=(Q(quiet_start__isnull=True) & Q(quiet_end__isnull=True))
                | (
                    Q(quiet_start__isnull=False)
                    & Q(quiet_end__isnull=False)
                    & ~Q(quiet_start=models.F("quiet_end"))
                ),
                name="contact_preference_quiet_hours_pair",
            ),
        ]

    def __str__(self):
        return str(self.user or self.person)

    def clean(self):
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValidationError(_("Give both the start and the end of the quiet hours, or neither."))
        if self.quiet_start is not None and self.quiet_start == self.quiet_end:
            raise ValidationError(_("Quiet hours must end at a different time than they start."))

    def enabled_channels(self) -> list[str]:
        flags = {
            Channel.SMS: self.sms_enabled,
            Channel.EMAIL: self.email_enabled,
            Channel.INBOX: self.inbox_enabled,
        }
        return [str(c) for c, on in flags.items() if on]

    @property
    def has_quiet_hours(self) -> bool:
        return self.quiet_start is not None and self.quiet_end is not None
