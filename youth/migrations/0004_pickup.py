"""The pickup piece: its message templates (a refused pickup, a child not collected by the end of the day).

``TEMPLATES`` is also read by tests/youth/conftest.py (``youth_data``) to put them back after a flush.
"""

from django.db import migrations

TEMPLATES: list[dict] = [
    {
        "code": "youth.pickup_refused",
        "description": (
            "Safety message to each guardian: someone not authorised tried to collect the child. Context: "
            "child, name, relation, time, place, staff, staff_phone, reason."
        ),
        "subject_zh": "安全提醒：有人尝试接走{{ child }}，未获授权",
        "body_zh": (
            "{{ recipient_name }}，您好！{{ time }}有人尝试在{{ place }}接走{{ child }}，未获您的授权，"
            "工作人员已拒绝交接：姓名{{ name }}{% if relation %}（{{ relation }}）{% endif %}。孩子仍由我们照看。"
            "如有疑问，请联系工作人员{{ staff }}{% if staff_phone %}（{{ staff_phone }}）{% endif %}。"
            "如需授权他人接送，请在“我的孩子”中添加接送人。"
        ),
        "subject_en": "Safety notice: someone not authorised tried to collect {{ child }}",
        "body_en": (
            "Hello {{ recipient_name }}, at {{ time }} someone you have not authorised tried to collect "
            "{{ child }} at {{ place }}; staff refused to hand her over: name {{ name }}"
            "{% if relation %} ({{ relation }}){% endif %}. Your child is still in our care. If you have any "
            "question, please contact {{ staff }}{% if staff_phone %} ({{ staff_phone }}){% endif %}. To "
            'authorise someone to collect her, add them under "My children".'
        ),
    },
    {
        "code": "youth.not_collected",
        "description": (
            "Safety message to each guardian: the child is still at the day-care after its end time. "
            "Context: child, place, day_ends, signed_in."
        ),
        "subject_zh": "{{ child }}尚未被接走",
        "body_zh": (
            "{{ recipient_name }}，您好！托管已于{{ day_ends }}结束，{{ child }}（{{ signed_in }}签到）仍在"
            "{{ place }}，尚未被接走。请尽快来接，或联系工作人员。"
        ),
        "subject_en": "{{ child }} has not been collected",
        "body_en": (
            "Hello {{ recipient_name }}, the day-care ended at {{ day_ends }} and {{ child }} (signed in at "
            "{{ signed_in }}) is still at {{ place }}. Please collect her soon, or contact the staff."
        ),
    },
    {
        "code": "youth.not_collected_staff",
        "description": (
            "To the organiser of a day-care week: children not signed out by the end of the day. Context: "
            "programme, day, names, count, more."
        ),
        "subject_zh": "{{ programme }}：{{ count }}名孩子尚未签退",
        "body_zh": (
            "{{ recipient_name }}，您好！{{ day }}{{ programme }}已过接送时间，以下{{ count }}名孩子尚未签退："
            "{{ names|join:'、' }}{% if more %}等{% endif %}。家长已收到提醒，请在“未接走的孩子”中查看。"
        ),
        "subject_en": "{{ programme }}: {{ count }} child{{ count|pluralize:'ren' }} not signed out",
        "body_en": (
            "Hello {{ recipient_name }}, on {{ day }} the pickup time of {{ programme }} has passed and "
            "{{ count }} child{{ count|pluralize:'ren' }} not signed out: {{ names|join:', ' }}"
            '{% if more %} and {{ more }} more{% endif %}. Their guardians have been told; see "Children not '
            'collected".'
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
    dependencies = [("youth", "0003_daycare"), ("notify", "0002_default_templates")]

    operations = [migrations.RunPython(create_templates, remove_templates)]
