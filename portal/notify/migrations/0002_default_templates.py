"""The platform's own message templates, in Chinese and English (staff may reword them in the admin)."""

from django.db import migrations

DEFAULT_TEMPLATES = [
    {
        "code": "account.welcome",
        "description": "Sent when a resident signs up. Context: recipient_name, community.",
        "subject_zh": "欢迎加入{{ community }}朝夕服务平台",
        "body_zh": "{{ recipient_name }}，您好！欢迎使用{{ community }}朝夕服务平台。您可以在这里报名社区活动、查看通知、管理家庭信息。",
        "subject_en": "Welcome to the {{ community }} Zhaoxi portal",
        "body_en": "Hello {{ recipient_name }}, welcome to the {{ community }} Zhaoxi portal. Here you can sign up for community activities, read notices and manage your family's details.",
    },
    {
        "code": "community.claim_confirmed",
        "description": "A household claim was confirmed by staff. Context: recipient_name, address.",
        "subject_zh": "您的住户认证已通过",
        "body_zh": "{{ recipient_name }}，您好！您提交的住户认证（{{ address }}）已由社区工作人员确认。",
        "subject_en": "Your household has been confirmed",
        "body_en": "Hello {{ recipient_name }}, community staff have confirmed that you live at {{ address }}.",
    },
    {
        "code": "community.claim_rejected",
        "description": "A household claim was rejected by staff. Context: recipient_name, address, reason.",
        "subject_zh": "您的住户认证未通过",
        "body_zh": "{{ recipient_name }}，您好！您提交的住户认证（{{ address }}）未能通过。{% if reason %}原因：{{ reason }}。{% endif %}如有疑问，请联系社区居委会。",
        "subject_en": "Your household claim was not confirmed",
        "body_en": "Hello {{ recipient_name }}, your claim to live at {{ address }} could not be confirmed.{% if reason %} Reason: {{ reason }}.{% endif %} Please contact the neighbourhood committee if you have questions.",
    },
    {
        "code": "staff.notice",
        "description": "A notice written by community staff. Context: title, text.",
        "subject_zh": "{{ title }}",
        "body_zh": "{{ text }}\n——{{ community }}居委会",
        "subject_en": "{{ title }}",
        "body_en": "{{ text }}\n— {{ community }} neighbourhood committee",
    },
]


def create_templates(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    for data in DEFAULT_TEMPLATES:
        MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)


def remove_templates(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    MessageTemplate.objects.filter(code__in=[d["code"] for d in DEFAULT_TEMPLATES], messages__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("notify", "0001_initial")]

    operations = [migrations.RunPython(create_templates, remove_templates)]
