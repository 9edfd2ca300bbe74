"""``name__has`` (``portal.community.search.NameHas``): the name search every person search uses finds
what ``name__contains`` finds, on every database, and on PostgreSQL the character index of names
answers it (issue 13: "王" among 35,000 people was a scan of every row)."""

import pytest
from django.db import connection

from portal.community.models import Person
from portal.community.search import name_search_q

pytestmark = pytest.mark.django_db

NAMES = ["王秀英", "王建国", "李秀兰", "张英", "秀", "欧阳秀英", "Wang Li", "王_%", "100%王"]


@pytest.fixture
def people():
    return [Person.objects.create(name=name) for name in NAMES]


@pytest.mark.parametrize(
    "text", ["王", "秀英", "英秀", "秀", "欧阳", "_", "%", "王_%", "李秀兰", "阳秀", "无"]
)
def test_has_finds_what_contains_finds(people, text):
    has = set(Person.objects.filter(name__has=text).values_list("name", flat=True))
    contains = set(Person.objects.filter(name__contains=text).values_list("name", flat=True))
    assert has == contains


def test_the_characters_must_come_in_order():
    """Every character is in "王秀英", but "英秀" is not a part of it: the index narrows, LIKE decides."""
    Person.objects.create(name="王秀英")
    assert not Person.objects.filter(name__has="英秀").exists()
    assert Person.objects.filter(name__has="秀英").exists()


def test_the_search_of_a_chinese_word_goes_through_it():
    assert "name__has" in str(name_search_q("秀英"))


@pytest.mark.postgres
def test_postgresql_answers_from_the_character_index(people):
    """With sequential scans off and the other indexes of the table dropped inside the test's transaction
    (rolled back with it), the plan is the character index only if the search's SQL matches its
    expression."""
    table = Person._meta.db_table
    sql, params = Person.objects.filter(name__has="秀英").values("pk").query.sql_with_params()
    assert "string_to_array" in sql
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND i.relname <> 'person_name_characters' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            [table],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "person_name_characters" in plan, plan
