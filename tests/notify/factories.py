import datetime

import factory
from django.utils import timezone

from portal.notify.models import Channel, ContactPreference, Message, MessageStatus, MessageTemplate
from tests.accounts.factories import UserFactory
from tests.community.factories import PersonFactory  # noqa: F401  (re-exported for convenience)


class MessageTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MessageTemplate
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test.template{n}")
    subject_zh = "通知：{{ title }}"
    body_zh = "{{ recipient_name }}，您好：{{ text }}"
    subject_en = "Notice: {{ title }}"
    body_en = "Hello {{ recipient_name }}: {{ text }}"
    sms_template_code = "SMS_0001"


class ContactPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPreference

    user = factory.SubFactory(UserFactory)


class InboxMessageFactory(factory.django.DjangoModelFactory):
    """An inbox item as message_enqueue leaves it (sent, unread)."""

    class Meta:
        model = Message

    key = factory.Sequence(lambda n: f"test.inbox:{n}:inbox")
    user = factory.SubFactory(UserFactory)
    channel = Channel.INBOX
    subject = factory.Sequence(lambda n: f"通知 {n}")
    body = "社区通知正文"
    status = MessageStatus.SENT
    sent_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=5))
