"""The 'partners' piece of issue 11: the service catalogue the community starts with, the message that tells
a partner organisation and community staff about missed deliveries, and one delivery per plan and round."""

from django.db import migrations, models
from django.db.models import Q

SERVICES = [
    {
        "code": "meal-delivery",
        "name": "助餐送餐",
        "description": "长者食堂助餐，行动不便的老人由护理院送餐上门。",
        "order": 10,
    },
    {
        "code": "daily-care",
        "name": "生活照料",
        "description": "上门助浴、助洁、助行等日常生活照料。",
        "order": 20,
    },
    {
        "code": "rehabilitation",
        "name": "康复理疗",
        "description": "康复训练、理疗按摩，帮助老人恢复和保持身体机能。",
        "order": 30,
    },
    {
        "code": "health-management",
        "name": "健康管理",
        "description": "血压血糖监测、用药提醒、健康档案和定期随访。",
        "order": 40,
    },
]

TEMPLATES = [
    {
        "code": "elders.plan_missed",
        "description": (
            "A service plan fell short of its deliveries in its last complete period. To the organisation's "
            "staff and to community staff. Context: elder, service, organization, period, expected, "
            "delivered, missed."
        ),
        "subject_zh": "服务未按计划完成：{{ elder }}的{{ service }}",
        "body_zh": (
            "{{ recipient_name }}，您好！{{ organization }}为{{ elder }}提供的“{{ service }}”，"
            "{{ period }}应服务{{ expected }}次，实际记录{{ delivered }}次，少了{{ missed }}次。"
            "请尽快核实情况，如已服务请补充说明，如老人有困难请及时与社区联系。"
        ),
        "subject_en": "Missed: {{ service }} for {{ elder }}",
        "body_en": (
            'Hello {{ recipient_name }}, "{{ service }}" by {{ organization }} for {{ elder }} was due '
            "{{ expected }} time(s) in {{ period }}; {{ delivered }} were logged, {{ missed }} missed. "
            "Please check what happened and contact the community if she needs help."
        ),
    },
]


def create_data(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    Service = apps.get_model("elders", "Service")
    for data in TEMPLATES:
        MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)
    for data in SERVICES:
        Service.objects.get_or_create(code=data["code"], defaults=data)


def remove_data(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    Service = apps.get_model("elders", "Service")
    MessageTemplate.objects.filter(code__in=[d["code"] for d in TEMPLATES], messages__isnull=True).delete()
    Service.objects.filter(code__in=[d["code"] for d in SERVICES], plans__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("elders", "0002_core"), ("notify", "0002_default_templates")]

    operations = [
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(
                condition=Q(("round_key", ""), _negated=True),
                fields=("plan", "round_key"),
                name="delivery_once_per_round",
            ),
        ),
        migrations.RunPython(create_data, remove_data),
    ]
