"""The birthday greeting (issue 11, the 'demo' piece): its message template, in warm everyday Chinese and in
English. Sent by ``elders.services.birthdays.birthday_greetings_send`` to the elder herself when she has an
account, else to the family who act for her.

Context: ``elder`` (her name), ``honorific`` (奶奶 / 爷爷, or 老人家 when her gender is not recorded;
"" in English), ``age`` (the age she turns), ``lunar`` (True when she keeps her lunar birthday),
``for_herself`` (True when the message goes to her)."""

from django.db import migrations

TEMPLATES = [
    {
        "code": "elders.birthday_greeting",
        "description": (
            "Birthday greeting to an elder who opted in (or to the family acting for her). Context: elder, "
            "honorific, age, lunar, for_herself."
        ),
        "subject_zh": "{% if for_herself %}生日快乐，{{ elder }}{{ honorific }}！{% else %}今天是{{ elder }}{{ honorific }}的生日{% endif %}",
        "body_zh": (
            "{% if for_herself %}{{ elder }}{{ honorific }}，祝您生日快乐！"
            "{% if lunar %}今天是您的农历生日，{% endif %}"
            "{{ community }}的工作人员和志愿者祝您福如东海、寿比南山，身体健健康康，天天开开心心！"
            "有什么需要，随时给社区打电话。"
            "{% else %}{{ recipient_name }}，您好！今天是{{ elder }}{{ honorific }}的"
            "{% if lunar %}农历{% endif %}生日，{{ community }}祝老人家生日快乐、福寿安康！"
            "请代我们向老人家转达祝福，有空多陪陪老人家。{% endif %}"
        ),
        "subject_en": "{% if for_herself %}Happy birthday, {{ elder }}!{% else %}It is {{ elder }}'s birthday today{% endif %}",
        "body_en": (
            "{% if for_herself %}Dear {{ elder }}, happy birthday!"
            "{% if lunar %} Today is your lunar birthday.{% endif %}"
            " Everyone at {{ community }}, staff and volunteers, wishes you good health and a happy year. "
            "If you need anything, just call the community."
            "{% else %}Hello {{ recipient_name }}, today is {{ elder }}'s"
            "{% if lunar %} lunar{% endif %} birthday. {{ community }} sends warm wishes for a happy birthday and "
            "good health: please pass them on, and spend a little time together if you can.{% endif %}"
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
    dependencies = [("elders", "0005_outreach"), ("notify", "0002_default_templates")]

    operations = [migrations.RunPython(create_templates, remove_templates)]
