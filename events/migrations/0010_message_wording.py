"""One word for each thing (issue 9): the reminder and the "session cancelled" notice say 预约 and
“我的预约”, as the menu and the pages do (the glossary is in events/__init__.py). A template that staff have reworded in the admin is left as they wrote it."""

from django.db import migrations

CHANGES = [
    # (code, the old wording, the new wording) in body_zh
    (
        "events.reminder",
        "{{ persons }}报名的“{{ activity }}”将于{{ when }}在{{ place }}开始",
        "{{ persons }}预约的“{{ activity }}”将于{{ when }}在{{ place }}开始",
    ),
    ("events.reminder", "在“我的报名”中取消", "在“我的预约”中取消"),
    (
        "events.session_cancelled",
        "很抱歉，{{ persons }}报名的“{{ activity }}”",
        "很抱歉，{{ persons }}预约的“{{ activity }}”",
    ),
]


def reword(apps, schema_editor, *, backwards=False):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    for code, old, new in CHANGES:
        if backwards:
            old, new = new, old
        for tmpl in MessageTemplate.objects.filter(code=code, body_zh__contains=old):
            tmpl.body_zh = tmpl.body_zh.replace(old, new)
            tmpl.save(update_fields=["body_zh"])


class Migration(migrations.Migration):
    dependencies = [("events", "0009_verbose_names"), ("notify", "0002_default_templates")]

    operations = [
        migrations.RunPython(reword, lambda apps, se: reword(apps, se, backwards=True)),
    ]
