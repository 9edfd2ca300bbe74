"""The audit trail records a row's own fields, never its reverse relations (django-auditlog #551): reading
them on every create or delete cost a query for each one-to-one pointing at the model (an elder's profile,
a child's profile, the sensitive profile...) and wrote junk such as "community.Relation.None" into the entry.
"""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.community.models import Person

pytestmark = pytest.mark.django_db


def test_creating_a_person_reads_nothing_else_and_logs_only_her_fields():
    ContentType.objects.get_for_model(Person)  # content types are cached per process: warm it first
    with CaptureQueriesContext(connection) as ctx:
        person = Person.objects.create(name="王秀英")
    selects = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert selects == [], selects
    entry = LogEntry.objects.get_for_object(person).get()
    assert "name" in entry.changes_dict
    assert not {"relations", "relations_to", "sensitive", "consents", "elder_profile", "child_profile"} & set(
        entry.changes_dict
    )


def test_deleting_a_person_reads_no_reverse_one_to_one():
    person = Person.objects.create(name="王秀英")
    with CaptureQueriesContext(connection) as ctx:
        Person.objects.filter(pk=person.pk).first().delete()
    audit_reads = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT") and "LIMIT 21" in q["sql"]
    ]
    assert audit_reads == [], audit_reads
