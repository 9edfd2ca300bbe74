"""The character index of people's names on PostgreSQL (``portal.community.search.NameHas``): GIN on the
array of a name's characters, so that a search for "王" or "秀英" reads the index, not every row. Other
databases have no such index and search with LIKE alone."""

from django.db import migrations

INDEX = "person_name_characters"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON community_person USING gin (string_to_array(name, NULL))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("community", "0005_person_name_order")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
