"""Dates at the edges of the calendar, in every date filter and form: a field error, never a 500.

``/activities/?date_to=9999-12-31`` (anonymous) and the dashboard's ``start=9999-12-31`` were 500s: the
day after 9999-12-31 does not exist. Every date field of the portal is ``portal.fields.BoundedDateField``
(1900-2100): year 1, 9999, 10000 and the years just outside are refused next to the field, in Chinese by
default, and the page still answers.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import Role
from portal.fields import MAX_DATE, MIN_DATE, BoundedDateField, BoundedDateTimeField
from tests.accounts.factories import UserFactory
from tests.community.factories import GridFactory, PersonFactory
from tests.volunteers.factories import VolunteerProfileFactory

from .factories import ActivityFactory, SessionFactory

OUT_OF_RANGE = ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"]
NOT_A_DATE = ["10000-01-01", "99999-12-31", "-1-01-01", "9999-12-32", "x" * 5000, "\x00"]
#: What the page shows next to the field (the Chinese interface is the default).
RANGE_ERROR = "请输入1900年至2100年之间的日期。"


def page_text(response) -> str:
    return response.content.decode()


# --- the field itself -----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", OUT_OF_RANGE)
def test_the_bounded_field_refuses_dates_outside_the_portals_years(typed):
    field = BoundedDateField()
    with pytest.raises(ValidationError) as caught:
        field.clean(typed)
    assert caught.value.error_list[0].code == "date_out_of_range"


@pytest.mark.parametrize("typed", NOT_A_DATE)
def test_the_bounded_field_refuses_text_that_is_no_date(typed):
    with pytest.raises(ValidationError) as caught:
        BoundedDateField().clean(typed)
    assert caught.value.error_list[0].code == "invalid"


def test_the_first_and_last_day_are_accepted_and_the_widget_is_a_date_picker():
    field = BoundedDateField()
    assert field.clean(MIN_DATE.isoformat()) == MIN_DATE
    assert field.clean(MAX_DATE.isoformat()) == MAX_DATE
    html = field.widget.render("d", None)
    assert 'type="date"' in html
    assert "max=" not in html  # the server's translated error, not the browser's own bubble


def test_the_bounded_datetime_field_has_the_same_bounds():
    field = BoundedDateTimeField()
    assert field.clean("2026-05-01 09:00").date() == datetime.date(2026, 5, 1)
    with pytest.raises(ValidationError) as caught:
        field.clean("9999-12-31 23:59")
    assert caught.value.error_list[0].code == "date_out_of_range"


# --- the activity list (anonymous) ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("typed", OUT_OF_RANGE)
@pytest.mark.parametrize("param", ["date_from", "date_to"])
def test_the_activity_list_shows_an_out_of_range_date_as_a_field_error(client, param, typed):
    SessionFactory(activity=ActivityFactory(title="亲子烘焙"))
    response = client.get(reverse("events:list"), {param: typed})
    assert response.status_code == 200
    assert param in response.context["filter"].form.errors
    assert RANGE_ERROR in page_text(response)
    assert "亲子烘焙" in page_text(response)  # the list itself, unfiltered


@pytest.mark.django_db
def test_the_activity_list_with_both_ends_at_the_edges(client):
    response = client.get(reverse("events:list"), {"date_from": "0001-01-01", "date_to": "9999-12-31"})
    assert response.status_code == 200
    assert set(response.context["filter"].form.errors) == {"date_from", "date_to"}


@pytest.mark.django_db
@pytest.mark.parametrize("typed", NOT_A_DATE)
def test_the_activity_list_refuses_text_that_is_no_date(client, typed):
    response = client.get(reverse("events:list"), {"date_to": typed})
    assert response.status_code == 200
    assert "date_to" in response.context["filter"].form.errors


@pytest.mark.django_db
def test_the_activity_list_still_filters_by_a_date_in_range(client):
    soon = SessionFactory(activity=ActivityFactory(title="近期活动"))
    day = timezone.localdate(soon.starts_at)
    response = client.get(reverse("events:list"), {"date_from": day.isoformat(), "date_to": day.isoformat()})
    assert response.status_code == 200 and not response.context["filter"].form.errors
    assert "近期活动" in page_text(response)


# --- the staff dashboard --------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(role=Role.COMMUNITY_STAFF))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("typed", OUT_OF_RANGE + ["10000-01-01"])
@pytest.mark.parametrize("param", ["start", "end"])
def test_the_dashboard_shows_an_out_of_range_date_as_a_field_error(staff_client, param, typed):
    response = staff_client.get(reverse("reports:dashboard"), {param: typed})
    assert response.status_code == 200
    assert param in response.context["form"].errors
    assert response.context["groups"] == []


@pytest.mark.django_db
def test_the_dashboard_with_a_period_at_the_end_of_the_calendar(staff_client):
    response = staff_client.get(reverse("reports:dashboard"), {"start": "9999-12-31", "end": "9999-12-31"})
    assert response.status_code == 200
    assert RANGE_ERROR in page_text(response)


@pytest.mark.django_db
def test_a_grid_workers_dashboard_refuses_the_edges_too(client):
    client.force_login(UserFactory(role=Role.GRID_WORKER, grid=GridFactory()))
    response = client.get(reverse("reports:dashboard"), {"start": "0001-01-01", "end": "9999-12-31"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"start", "end"}


# --- the volunteer's certificate ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("typed", OUT_OF_RANGE + ["10000-01-01"])
@pytest.mark.parametrize("param", ["date_from", "date_to"])
def test_the_certificate_period_refuses_the_edges(client, param, typed):
    user = UserFactory()
    VolunteerProfileFactory(person=PersonFactory(user=user))
    client.force_login(user)
    response = client.get(reverse("volunteers:hours_certificate"), {param: typed})
    assert response.status_code == 400
    assert param in response.context["certificate_form"].errors
    if typed in OUT_OF_RANGE:
        assert RANGE_ERROR in page_text(response)


# --- a date of birth --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("typed", OUT_OF_RANGE)
def test_a_date_of_birth_at_the_edges_is_a_field_error(client, typed):
    user = UserFactory()
    me = PersonFactory(user=user)
    client.force_login(user)
    response = client.post(
        reverse("community:person_edit", args=[me.pk]), {"name": me.name, "gender": "F", "birth_date": typed}
    )
    assert response.status_code == 200
    assert "birth_date" in response.context["form"].errors
    # The three-box date of birth (issue 9) says which part to fix: year 1 is no year, 1899 is before the bounds
    # and 2101 is in the future.
    error = response.context["form"].errors.as_data()["birth_date"][0]
    assert error.code == {"0001": "year", "1899": "date_out_of_range"}.get(typed[:4], "future")
    assert response.context["form"].errors["birth_date"][0] in page_text(response)
    me.refresh_from_db()
    assert me.birth_date == datetime.date(1980, 5, 1)  # unchanged


def test_the_dashboard_registry_refuses_a_period_no_form_would_accept():
    """A stats.py provider may add a day to ``end``: the registry never hands it the calendar's last day."""
    from portal.reports import registry

    with pytest.raises(ValueError, match="validate it with a form"):
        registry.figures_for(start=datetime.date(2026, 1, 1), end=datetime.date(9999, 12, 31))
