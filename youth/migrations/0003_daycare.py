"""The the day-care piece: its message templates (booking a programme's weeks).

``TEMPLATES`` is also read by tests/youth/conftest.py (``youth_data``) to put them back after a flush.
"""

from django.db import migrations

TEMPLATES: list[dict] = [
    {
        "code": "youth.daycare_booked",
        "description": (
            "To the guardian who booked: what a day-care booking came to, week by week. Context: programme, "
            "place, weeks (each: number, first, last, confirmed, waitlisted, applied; names joined)."
        ),
        "subject_zh": "暑托班预约结果：{{ programme }}",
        "body_zh": (
            "您好！“{{ programme }}”（{{ place }}）的预约结果："
            "{% for w in weeks %}第{{ w.number }}周（{{ w.first }}至{{ w.last }}）"
            "{% if w.confirmed %}已预约成功：{{ w.confirmed }}；{% endif %}"
            "{% if w.waitlisted %}候补中（排位）：{{ w.waitlisted }}；{% endif %}"
            "{% if w.applied %}已报名摇号：{{ w.applied }}；{% endif %}{% endfor %}"
            "详情请在“我的暑托班”中查看。"
        ),
        "subject_en": "Day-care booking: {{ programme }}",
        "body_en": (
            "Hello! Your booking of {{ programme }} ({{ place }}): "
            "{% for w in weeks %}week {{ w.number }} ({{ w.first }} to {{ w.last }}): "
            "{% if w.confirmed %}confirmed for {{ w.confirmed }}; {% endif %}"
            "{% if w.waitlisted %}on the waitlist (number): {{ w.waitlisted }}; {% endif %}"
            "{% if w.applied %}lottery application for {{ w.applied }}; {% endif %}{% endfor %}"
            'See "My day-care" for details.'
        ),
    },
]


def create_templates(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    for data in TEMPLATES:
        MessageTemplate.objects.update_or_create(code=data["code"], defaults=data)


def remove_templates(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    MessageTemplate.objects.filter(code__in=[d["code"] for d in TEMPLATES], messages__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("youth", "0002_children"), ("notify", "0002_default_templates")]

    operations = [migrations.RunPython(create_templates, remove_templates)]
