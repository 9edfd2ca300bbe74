"""The message telling everyone booked that staff changed a session's time or place (issue 10)."""

from django.db import migrations

TEMPLATES = [
    {
        "code": "events.session_changed",
        "description": (
            "Staff changed a session's time or place. Context: activity, persons, when, ends, old_when, "
            "place, old_place, time_changed, place_changed."
        ),
        "subject_zh": "活动变更通知：{{ activity }}",
        "body_zh": (
            "{{ recipient_name }}，您好！{{ persons }}预约的“{{ activity }}”有变动："
            "{% if time_changed %}时间由{{ old_when }}改为{{ when }}至{{ ends }}"
            "{% if place_changed %}；{% endif %}{% endif %}"
            "{% if place_changed %}地点由{{ old_place }}改为{{ place }}{% endif %}。"
            "如不能参加，请在“我的预约”中取消。"
        ),
        "subject_en": "Changed: {{ activity }}",
        "body_en": (
            'Hello {{ recipient_name }}, "{{ activity }}", booked for {{ persons }}, has changed: '
            "{% if time_changed %}it now takes place on {{ when }} to {{ ends }} (was {{ old_when }})"
            "{% if place_changed %}; {% endif %}{% endif %}"
            "{% if place_changed %}the place is now {{ place }} (was {{ old_place }}){% endif %}. "
            'If you cannot come, please cancel in "My bookings".'
        ),
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
    dependencies = [("events", "0011_lottery_commitment"), ("notify", "0002_default_templates")]

    operations = [migrations.RunPython(create_templates, remove_templates)]
