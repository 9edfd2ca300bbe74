"""The sessions pages of an activity: the weekly schedule's preview (holidays skipped, make-up days to tick,
unknown years), its save (refused when the calendar changed since), a course, drop-in days, one session,
changing one; bad input refused next to the field with nothing saved; nobody else gets in (404)."""

import datetime
import importlib
import re

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from events.models import Registration, RegistrationStatus, Session
from events.services.booking import booking_create
from portal.holidays.models import CalendarDay, CalendarYear, DayKind, YearSource
from portal.notify.models import MessageTemplate

from .factories import ActivityFactory

D = datetime.date
TZ = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _frozen_day(db):
    for data in importlib.import_module("events.migrations.0012_sessions").TEMPLATES:
        MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def staff_client(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.staff)
    return client


@pytest.fixture
def zh_client(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(world.staff)
    return client


@pytest.fixture
def opera(world):
    return ActivityFactory(title="周二越剧班", organiser_user=world.staff)


def enter_2027():
    year = CalendarYear.objects.create(year=2027, source=YearSource.STAFF)
    for n in range(7):
        CalendarDay.objects.create(
            year=year,
            date=D(2027, 2, 6) + datetime.timedelta(days=n),
            kind=DayKind.HOLIDAY,
            festival="spring_festival",
        )
    CalendarDay.objects.create(
        year=year, date=D(2027, 2, 20), kind=DayKind.WORKDAY, festival="spring_festival"
    )


SCHEDULE = {
    "first": "2026-12-01",
    "last": "2027-12-31",
    "weekdays": ["1"],
    "every": "1",
    "start_time": "09:00",
    "end_time": "11:00",
    "capacity": "30",
    "place": "",
}


def token_of(response) -> str:
    m = re.search(r'name="plan_token" value="([0-9a-f]{32})"', response.content.decode())
    assert m, "no plan token in the preview"
    return m.group(1)


def test_the_preview_lists_the_holidays_skipped_and_the_make_up_days_in_chinese(zh_client, opera):
    enter_2027()
    url = reverse("events:session_schedule", args=[opera.pk])
    assert zh_client.get(url).status_code == 200
    r = zh_client.post(url, {**SCHEDULE, "preview": "1"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "预览：共 56 个场次" in html
    assert "2027年2月9日（周二）春节，不上课" in html
    assert "2027年2月20日（周六）调休上班（春节）：是否加课？" in html
    assert 'data-testid="unknown-years"' not in html
    assert not opera.sessions.exists()  # a preview saves nothing


def test_saving_the_preview_creates_the_sessions_and_the_ticked_make_up_day(staff_client, opera):
    enter_2027()
    url = reverse("events:session_schedule", args=[opera.pk])
    token = token_of(staff_client.post(url, {**SCHEDULE, "preview": "1"}))
    r = staff_client.post(url, {**SCHEDULE, "plan_token": token, "makeup_days": ["2027-02-20"], "save": "1"})
    assert r.status_code == 302 and r["Location"] == reverse("events:manage", args=[opera.pk])
    assert opera.sessions.count() == 57
    days = {timezone.localtime(s.starts_at).date() for s in opera.sessions.all()}
    assert D(2027, 2, 20) in days and D(2027, 2, 9) not in days
    page = staff_client.get(r["Location"]).content.decode()
    assert "57 sessions were created." in page


def test_a_save_after_the_calendar_changed_is_refused_and_shows_the_new_preview(staff_client, opera):
    url = reverse("events:session_schedule", args=[opera.pk])
    first = staff_client.post(url, {**SCHEDULE, "preview": "1"})
    assert 'data-testid="unknown-years"' in first.content.decode()  # 2027 not entered yet
    token = token_of(first)
    enter_2027()
    r = staff_client.post(url, {**SCHEDULE, "plan_token": token, "save": "1"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "The holiday calendar changed since the preview" in html
    assert "Spring Festival" in html and token_of(r) != token
    assert not opera.sessions.exists()


def test_bad_input_is_refused_next_to_the_field_and_saves_nothing(staff_client, opera):
    url = reverse("events:session_schedule", args=[opera.pk])
    r = staff_client.post(
        url, {**SCHEDULE, "weekdays": [], "end_time": "08:00", "first": "2026-13-45", "save": "1"}
    )
    assert r.status_code == 400
    errors = r.context["form"].errors
    assert errors["weekdays"] == ["Choose at least one weekday."]
    assert errors["first"] == ["Give a date such as 2026-12-08."]
    assert errors["end_time"] == ["A session must end after it starts."]
    assert 'data-testid="error-summary"' in r.content.decode()
    r = staff_client.post(
        reverse("events:session_dropin", args=[opera.pk]),
        {"dates": "2026-12-05\n下周六", "start_time": "08:30", "end_time": "11:00", "capacity": "40"},
    )
    assert r.status_code == 400
    assert r.context["form"].errors["dates"] == [
        "“下周六” is not a date: write dates such as 2026-12-08, one per line."
    ]
    assert not opera.sessions.exists()


def test_a_course_drop_in_days_and_one_session_from_their_pages(staff_client, opera):
    r = staff_client.post(
        reverse("events:session_course", args=[opera.pk]),
        {
            "first": "2026-12-01",
            "weekdays": ["1"],
            "count": "3",
            "start_time": "09:00",
            "end_time": "10:30",
            "capacity": "15",
        },
    )
    assert r.status_code == 302
    r = staff_client.post(
        reverse("events:session_dropin", args=[opera.pk]),
        {
            "dates": "2026-12-05，2026/12/19\n2027年1月9日",
            "start_time": "08:30",
            "end_time": "11:00",
            "capacity": "40",
            "place": "卫生服务站",
        },
    )
    assert r.status_code == 302
    r = staff_client.post(
        reverse("events:session_add", args=[opera.pk]),
        {"date": "2026-12-24", "start_time": "19:00", "end_time": "20:30", "capacity": "20"},
    )
    assert r.status_code == 302
    days = sorted(timezone.localtime(s.starts_at).date() for s in opera.sessions.all())
    assert days == [
        D(2026, 12, 1),
        D(2026, 12, 5),
        D(2026, 12, 8),
        D(2026, 12, 15),
        D(2026, 12, 19),
        D(2026, 12, 24),
        D(2027, 1, 9),
    ]
    assert set(opera.sessions.filter(place="卫生服务站").values_list("capacity", flat=True)) == {40}


def test_nobody_else_gets_in(client, world, opera, fcfs):
    client.force_login(world.mum_user)
    for name, arg in [
        ("events:session_add", opera.pk),
        ("events:session_course", opera.pk),
        ("events:session_schedule", opera.pk),
        ("events:session_dropin", opera.pk),
        ("events:session_edit", fcfs.session.pk),
    ]:
        assert client.get(reverse(name, args=[arg])).status_code == 404
        assert client.post(reverse(name, args=[arg]), {}).status_code == 404


def test_changing_a_session_refuses_a_capacity_below_the_booked_and_offers_a_raised_one(
    staff_client, world, fcfs, django_capture_on_commit_callbacks
):
    booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    booking_create(actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.dad])
    booking_create(actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid])
    url = reverse("events:session_edit", args=[fcfs.session.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    local = timezone.localtime(fcfs.session.starts_at)
    data = {
        "date": local.strftime("%Y-%m-%d"),
        "start_time": local.strftime("%H:%M"),
        "end_time": timezone.localtime(fcfs.session.ends_at).strftime("%H:%M"),
        "place": "",
    }
    r = staff_client.post(url, {**data, "capacity": "2"})
    assert r.status_code == 400
    assert r.context["form"].errors["capacity"] == [
        "3 people have booked: the capacity cannot be less than 3."
    ]
    fcfs.session.refresh_from_db()
    assert fcfs.session.capacity == 3
    with django_capture_on_commit_callbacks(execute=True):
        r = staff_client.post(url, {**data, "capacity": "4"})
    assert r.status_code == 302
    kid = Registration.objects.get(person=world.kid, session=fcfs.session)
    assert kid.status == RegistrationStatus.OFFERED


def test_the_manage_page_warns_of_sessions_in_a_year_without_holiday_data(staff_client, opera):
    start = datetime.datetime(2027, 3, 2, 9, tzinfo=TZ)
    Session.objects.create(
        activity=opera, starts_at=start, ends_at=start + datetime.timedelta(hours=2), capacity=5
    )
    html = staff_client.get(reverse("events:manage", args=[opera.pk])).content.decode()
    assert 'data-testid="unknown-years"' in html and "2027" in html
    enter_2027()
    html = staff_client.get(reverse("events:manage", args=[opera.pk])).content.decode()
    assert 'data-testid="unknown-years"' not in html


def test_the_change_page_is_filled_in_with_the_session(staff_client, fcfs):
    fcfs.session.place = "二楼教室"
    fcfs.session.save()
    form = staff_client.get(reverse("events:session_edit", args=[fcfs.session.pk])).context["form"]
    local = timezone.localtime(fcfs.session.starts_at)
    assert form["date"].value() == local.date()
    assert form["start_time"].value() == local.time().replace(second=0, microsecond=0)
    assert (form["place"].value(), form["capacity"].value()) == ("二楼教室", 3)
