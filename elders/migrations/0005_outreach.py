"""The outreach piece of issue 11 (关爱走访): the messages of the daily outreach job and of needs (急难愁盼).

``TEMPLATES`` is also read by tests/elders/conftest.py (``elders_data``) to put them back after a flush.
Context of the three roster messages: ``names`` (up to ten elders' names, a list), ``count`` (how many),
``more`` (how many beyond the ten named), ``recipient_name``, ``community``.
"""

from django.db import migrations

TEMPLATES = [
    {
        "code": "elders.contact_due",
        "description": (
            "To the person responsible: contacts (visits or calls) now due. Context: names, count, more."
        ),
        "subject_zh": "关爱走访提醒：{{ count }}位老人待联系",
        "body_zh": (
            "{{ recipient_name }}，您好！以下{{ count }}位老人该走访或电话问候了：{{ names|join:'、' }}"
            "{% if more %}等{% endif %}。联系后请在“我的走访”中登记，谢谢您的付出！"
        ),
        "subject_en": "Visits and calls due: {{ count }} elder{{ count|pluralize }}",
        "body_en": (
            "Hello {{ recipient_name }}, it is time to visit or call {{ count }} elder{{ count|pluralize }}: "
            "{{ names|join:', ' }}{% if more %} and {{ more }} more{% endif %}. After the contact, please log "
            'it under "My visits and calls". Thank you!'
        ),
    },
    {
        "code": "elders.contact_overdue",
        "description": (
            "To the grid leader: contacts overdue past the grace period. Context: names, count, more, grace_days."
        ),
        "subject_zh": "走访逾期提醒：{{ count }}位老人超过{{ grace_days }}天未按时联系",
        "body_zh": (
            "{{ recipient_name }}，您好！以下{{ count }}位老人的走访或电话已逾期超过{{ grace_days }}天："
            "{{ names|join:'、' }}{% if more %}等{% endif %}。请在“逾期未走访”中查看并安排人员尽快联系。"
        ),
        "subject_en": "Overdue contacts: {{ count }} elder{{ count|pluralize }}",
        "body_en": (
            "Hello {{ recipient_name }}, the visit or call of {{ count }} elder{{ count|pluralize }} is more "
            "than {{ grace_days }} days overdue: {{ names|join:', ' }}{% if more %} and {{ more }} more{% endif %}. "
            'Please see "Overdue contacts" and arrange a contact soon.'
        ),
    },
    {
        "code": "elders.contact_unreached",
        "description": (
            "To the grid leader: elders not reached twice in a row. Context: names, count, more."
        ),
        "subject_zh": "连续未联系上提醒：{{ count }}位老人",
        "body_zh": (
            "{{ recipient_name }}，您好！以下{{ count }}位老人已连续两次及以上未联系上：{{ names|join:'、' }}"
            "{% if more %}等{% endif %}。请尽快上门查看或联系其家属。"
        ),
        "subject_en": "Not reached twice: {{ count }} elder{{ count|pluralize }}",
        "body_en": (
            "Hello {{ recipient_name }}, {{ count }} elder{{ count|pluralize }} could not be reached twice or "
            "more in a row: {{ names|join:', ' }}{% if more %} and {{ more }} more{% endif %}. Please visit "
            "or contact the family soon."
        ),
    },
    {
        "code": "elders.need_assigned",
        "description": (
            "To the owner of a need (急难愁盼) raised for an elder. Context: elder, category, description."
        ),
        "subject_zh": "急难愁盼待办：{{ elder }}",
        "body_zh": (
            "{{ recipient_name }}，您好！{{ elder }}有一项需求交由您跟进（{{ category }}）：{{ description }}。"
            "请在“急难愁盼”中处理并登记结果。"
        ),
        "subject_en": "A need to follow up: {{ elder }}",
        "body_en": (
            "Hello {{ recipient_name }}, a need of {{ elder }} is now yours to follow up ({{ category }}): "
            '{{ description }}. Please handle it and record what was done under "Needs".'
        ),
    },
    {
        "code": "elders.contact_urgent",
        "description": (
            "To the grid leader (or grid worker): a visitor found an elder who needs help now. "
            "Context: elder, by, notes."
        ),
        "subject_zh": "紧急：{{ elder }}需要立即帮助",
        "body_zh": (
            "{{ recipient_name }}，您好！{{ by }}在走访中发现{{ elder }}需要立即帮助。"
            "{% if notes %}情况：{{ notes }}。{% endif %}请尽快处理。"
        ),
        "subject_en": "Urgent: {{ elder }} needs help now",
        "body_en": (
            "Hello {{ recipient_name }}, {{ by }} found on a contact that {{ elder }} needs help now."
            "{% if notes %} Notes: {{ notes }}.{% endif %} Please act soon."
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
    dependencies = [("elders", "0004_health"), ("notify", "0002_default_templates")]

    operations = [migrations.RunPython(create_templates, remove_templates)]
