"""The tablet roster's and the sign-out page's form fields are written out by hand (issue 13: crispy's field
templates cost more than the rest of the form); they must stay the markup crispy renders for the same
bound field: label, classes, value, errors and their aria links. The roster rows' texts and links, now
made in the view, are the ones the template made."""

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import SimpleTestCase
from django.urls import reverse

from youth.forms.pickup import RosterFilterForm, SignOutForm

from ._f_pickup import daycare_day, sign_in

pytestmark = pytest.mark.django_db

CRISPY = Template("{% load crispy_forms_tags %}{% for f in fields %}{{ f|as_crispy_field }}{% endfor %}")


def crispy(*fields) -> str:
    return CRISPY.render(Context({"fields": fields}))


def assert_in_page(needle: str, response) -> None:
    SimpleTestCase().assertInHTML(needle, response.content.decode())


@pytest.mark.parametrize("query", [{}, {"state": "here"}, {"state": "gone"}, {"state": "bogus"}])
def test_roster_filter_is_the_markup_crispy_renders(client, youth_data, query):
    d = daycare_day()
    client.force_login(d.staff)
    response = client.get(reverse("youth:roster_session", args=[d.session.pk]), query)
    form = RosterFilterForm(query or None)
    form.is_valid()
    assert_in_page(crispy(form["state"]), response)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"collector": "other", "other_name": ""},
        {"collector": "bogus", "other_name": "李四", "other_relation": "舅舅"},
    ],
)
def test_sign_out_text_fields_are_the_markup_crispy_renders(client, youth_data, data):
    d = daycare_day()
    sign_in(d)
    client.force_login(d.staff)
    url = reverse("youth:sign_out", args=[d.session.pk, d.child.pk])
    response = client.post(url, data) if data else client.get(url)
    form = SignOutForm(data, collectors=[])
    if data:
        form.is_valid()
    for name in ("other_name", "other_relation"):
        assert_in_page(crispy(form[name]), response)


def test_roster_rows_show_age_times_and_actions_as_before(client, youth_data):
    d = daycare_day(children=2)
    sign_in(d)
    client.force_login(d.staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("youth:roster_session", args=[d.session.pk])
    response = client.get(url, {"state": "", "page": "1"})
    body = response.content.decode()
    here = next(r for r in response.context["rows"] if r.state == "here")
    waiting = next(r for r in response.context["rows"] if r.state == "waiting")
    assert f"{here.child.age} years old" in body
    sign_out = reverse("youth:sign_out", args=[d.session.pk, here.child.pk]) + "?page=1"
    assert_in_page(
        f'<a class="btn btn-primary btn-lg pickup-action" href="{sign_out}">'
        f'Sign out <span class="visually-hidden">{here.child.name}</span></a>',
        response,
    )
    assert f'action="{reverse("youth:sign_in", args=[d.session.pk, waiting.child.pk])}"' in body
    assert f'Sign in <span class="visually-hidden">{waiting.child.name}</span>' in body
