"""The reminder's message template, in Chinese and English (staff may reword it in the admin)."""

from django.db import migrations

TEMPLATES = [
    {
        "code": "events.reminder",
        "description": "Reminder before a session. Context: activity, when, place, persons, cancel_until (blank once cancelling online has closed).",
        "subject_zh": "活动提醒：{{ activity }}（{{ when }}）",
        "body_zh": "{{ recipient_name }}，您好！提醒您：{{ persons }}预约的“{{ activity }}”将于{{ when }}在{{ place }}开始，请准时参加。如不能参加，{% if cancel_until %}请在{{ cancel_until }}前登录平台，在“我的预约”中取消；{% else %}请尽早{% endif %}联系社区居委会，把名额留给候补的邻居。",
        "subject_en": "Reminder: {{ activity }} ({{ when }})",
        "body_en": "Hello {{ recipient_name }}, a reminder: \"{{ activity }}\", booked for {{ persons }}, starts at {{ when }} at {{ place }}. If you cannot come, {% if cancel_until %}please cancel under My bookings on the portal before {{ cancel_until }}, or {% else %}please {% endif %}tell the neighbourhood committee as soon as you can, so that a neighbour on the waitlist can have the place.",
    },
]


def create_templates(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    for data in TEMPLATES:
        MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)


def remove_templates(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    MessageTemplate.objects.filter(code__in=[d["code"] for d in TEMPLATES], messages__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("events", "0004_reminders"), ("notify", "0002_default_templates")]

    operations = [migrations.RunPython(create_templates, remove_templates)]
