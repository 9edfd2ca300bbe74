"""The engine's message templates, in Chinese and English (staff may reword them in the admin)."""

from django.db import migrations

TEMPLATES = [
    {
        "code": "events.offer_made",
        "description": "A seat freed up for someone on the waitlist. Context: activity, when, place, persons, expires, hours.",
        "subject_zh": "候补转正：{{ activity }}有空位了",
        "body_zh": "{{ recipient_name }}，您好！您候补的“{{ activity }}”（{{ when }}，{{ place }}）有空位了，为{{ persons }}保留至{{ expires }}。请在此之前登录平台确认，逾期将顺延给下一位。",
        "subject_en": "A place is free: {{ activity }}",
        "body_en": "Hello {{ recipient_name }}, a place has become free in \"{{ activity }}\" ({{ when }}, {{ place }}) for {{ persons }}. It is held for you until {{ expires }}: please accept it on the portal before then, or it passes to the next person.",
    },
    {
        "code": "events.offer_expired",
        "description": "A waitlist offer was not accepted in time. Context: activity, when, persons, expires.",
        "subject_zh": "候补名额已过期：{{ activity }}",
        "body_zh": "{{ recipient_name }}，您好！为{{ persons }}保留的“{{ activity }}”（{{ when }}）名额已于{{ expires }}过期，已顺延给下一位候补。",
        "subject_en": "Your offered place has expired: {{ activity }}",
        "body_en": "Hello {{ recipient_name }}, the place held for {{ persons }} in \"{{ activity }}\" ({{ when }}) expired at {{ expires }} and has passed to the next person on the waitlist.",
    },
    {
        "code": "events.session_cancelled",
        "description": "Staff cancelled a session. Context: activity, when, place, persons, reason.",
        "subject_zh": "活动取消通知：{{ activity }}",
        "body_zh": "{{ recipient_name }}，您好！很抱歉，{{ persons }}预约的“{{ activity }}”（{{ when }}，{{ place }}）已取消。{% if reason %}原因：{{ reason }}。{% endif %}",
        "subject_en": "Cancelled: {{ activity }}",
        "body_en": "Hello {{ recipient_name }}, we are sorry: \"{{ activity }}\" ({{ when }}, {{ place }}), booked for {{ persons }}, has been cancelled.{% if reason %} Reason: {{ reason }}.{% endif %}",
    },
    {
        "code": "events.lottery_won",
        "description": "Drawn in the lottery. Context: activity, when, place, persons, seed.",
        "subject_zh": "抽签结果：{{ activity }}报名成功",
        "body_zh": "{{ recipient_name }}，您好！{{ persons }}在“{{ activity }}”的抽签中获得名额（{{ when }}，{{ place }}）。抽签种子：{{ seed }}，可在平台复核。",
        "subject_en": "Lottery result: a place in {{ activity }}",
        "body_en": "Hello {{ recipient_name }}, {{ persons }} won a place in the lottery for \"{{ activity }}\" ({{ when }}, {{ place }}). The draw's seed is {{ seed }}; anyone can check it on the portal.",
    },
    {
        "code": "events.lottery_waitlisted",
        "description": "Not drawn in the lottery, placed on the waitlist. Context: activity, when, persons, seed.",
        "subject_zh": "抽签结果：{{ activity }}候补",
        "body_zh": "{{ recipient_name }}，您好！{{ persons }}在“{{ activity }}”的抽签中未获得名额，已按抽签顺序进入候补名单，有空位时将通知您。抽签种子：{{ seed }}。",
        "subject_en": "Lottery result: waitlist for {{ activity }}",
        "body_en": "Hello {{ recipient_name }}, {{ persons }} did not win a place in the lottery for \"{{ activity }}\" and are on the waitlist in draw order; we will tell you when a place frees up. The draw's seed is {{ seed }}.",
    },
    {
        "code": "events.lottery_lost",
        "description": "Not drawn in the lottery (no waitlist). Context: activity, persons, seed.",
        "subject_zh": "抽签结果：{{ activity }}",
        "body_zh": "{{ recipient_name }}，您好！很遗憾，{{ persons }}在“{{ activity }}”的抽签中未获得名额。抽签种子：{{ seed }}。",
        "subject_en": "Lottery result: {{ activity }}",
        "body_en": "Hello {{ recipient_name }}, we are sorry: {{ persons }} did not win a place in the lottery for \"{{ activity }}\". The draw's seed is {{ seed }}.",
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
    dependencies = [("events", "0001_initial"), ("notify", "0002_default_templates")]

    operations = [migrations.RunPython(create_templates, remove_templates)]
