"""The workbench's search field is written out by hand (issue 13: crispy's field templates cost more than
the rest of the form); it must stay the markup crispy renders for the same bound field, and each result
still links to the person's workbench page."""

import pytest
from django.template import Context, Template
from django.test import SimpleTestCase
from django.urls import reverse

from portal.community.forms import PeopleSearchForm

pytestmark = pytest.mark.django_db

CRISPY = Template("{% load crispy_forms_tags %}{{ field|as_crispy_field }}")


@pytest.mark.parametrize("query", [{}, {"q": "zhang"}, {"q": "张" * 101}])
def test_search_field_is_the_markup_crispy_renders(world, client, query):
    client.force_login(world.staff)
    response = client.get(reverse("community:workbench"), query)
    form = PeopleSearchForm(query or None)
    form.is_valid()
    SimpleTestCase().assertInHTML(CRISPY.render(Context({"field": form["q"]})), response.content.decode())


def test_each_result_links_to_the_persons_page(world, client):
    client.force_login(world.staff)
    response = client.get(reverse("community:workbench"), {"q": "zhang"})
    people = list(response.context["page"].object_list)
    assert people
    for p in people:
        SimpleTestCase().assertInHTML(
            f'<a href="{reverse("community:workbench_person", args=[p.pk])}">{p.name}</a>',
            response.content.decode(),
        )
