"""The booking POST does the booking and nothing else (issue 13): a fixed, small number of queries
whatever the pool holds, a redirect that says what each person got without reading it back, a small
refusal page, and a sold-out pool without a waitlist refused without the lock."""

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Booking, Registration, RegistrationScope, RegistrationStatus
from events.services import booking_create

from .conftest import make_user_with_person
from .factories import ActivityFactory, SessionFactory

pytestmark = pytest.mark.django_db

#: A booking POST with a seat, on PostgreSQL: session and user (2), the session with its activity (1), the
#: persons with the right to act for them (1), then in one transaction (2 statements around it) the booking
#: and its audit entry (2), the lock and the claim in one statement (1), the registrations (1), the
#: activity's reminder lead times and the reminder rows (2): 12 (13 before the one statement). SQLite reads
#: the row and moves its counters in two (its immediate transaction is the lock): 13.
BOOKING_QUERIES_MAX = 12 if connection.vendor == "postgresql" else 13


@pytest.fixture
def mum(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.mum_user)
    return client


def _fill(session, n):
    """``n`` other residents already booked into the session (waitlisted past its capacity)."""
    for _ in range(n):
        user, person = make_user_with_person()
        booking_create(actor=user, activity=session.activity, session=session, persons=[person])


def _post(client, activity, session, persons):
    data = {"persons": [p.pk for p in persons]}
    if session is not None:
        data["session"] = session.pk
    url = reverse("events:detail", args=[activity.pk])
    ContentType.objects.get_for_model(Booking)  # the audit log's lookup, cached once per process
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    return response, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("already", [0, 40])
def test_a_booking_costs_the_same_few_queries_however_full_the_pool(mum, world, already):
    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=60)
    _fill(session, already)
    response, sql = _post(mum, activity, session, [world.son, world.daughter])
    assert response.status_code == 302
    assert response["Location"] == reverse("events:detail", args=[activity.pk]) + "#my-status"
    assert len(sql) <= BOOKING_QUERIES_MAX, "\n".join(sql)
    # no seat counting and no page: not one COUNT over the registrations, no template rendered
    assert not any("COUNT(" in q.upper() and "events_registration" in q for q in sql), "\n".join(sql)
    # One statement locks the pool's row on PostgreSQL (SQLite has no row locks: the transaction is one).
    assert sum("FOR UPDATE" in q for q in sql) == (1 if connection.vendor == "postgresql" else 0)
    statuses = set(
        Registration.objects.filter(person__in=[world.son, world.daughter]).values_list("status", flat=True)
    )
    assert statuses == {RegistrationStatus.CONFIRMED}


@pytest.mark.parametrize("capacity, fills", [(60, (0, 40)), (1, (1, 40))], ids=["seated", "waitlisted"])
def test_query_count_is_equal_at_an_empty_and_a_busy_pool(mum, world, capacity, fills):
    counts = []
    for already in fills:
        activity = ActivityFactory()
        session = SessionFactory(activity=activity, capacity=capacity)
        _fill(session, already)
        response, sql = _post(mum, activity, session, [world.son])
        assert response.status_code == 302
        Registration.objects.filter(person=world.son).delete()
        counts.append(len(sql))
    assert counts[0] == counts[1], counts


def test_the_redirect_says_what_each_person_got_from_the_decision(mum, world):
    activity = ActivityFactory()
    session = SessionFactory(activity=activity, capacity=1)
    _fill(session, 3)  # one seated, two waiting
    response = mum.post(
        reverse("events:detail", args=[activity.pk]),
        {"persons": [world.son.pk, world.daughter.pk], "session": session.pk},
        follow=True,
    )
    page = response.content.decode()
    # the eldest first, as the form lists them: 张小红 (10) is number 3 in line, 张小明 (8) number 4
    assert "张小红 is on the waitlist, number 3 in line." in page
    assert "张小明 is on the waitlist, number 4 in line." in page


