"""The reads behind the platform pages of issue 13 (a person's workbench page, the family page, the
workbench search) give what the ORM queries they replaced gave."""

from django.core.paginator import Paginator
from django.urls import reverse

from portal.community import selectors
from portal.community.models import Person, Relation, RelationKind

from .test_page_queries import grow_registry


def test_relations_of_both_ways_in_kind_then_id_order(world):
    Relation.objects.create(subject=world.granny, relative=world.mum, kind=RelationKind.CHILD)
    for person in (world.mum, world.granny, world.son):
        relations, relations_to = selectors.relations_of(person=person)
        assert relations == list(person.relations.order_by("kind", "id"))
        assert relations_to == list(person.relations_to.order_by("kind", "id"))
        assert [r.relative.name for r in relations] == [
            r.relative.name for r in person.relations.order_by("kind", "id")
        ]


def test_people_search_page_is_get_page_of_the_search(world):
    grow_registry(world, 60, 0)
    Person.objects.filter(name__startswith="张").update(name_pinyin="zhang")  # ties broken by id
    staff = world.staff
    for q, number in (("张", 1), ("张", "2"), ("张", "99"), ("张", "x"), ("", 3), ("没有这个人", 1)):
        expected = Paginator(selectors.people_search(viewer=staff, q=q), 25).get_page(number)
        page = selectors.people_search_page(viewer=staff, q=q, number=number, per_page=25)
        assert page.number == expected.number
        assert page.paginator.count == expected.paginator.count
        assert [p.pk for p in page.object_list] == [p.pk for p in expected.object_list]
    blocked = selectors.people_search_page(viewer=staff, q="张", number=1, per_page=25, blocked=True)
    assert blocked.paginator.count == 0
    assert list(blocked.object_list) == []


def test_my_family_links_are_each_persons_own(world, client):
    client.force_login(world.mum_user)
    html = client.get(reverse("community:my_family")).content.decode()
    for person in (world.mum, world.son, world.granny):
        for name in ("person_edit", "consents", "emergency_contacts", "sensitive_edit"):
            assert f'href="{reverse(f"community:{name}", args=[person.pk])}"' in html
