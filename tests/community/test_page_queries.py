"""The family page and the workbench search cost the same number of queries with few and with many rows
(issue 13): more residents in the registry, more people in her care and in her household, more search
results. Rows are bulk-created; each page is fetched once to warm, then counted."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.community.models import EmergencyContact, Household, Person, Relation, RelationKind


def count_queries(client, url, data=None) -> int:
    client.get(url, data)  # warm: session, caches, templates
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def grow_registry(world, n: int, start: int) -> None:
    """``n`` residents named 张… in grid 1, three to a household."""
    homes = Household.objects.bulk_create(
        [Household(building=world.b3, unit="8", room=f"{start + k:05d}") for k in range(0, n, 3)]
    )
    Person.objects.bulk_create(
        [Person(name=f"张{start + i:05d}", household=homes[i // 3]) for i in range(n)], batch_size=500
    )


def grow_family(world, n: int, start: int) -> None:
    """``n`` more children in her care (each with an emergency contact) and ``n`` more household members."""
    kids = Person.objects.bulk_create([Person(name=f"孩子{start + i}") for i in range(n)])
    Relation.objects.bulk_create(
        [Relation(subject=world.mum, relative=k, kind=RelationKind.GUARDIAN) for k in kids]
    )
    EmergencyContact.objects.bulk_create(
        [EmergencyContact(person=k, name="王秀英", phone="+8613700000000", priority=1) for k in kids]
    )
    Person.objects.bulk_create([Person(name=f"家人{start + i}", household=world.home) for i in range(n)])


def test_my_family_queries_do_not_grow(world, client):
    client.force_login(world.mum_user)
    url = reverse("community:my_family")
    grow_family(world, 2, 0)
    few = count_queries(client, url)
    grow_registry(world, 300, 0)
    grow_family(world, 20, 100)
    many = count_queries(client, url)
    assert few == many
    response = client.get(url)
    family = response.context["family"]
    assert len(family.dependents) == 2 + 2 + 20  # son and granny, then the children added
    assert {d.my_relation for d in family.dependents} == {"guardian", "carer"}
    assert world.mum not in family.members
    assert all(m.household_id == world.home.pk for m in family.members)


def test_my_family_lists_everyone_once(world, client):
    """Herself, her dependents (one of them also in her household) and the other members, each once."""
    client.force_login(world.mum_user)
    family = client.get(reverse("community:my_family")).context["family"]
    assert family.me == world.mum
    assert [d.name for d in family.dependents] == [
        p.name for p in sorted([world.son, world.granny], key=lambda p: (p.birth_date, p.pk))
    ]
    assert world.son not in family.members  # in her household, but listed among her dependents
    assert world.husband in family.members


@pytest.mark.parametrize("q", ["张", "和谐怡园"])
def test_workbench_search_queries_do_not_grow(world, client, q):
    client.force_login(world.staff)
    url = reverse("community:workbench")
    few = count_queries(client, url, {"q": q})
    grow_registry(world, 300, 0)
    many = count_queries(client, url, {"q": q})
    assert few == many
    response = client.get(url, {"q": q})
    assert response.context["page"].paginator.count > 300
    # The page's ids and the count, then its 25 people with what a row shows and nothing left to load.
    assert len(response.context["page"].object_list) == 25
    assert many <= 8


def test_workbench_search_by_estate_name_still_finds_its_residents(world, client):
    """The estate is looked up first; its residents are found by it, and by their names too."""
    client.force_login(world.staff)
    names = {
        p.name for p in client.get(reverse("community:workbench"), {"q": "怡园"}).context["page"].object_list
    }
    assert {"张伟", "张小明"} <= names
    assert "张三" not in names  # 永兴新村
