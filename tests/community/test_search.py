"""Staff search: name, pinyin, initials, phone tail, address; scoped; constant queries per page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.community import selectors
from portal.community.models import Person
from portal.community.search import pinyin_keys
from tests.community.factories import HouseholdFactory, PersonFactory


def bulk_people(n, *, name, household=None):
    """Many people fast (no per-row save or audit entry); the search keys filled in as save() would."""
    household = household or HouseholdFactory()
    full, initials = pinyin_keys(name)
    Person.objects.bulk_create(
        [Person(name=name, name_pinyin=full, name_initials=initials, household=household) for _ in range(n)]
    )


def found(viewer, q):
    return set(selectors.people_search(viewer=viewer, q=q).values_list("name", flat=True))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("张三", {"张三"}),
        ("晓燕", {"朱晓燕"}),
        ("zhang", {"张伟", "张小明", "张三"}),
        ("zhangsan", {"张三"}),
        ("zs", {"张三"}),
        ("ZXY", {"朱晓燕"}),
        ("5678", {"朱晓燕"}),
        ("3333", {"张三"}),
        ("和谐怡园佳苑 3-1-502", {"朱晓燕", "张伟", "张小明"}),
        ("和谐怡园佳苑3-1-502", {"朱晓燕", "张伟", "张小明"}),
        ("3栋1单元502室", {"朱晓燕", "张伟", "张小明"}),
        ("3-601", {"李秀英", "赵敏"}),
        ("怡园", {"朱晓燕", "张伟", "张小明", "李秀英", "赵敏"}),
        ("永兴新村 zs", {"张三"}),
        ("502 zhang", {"张伟", "张小明"}),
        ("nobody", set()),
    ],
)
def test_staff_finds_people(world, q, expected):
    assert found(world.staff, q) == expected


def test_empty_query_lists_everyone_in_scope(world):
    assert len(found(world.staff, "")) == 6
    assert found(world.partner, "") == {"张三"}


def test_search_is_scoped(world):
    assert found(world.grid1_worker, "zhang") == {"张伟", "张小明"}
    assert found(world.grid2_worker, "怡园") == set()
    assert found(world.partner, "5678") == set()


def _count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_search_page_costs_the_same_at_10_and_1000_people(world, client, django_assert_num_queries):
    url = reverse("community:workbench")
    client.force_login(world.staff)
    household = HouseholdFactory()
    PersonFactory.create_batch(10, household=household, name="王小红")
    at_10 = _count_queries(client, url, {"q": "wang"})
    assert at_10 <= 10, at_10
    bulk_people(990, name="王小红")
    with django_assert_num_queries(at_10):
        response = client.get(url, {"q": "wang"})
    assert "1000" in response.content.decode()
    with django_assert_num_queries(at_10):
        client.get(url, {"q": "wang", "page": "3"})