def test_a_sold_out_pool_without_a_waitlist_refuses_without_the_lock(mum, world):
    activity = ActivityFactory(waitlist_enabled=False)
    session = SessionFactory(activity=activity, capacity=1)
    _fill(session, 1)
    response, sql = _post(mum, activity, session, [world.son])
    assert response.status_code == 400
    assert response.context["reasons"] == ["This is fully booked."]
    assert not any("FOR UPDATE" in q for q in sql), "\n".join(sql)
    assert not any(q.lstrip().upper().startswith("INSERT") for q in sql), "\n".join(sql)
    # session, user, the session with its activity; the page: the unread count of the menu
    assert len(sql) <= 4, "\n".join(sql)
    assert [t.name for t in response.templates][0] == "events/booking_refused.html"
    assert Booking.objects.filter(booked_by=world.mum_user).count() == 0


@pytest.mark.parametrize(
    "posted, reason",
    [
        ({"persons": ["x"], "session": "1"}, "This form was not filled in by the booking page"),
        ({"persons": ["99999999999999999999999"]}, "This form was not filled in by the booking page"),
        ({"persons": ["-3"]}, "This form was not filled in by the booking page"),
        ({"session": "{session}"}, "Tick at least one person."),
        ({"persons": ["{son}"]}, "Choose a session."),
        ({"persons": ["{son}"], "session": "abc"}, "This form was not filled in by the booking page"),
    ],
)
def test_a_hostile_or_empty_post_gets_the_refusal_page(mum, world, posted, reason):
    activity = ActivityFactory()
    session = SessionFactory(activity=activity)
    data = {
        k: [v.format(session=session.pk, son=world.son.pk) for v in (vs if isinstance(vs, list) else [vs])]
        for k, vs in posted.items()
    }
    response = mum.post(reverse("events:detail", args=[activity.pk]), data)
    assert response.status_code == 400
    assert any(reason in r for r in response.context["reasons"]), response.context["reasons"]
    assert Booking.objects.count() == 0


def test_the_way_back_keeps_the_choices_ticked(mum, world):
    activity = ActivityFactory(min_age=6, max_age=12)
    session = SessionFactory(activity=activity)
    response = mum.post(
        reverse("events:detail", args=[activity.pk]),
        {"persons": [world.mum.pk, world.son.pk], "session": session.pk},
    )
    assert response.status_code == 400
    assert "朱晓燕 will be" in response.context["reasons"][0]
    back = response.context["back_url"]
    assert back.endswith("#booking")
    page = mum.get(back.split("#")[0])
    form = page.context["form"]
    assert set(form.initial["persons"]) == {world.mum.pk, world.son.pk}
    assert form.initial["session"] == session.pk
    html = page.content.decode()
    assert f'value="{world.son.pk}"' in html and "checked" in html.split(f'value="{world.son.pk}"')[1][:80]


def test_a_course_is_booked_without_a_session(mum, world):
    course = ActivityFactory(registration_scope=RegistrationScope.COURSE, capacity=3)
    SessionFactory(activity=course)
    response, sql = _post(mum, course, None, [world.son])
    assert response.status_code == 302
    assert Registration.objects.get(person=world.son).session is None
    # a course also checks it has meetings still to come, and finds them for their reminders (3 more)
    assert len(sql) <= BOOKING_QUERIES_MAX + 4, "\n".join(sql)


def test_a_signed_out_post_goes_to_the_sign_in_page(client, world):
    activity = ActivityFactory()
    session = SessionFactory(activity=activity)
    response = client.post(
        reverse("events:detail", args=[activity.pk]), {"persons": [world.son.pk], "session": session.pk}
    )
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert Booking.objects.count() == 0


def test_someone_she_may_not_book_for_is_refused(mum, world):
    activity = ActivityFactory()
    session = SessionFactory(activity=activity)
    response = mum.post(
        reverse("events:detail", args=[activity.pk]),
        {"persons": [world.son.pk, world.kid.pk], "session": session.pk},
    )
    assert response.status_code == 400
    assert response.context["reasons"] == ["You can book only for yourself and the people in your care."]
    assert "persons=" not in response.context["back_url"]
    assert Booking.objects.count() == 0
