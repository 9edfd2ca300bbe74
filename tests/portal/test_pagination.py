"""portal.pagination.page_with_count: the page Paginator.get_page gives, for every kind of page number, with
the list's length (and other figures) taken with the page in one query while the page exists."""

import datetime

import pytest
from django.core.paginator import Paginator
from django.db.models import Count, Q

from portal.community.models import Person
from portal.pagination import MAX_OFFSET, page_with_count, requested_page
from tests.community.factories import PersonFactory

OLD = datetime.date(1940, 1, 1)


@pytest.fixture
def people(db):
    for n in range(7):
        PersonFactory(name=f"人{n}", name_pinyin=f"ren{n}", birth_date=OLD if n % 3 == 0 else None)
    return Person.objects.order_by("name_pinyin", "pk")


def _same_as_get_page(qs, number, per_page=3):
    expected = Paginator(qs, per_page).get_page(number)
    page, found = page_with_count(
        qs, per_page, number, figures={"old": Count("pk", filter=Q(birth_date=OLD))}
    )
    assert page.number == expected.number
    assert list(page.object_list) == list(expected.object_list)
    assert page.paginator.count == expected.paginator.count == found["count"]
    assert page.paginator.num_pages == expected.paginator.num_pages
    assert (page.has_next(), page.has_previous()) == (expected.has_next(), expected.has_previous())
    assert found["old"] == qs.filter(birth_date=OLD).count()
    return page


@pytest.mark.parametrize(
    "number",
    # the last three: far past the end, an OFFSET no database takes (bigint out of range on PostgreSQL)
    [None, "", "1", 2, "3", "abc", "2.5", 2.0, "0", "-1", "4", "99", "9" * 30, str(2**62), str(2**61)],
)
def test_every_page_number_gives_the_page_get_page_gives(people, number):
    _same_as_get_page(people, number)


def test_a_page_that_exists_costs_one_query(people, django_assert_num_queries):
    with django_assert_num_queries(1):
        page, found = page_with_count(people, 3, "2")
    assert [p.name for p in page.object_list] == ["人3", "人4", "人5"] and found == {"count": 7}


def test_past_the_end_counts_on_its_own_and_shows_the_last_page(people, django_assert_num_queries):
    with django_assert_num_queries(3):  # the page asked for (empty), the count, the last page
        page, found = page_with_count(people, 3, "9")
    assert page.number == 3 and [p.name for p in page.object_list] == ["人6"] and found == {"count": 7}


def test_an_empty_list_is_one_empty_first_page(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        page, found = page_with_count(
            Person.objects.order_by("pk"), 3, None, figures={"old": Count("pk", filter=Q(birth_date=OLD))}
        )
    assert page.number == 1 and list(page.object_list) == [] and found == {"count": 0, "old": 0}
    assert page.paginator.num_pages == 1
    _same_as_get_page(Person.objects.order_by("pk"), "5")


def test_a_values_list_keeps_its_keys(people):
    page, found = page_with_count(people.values("pk"), 5, 1)
    assert [row["pk"] for row in page.object_list] == list(people.values_list("pk", flat=True)[:5])
    assert found["count"] == 7


@pytest.mark.parametrize("number", [None, "1", "2", "3", "99", "0", "x"])
def test_a_count_expression_takes_the_windows_place(people, number, django_assert_num_queries):
    """``count``: the list's length from an expression on each row (the clinic list's indexed count), the
    page as get_page gives it; one query while the page exists."""
    from django.db.models import IntegerField, Subquery
    from django.db.models.functions import Coalesce

    length = Coalesce(
        Subquery(Person.objects.order_by().values("is_active").annotate(n=Count("pk")).values("n")[:1]),
        0,
        output_field=IntegerField(),
    )
    expected = Paginator(people, 3).get_page(number)
    page, found = page_with_count(people, 3, number, count=length)
    assert page.number == expected.number
    assert list(page.object_list) == list(expected.object_list)
    assert page.paginator.count == found["count"] == 7
    if number in (None, "1", "2", "3", "x"):
        with django_assert_num_queries(1):
            page_with_count(people, 3, number, count=length)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (None, 1),
        ("", 1),
        ("abc", 1),
        (2.5, 1),
        ("1", 1),
        ("7", 7),
        (3.0, 3),
        ("0", None),
        ("-2", None),
        (str(MAX_OFFSET // 25), MAX_OFFSET // 25),
        (str(MAX_OFFSET // 25 + 1), None),  # the page's end beyond the largest OFFSET: the last page
        ("9" * 40, None),
    ],
)
def test_the_page_number_a_read_by_hand_starts_from(number, expected):
    """requested_page: get_page's rules without the count, for the pages the areas read in raw SQL."""
    assert requested_page(number, 25) == expected
