"""The table of the database cache that answers while Redis is unreachable (portal.cache.FailoverCache)."""

from django.core.management import call_command
from django.db import migrations

TABLE = "portal_cache_fallback"  # portal.cache.FALLBACK_TABLE, frozen here as migrations are


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(create_cache_table, drop_cache_table, elidable=False)]
