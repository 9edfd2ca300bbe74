"""The day-care pages: the list, a programme with its one booking form, my day-care, the staff form."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Booking, Registration
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.events.factories import TargetGroupFactory
from youth.models import DaycareProgramme

from ._f_daycare import DEC_7, make_programme
from .factories import ChildFactory, book

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, settings):
    """The pages in English (assertions read the msgids; Chinese is the default)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def family(youth_data):
    first = ChildFactory(name="朱小雨")
    second = ChildFactory(
        name="朱小雪", guardian=first.guardian_for_tests, birth_date=datetime.date(2016, 4, 2)
    )
    return first.guardian_for_tests.user, [first, second]


def test_anonymous_visitors_are_sent_to_sign_in(client):
    programme = make_programme()
    for url in (
        reverse("youth:daycare_list"),
        reverse("youth:daycare", args=[programme.pk]),
        reverse("youth:my_daycare"),
        reverse("youth:daycare_new"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_the_list_shows_dates_ages_and_the_state_of_the_window(client, family):
    user, _children = family
    now = timezone.now()
    make_programme(title="开放中")
    make_programme(
        title="优先家庭",
        early_opens_at=now - datetime.timedelta(hours=1),
        booking_opens_at=now + datetime.timedelta(days=2),
        early_group=TargetGroupFactory(name="双职工家庭"),
    )
    make_programme(title="未开始", booking_opens_at=now + datetime.timedelta(days=3))
    full = make_programme(title="已满", capacity=1)
    for week in full.weeks.all():
        book(ChildFactory(), week)
    client.force_login(user)
    html = client.get(reverse("youth:daycare_list")).content.decode()
    assert "开放中" in html and "Open for booking" in html
    assert "Early booking for priority families (双职工家庭)" in html
    assert "Booking opens on" in html
    assert "Full: you can join the waitlist" in html
    assert "2026-12-07 – 2026-12-18" in html and "6 to 12" in html
    assert reverse("youth:daycare_new") not in html  # a resident does not create


def test_booking_the_whole_programme_in_one_go_from_the_page(client, family):
    user, children = family
    programme = make_programme(capacity=2)
    week1, week2 = programme.weeks.order_by("number")
    book(ChildFactory(), week2)
    client.force_login(user)
    url = reverse("youth:daycare", args=[programme.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "朱小雨" in html and "朱小雪" in html and 'name="whole"' in html
    response = client.post(url, {"whole": "on", "children": [c.pk for c in children]}, follow=True)
    assert response.redirect_chain[-1][0].endswith("#my-status")
    html = response.content.decode()
    # The children in age order, the elder first: the last of the one place left goes to her.
    assert "Week 1 (12-07–12-11): confirmed: 朱小雪、朱小雨" in html
    assert "Week 2 (12-14–12-18): confirmed: 朱小雪; 朱小雨 on the waitlist, number 1" in html
    assert Registration.objects.filter(person__in=children, status="confirmed").count() == 3
    assert Registration.objects.filter(person__in=children, status="waitlisted").count() == 1


def test_a_refusal_keeps_what_was_ticked_and_books_nothing(client, family):
    user, children = family
    programme = make_programme()
    week1, week2 = programme.weeks.order_by("number")
    book(children[0], week2)
    client.force_login(user)
    url = reverse("youth:daycare", args=[programme.pk])
    response = client.post(url, {"weeks": [week1.pk, week2.pk], "children": [c.pk for c in children]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Week 2 (12-14–12-18): 朱小雨 is already booked for this." in html
    assert 'data-testid="error-summary"' in html
    assert html.count("checked") >= 4  # both weeks and both children still ticked
    assert Registration.objects.count() == 1


def test_another_familys_child_cannot_be_booked_from_the_page(client, family):
    user, children = family
    stranger = ChildFactory(name="李小花")
    programme = make_programme()
    client.force_login(user)
    response = client.post(
        reverse("youth:daycare", args=[programme.pk]),
        {"whole": "on", "children": [children[0].pk, stranger.pk]},
    )
    assert response.status_code == 400
    assert "You can only book for your own children." in response.content.decode()
    assert "李小花" not in response.content.decode()
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "params", [{"weeks": "x"}, {"weeks": "999999999999999999999"}, {"children": "-1"}, {}]
)
def test_hostile_posts_are_form_errors_not_500s(client, family, params):
    user, children = family
    programme = make_programme()
    client.force_login(user)
    data = {"children": [children[0].pk], **params}
    response = client.post(reverse("youth:daycare", args=[programme.pk]), data)
    assert response.status_code == 400
    assert not Booking.objects.exists()


def test_an_unknown_programme_is_404(client, family):
    client.force_login(family[0])
    assert client.get(reverse("youth:daycare", args=[999999])).status_code == 404
    assert client.get(reverse("youth:daycare_edit", args=[999999])).status_code in (403, 404)


def test_my_daycare_shows_each_week_with_status_cancel_link_and_waitlist_position(client, family):
    user, children = family
    programme = make_programme(capacity=1)
    week1, week2 = programme.weeks.order_by("number")
    book(ChildFactory(), week2)
    book(children[0], week1)
    book(children[0], week2)
    client.force_login(user)
    html = client.get(reverse("youth:my_daycare")).content.decode()
    confirmed = Registration.objects.get(person=children[0], activity=week1.activity)
    waiting = Registration.objects.get(person=children[0], activity=week2.activity)
    assert reverse("events:registration_cancel", args=[confirmed.pk]) in html
    assert reverse("events:waitlist_leave", args=[waiting.pk]) in html
    assert "On the waitlist: number 1 in line" in html
    assert "Week 2 (12-14–12-18)" in html


def test_staff_create_a_programme_from_the_form(client, youth_data):
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    client.force_login(staff)
    url = reverse("youth:daycare_new")
    assert client.get(url).status_code == 200
    data = {
        "title": "永兴社区2027暑托班",
        "place": "永兴社区党群服务中心二楼",
        "starts_on": "2026-12-07",
        "ends_on": "2026-12-18",
        "day_starts": "08:00",
        "day_ends": "17:30",
        "min_age": "6",
        "max_age": "12",
        "capacity": "30",
        "allocation": "fcfs",
        "waitlist": "on",
        "booking_opens_at": "2026-11-18T12:00",
        "booking_closes_at": "2026-12-04T18:00",
    }
    response = client.post(url, data)
    programme = DaycareProgramme.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "youth:daycare", args=[programme.pk]
    )
    assert programme.weeks.count() == 2
    detail = client.get(response["Location"]).content.decode()
    for week in programme.weeks.all():  # the engine's own pages for each week's roster, waitlist, draw
        assert reverse("events:manage", args=[week.activity_id]) in detail
    # Bad input: next to the field, nothing saved, nothing typed lost.
    response = client.post(url, {**data, "title": "另一个", "ends_on": "2026-12-01"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The last day cannot be before the first day." in html and 'value="另一个"' in html
    assert DaycareProgramme.objects.count() == 1


def test_residents_may_not_open_the_staff_form(client, family):
    client.force_login(family[0])
    assert client.get(reverse("youth:daycare_new")).status_code == 403
    programme = make_programme()
    assert client.get(reverse("youth:daycare_edit", args=[programme.pk])).status_code == 404


def test_staff_edit_refuses_shortening_once_booked(client, family):
    user, children = family
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    programme = make_programme(actor=staff)
    book(children[0], programme.weeks.get(number=2))
    client.force_login(staff)
    url = reverse("youth:daycare_edit", args=[programme.pk])
    data = {
        "title": programme.title,
        "place": programme.place,
        "starts_on": "2026-12-07",
        "ends_on": "2026-12-11",
        "day_starts": "08:00",
        "day_ends": "17:30",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "cannot be shortened" in response.content.decode()
    programme.refresh_from_db()
    assert programme.ends_on == DEC_7 + datetime.timedelta(days=11)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_programme_page_costs_the_same_at_2_and_10_weeks_and_2_and_20_bookings(client, family):
    user, children = family
    client.force_login(user)
    short = make_programme()
    long = make_programme(ends_on=DEC_7 + datetime.timedelta(days=7 * 10 - 3))
    assert long.weeks.count() == 10
    for week in short.weeks.all():
        book(children, week)
    a = _queries(client, reverse("youth:daycare", args=[short.pk]))
    b = _queries(client, reverse("youth:daycare", args=[long.pk]))
    assert a == b
    for _i in range(18):
        book(ChildFactory(), long.weeks.get(number=1))
    for week in long.weeks.all():
        book(children, week)
    assert _queries(client, reverse("youth:daycare", args=[long.pk])) == b
    # The list and my day-care too.
    few = _queries(client, reverse("youth:daycare_list"))
    mine_few = _queries(client, reverse("youth:my_daycare"))
    make_programme(title="第三个")
    for week in make_programme(title="第四个").weeks.all():
        book(children, week)
    assert _queries(client, reverse("youth:daycare_list")) == few
    assert _queries(client, reverse("youth:my_daycare")) == mine_few


def test_a_programme_in_a_year_the_calendar_does_not_know_warns_staff(client, youth_data):
    from portal.holidays.models import CalendarYear

    CalendarYear.objects.filter(year=2026).delete()
    client.force_login(UserFactory(role=Role.COMMUNITY_STAFF))
    data = {
        "title": "寒托班",
        "place": "永兴社区党群服务中心二楼",
        "starts_on": "2026-12-07",
        "ends_on": "2026-12-11",
        "day_starts": "08:00",
        "day_ends": "17:30",
        "capacity": "30",
        "allocation": "fcfs",
        "booking_opens_at": "2026-11-18T12:00",
        "booking_closes_at": "2026-12-04T18:00",
    }
    response = client.post(reverse("youth:daycare_new"), data, follow=True)
    assert "The holiday arrangement of 2026 has not been entered yet" in response.content.decode()


def test_a_huge_programme_id_is_404_not_500(client, family):
    client.force_login(family[0])
    assert client.get("/youth/daycare/99999999999999999999999/").status_code == 404
