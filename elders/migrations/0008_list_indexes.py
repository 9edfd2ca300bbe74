"""Indexes for the elder list and the visit-and-call roster (issue 13).

``elders_person_active_birth``: the active persons' birth dates, on the platform's person table (the
elder predicate is this area's: an active resident aged 60 or more). ``access.count_elders`` counts the
elders by age from this index alone (an index-only scan) instead of scanning and filtering every person.
Written as SQL (PostgreSQL and SQLite both take a partial index) so the platform's model keeps its own
indexes; the migration state does not change.
"""

from django.db import migrations

PERSON_INDEX = "elders_person_active_birth"


class Migration(migrations.Migration):
    dependencies = [
        ("elders", "0007_verbose_names"),
        ("community", "0005_person_name_order"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {PERSON_INDEX} ON community_person (birth_date) WHERE is_active",
            f"DROP INDEX IF EXISTS {PERSON_INDEX}",
        ),
    ]
