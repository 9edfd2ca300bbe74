import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# roster: the notice a resident gets when staff cancel her place on her behalf (events.services.booking).
ROSTER_TEMPLATES = [
    {
        "code": "events.cancelled_on_behalf",
        "description": "Staff cancelled a place at the resident's request (she phoned). Context: activity, when, place, persons, reason.",
        "subject_zh": "已为您取消预约：{{ activity }}",
        "body_zh": "{{ recipient_name }}，您好！应您的要求，{{ community }}居委会工作人员已代您取消{{ persons }}预约的“{{ activity }}”（{{ when }}，{{ place }}）。{% if reason %}备注：{{ reason }}。{% endif %}如非您本人的意思，请联系社区。",
        "subject_en": "Cancelled at your request: {{ activity }}",
        "body_en": 'Hello {{ recipient_name }}, at your request the {{ community }} committee has cancelled the place of {{ persons }} in "{{ activity }}" ({{ when }}, {{ place }}) on your behalf.{% if reason %} Note: {{ reason }}.{% endif %} If you did not ask for this, please call the community office.',
    },
]


def roster_templates_create(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    for data in ROSTER_TEMPLATES:
        MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)


def roster_templates_delete(apps, schema_editor):
    apps.get_model("notify", "MessageTemplate").objects.filter(
        code__in=[t["code"] for t in ROSTER_TEMPLATES]
    ).delete()


# loose-a: staff booked a resident (or her child) on her behalf: she, or those who act for her, are told
# (events.services.booking); one word for each thing in the messages (预约, never 报名 for a booking);
# a staff notice names the activity and the session it is about (its SMS has no subject line).
LOOSE_A_TEMPLATES = [
    {
        "code": "events.booked_on_behalf",
        "description": "Staff booked residents on their behalf. Context: activity, when, place, persons, confirmed, waitlisted, applied (names).",
        "subject_zh": "社区已为您预约：{{ activity }}",
        "body_zh": "{{ recipient_name }}，您好！{{ community }}居委会工作人员已为{{ persons }}预约“{{ activity }}”（{{ when }}，{{ place }}）。{% if confirmed %}{{ confirmed }}已预约成功，请准时参加。{% endif %}{% if waitlisted %}{{ waitlisted }}在候补名单中，有空位时将通知您。{% endif %}{% if applied %}{{ applied }}已报名抽签，抽签后将通知您结果。{% endif %}如需取消，请联系社区居委会。",
        "subject_en": "Booked for you: {{ activity }}",
        "body_en": 'Hello {{ recipient_name }}, the {{ community }} committee has booked "{{ activity }}" ({{ when }}, {{ place }}) for {{ persons }}.{% if confirmed %} {{ confirmed }}: booked, please come on time.{% endif %}{% if waitlisted %} {{ waitlisted }}: on the waitlist; we will tell you when a place frees up.{% endif %}{% if applied %} {{ applied }}: applied for the lottery; we will tell you the result after the draw.{% endif %} To cancel, please call the community office.',
    },
]

LOOSE_A_REWORDING = [
    # (code, field, the old wording, the new wording): a template staff reworded is left as they wrote it
    (
        "staff.notice",
        "body_zh",
        "{{ text }}\n——{{ community }}居委会",
        "{% if activity %}关于“{{ activity }}”{% if when %}（{{ when }}）{% endif %}：{% endif %}{{ text }}\n——{{ community }}居委会",
    ),
    (
        "staff.notice",
        "body_en",
        "{{ text }}\n— {{ community }} neighbourhood committee",
        '{% if activity %}About "{{ activity }}"{% if when %} ({{ when }}){% endif %}: {% endif %}{{ text }}\n— {{ community }} neighbourhood committee',
    ),
    (
        "events.lottery_won",
        "subject_zh",
        "抽签结果：{{ activity }}报名成功",
        "抽签结果：{{ activity }}已中签",
    ),
    ("account.welcome", "body_zh", "您可以在这里报名社区活动", "您可以在这里预约社区活动"),
]


def loose_a_apply(MessageTemplate, *, backwards=False):
    """Also called by the tests on a flushed database (tests/events/conftest.py)."""
    if backwards:
        MessageTemplate.objects.filter(
            code__in=[t["code"] for t in LOOSE_A_TEMPLATES], messages__isnull=True
        ).delete()
    else:
        for data in LOOSE_A_TEMPLATES:
            MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)
    for code, field, old, new in LOOSE_A_REWORDING:
        if backwards:
            old, new = new, old
        for tmpl in MessageTemplate.objects.filter(code=code, **{f"{field}__contains": old}):
            setattr(tmpl, field, getattr(tmpl, field).replace(old, new))
            tmpl.save(update_fields=[field])


def loose_a_forwards(apps, schema_editor):
    loose_a_apply(apps.get_model("notify", "MessageTemplate"))


def loose_a_backwards(apps, schema_editor):
    loose_a_apply(apps.get_model("notify", "MessageTemplate"), backwards=True)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0012_sessions"),
        ("notify", "0002_default_templates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    operations = [
        # roster: staff offer a seat out of turn (waitlist_offer_to), cancel a place with a reason
        migrations.AddField(
            model_name="offer",
            name="offered_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="offered by staff",
            ),
        ),
        migrations.AddField(
            model_name="offer",
            name="reason",
            field=models.CharField(
                blank=True, max_length=200, verbose_name="reason for offering out of turn"
            ),
        ),
        migrations.AddField(
            model_name="registration",
            name="cancel_reason",
            field=models.CharField(blank=True, max_length=200, verbose_name="reason for cancelling"),
        ),
        migrations.RunPython(roster_templates_create, roster_templates_delete),
        # loose-a: the on-behalf booking notice, the wording of the messages
        migrations.RunPython(loose_a_forwards, loose_a_backwards),
    ]
