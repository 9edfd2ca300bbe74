"""The audit entries of bookings written before the ticket token was left out of them lose it.

The token opens the ticket page and passes the door's scanner; the audit log keeps that a booking was
made, by whom, for what, never the token (``events.models._register_audit``).
"""

from django.db import migrations

BATCH = 1000


def drop_tokens(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    LogEntry = apps.get_model("auditlog", "LogEntry")
    content_type = ContentType.objects.filter(app_label="events", model="booking").first()
    if content_type is None:
        return
    entries = LogEntry.objects.filter(content_type=content_type, changes__has_key="token")
    while True:
        batch = list(entries.only("pk", "changes")[:BATCH])
        if not batch:
            return
        for entry in batch:
            entry.changes = {k: v for k, v in entry.changes.items() if k != "token"}
        LogEntry.objects.bulk_update(batch, ["changes"])


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0015_pool_counters"),
        ("auditlog", "0017_add_actor_email"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(drop_tokens, migrations.RunPython.noop, elidable=True)]
