"""The staff pages of the holiday calendar (节假日安排): community staff only; a year entered as the notice
reads it; bad input refused next to its field with nothing saved; editing and removing one holiday."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from portal.holidays.models import CalendarDay, CalendarYear, DayKind, Festival
from portal.holidays.services import HolidayArrangement, calendar_year_set, holidays_seed

pytestmark = pytest.mark.django_db
D = datetime.date
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def staff_client(en, staff):
    en.force_login(staff)
    return en


def _notice(**extra):
    data = {"year": "2027", "notice": "国务院办公厅关于2027年部分节假日安排的通知"}
    for festival in Festival:
        for field in ("first", "last", "workdays"):
            data[f"{festival.value}-{field}"] = ""
    data.update(
        {
            "new_years_day-first": "2027-01-01",
            "new_years_day-last": "2027-01-03",
            "spring_festival-first": "2027-02-05",
            "spring_festival-last": "2027-02-12",
            "spring_festival-workdays": "1月31日（周日）、2月20日（周六）",
        }
    )
    data.update(extra)
    return data


@pytest.mark.parametrize("who", ["partner", "resident"])
def test_partner_staff_and_residents_are_refused(en, request, who):
    en.force_login(request.getfixturevalue(who))
    for url in (
        reverse("holidays:years"),
        reverse("holidays:year_add"),
        reverse("holidays:year", args=[2026]),
        reverse("holidays:holiday_edit", args=[2026, "national_day"]),
    ):
        assert en.get(url).status_code == 403, url
    assert en.post(reverse("holidays:year_add"), _notice()).status_code == 403
    assert en.post(reverse("holidays:holiday_remove", args=[2026, "national_day"])).status_code == 403
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_anonymous_is_sent_to_sign_in(en):
    response = en.get(reverse("holidays:years"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_list_shows_missing_years(staff_client):
    """On 1 December 2026: 2026 is held, 2027 and 2028 are shown as missing (2029 is not asked for yet)."""
    holidays_seed()
    with time_machine.travel(datetime.datetime(2026, 12, 1, 10, tzinfo=SHANGHAI), tick=False):
        response = staff_client.get(reverse("holidays:years"))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'data-year="2027"\s+data-held="no"', html) and "?year=2028" in html
    assert "?year=2029" not in html and "?year=2026" not in html
    assert reverse("holidays:year", args=[2026]) in html


def test_staff_enter_2027_from_the_notice(staff_client, staff):
    response = staff_client.post(reverse("holidays:year_add"), _notice())
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == reverse("holidays:year", args=[2027])
    cy = CalendarYear.objects.get(year=2027)
    assert cy.updated_by == staff and cy.notice.startswith("国务院办公厅")
    workdays = set(cy.days.filter(kind=DayKind.WORKDAY).values_list("date", flat=True))
    assert workdays == {D(2027, 1, 31), D(2027, 2, 20)}
    page = staff_client.get(response["Location"]).content.decode()
    assert "Spring Festival" in page and "New Year&#x27;s Day" in page


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"spring_festival-last": "2027-02-01"}, "spring_festival-last", "cannot come before the first"),
        ({"spring_festival-workdays": "2月22日"}, "spring_festival-workdays", "is not a Saturday or Sunday"),
        ({"spring_festival-workdays": "2月6日"}, "spring_festival-workdays", "both a day off and a working"),
        ({"spring_festival-workdays": "下周六"}, "spring_festival-workdays", "is not a date"),
        ({"new_years_day-first": "2028-01-01"}, "new_years_day-first", "is not in 2027"),
        ({"year": "二〇二七"}, "year", "Enter a whole number."),
    ],
)
def test_bad_input_is_refused_next_to_the_field(staff_client, extra, field, message):
    response = staff_client.post(reverse("holidays:year_add"), _notice(**extra))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and 'data-testid="error-summary"' in html
    assert f'href="#id_{field}"' in html  # the summary links to the field
    assert (
        not CalendarYear.objects.filter(year=2027).exists()
        and not CalendarDay.objects.filter(date__year=2027).exists()
    )


def test_a_year_already_held_is_not_entered_twice(staff_client):
    holidays_seed(years=[2026])
    before = CalendarDay.objects.filter(year__year=2026).count()
    response = staff_client.post(reverse("holidays:year_add"), _notice(year="2026"))
    assert response.status_code == 200
    assert "The arrangement of 2026 is already held" in response.content.decode()
    assert CalendarDay.objects.filter(year__year=2026).count() == before


def test_edit_and_remove_one_holiday(staff_client, staff):
    calendar_year_set(
        actor=staff,
        year=2027,
        holidays={Festival.NEW_YEAR: HolidayArrangement(first=D(2027, 1, 1), last=D(2027, 1, 3))},
    )
    url = reverse("holidays:holiday_edit", args=[2027, "new_years_day"])
    form = staff_client.get(url).content.decode()
    assert 'value="2027-01-01"' in form and 'value="2027-01-03"' in form
    response = staff_client.post(url, {"first": "2027-01-01", "last": "", "workdays": ""})
    assert response.status_code == 302
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True)) == [D(2027, 1, 1)]

    response = staff_client.post(url, {"first": "", "last": "", "workdays": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()

    add = reverse("holidays:holiday_edit", args=[2027, "labour_day"])
    response = staff_client.post(add, {"first": "2027-05-01", "last": "2027-05-05", "workdays": "2027-04-25"})
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date__year=2027, festival=Festival.LABOUR).count() == 6

    staff_client.post(reverse("holidays:holiday_remove", args=[2027, "labour_day"]))
    assert not CalendarDay.objects.filter(festival=Festival.LABOUR, date__year=2027).exists()
    assert staff_client.get(reverse("holidays:holiday_edit", args=[2027, "no_such_day"])).status_code == 404
    assert staff_client.get(reverse("holidays:year", args=[2031])).status_code == 404
    gone = staff_client.post(reverse("holidays:holiday_remove", args=[2031, "labour_day"]), follow=True)
    assert gone.redirect_chain == [(reverse("holidays:years"), 302)]
    assert "The holiday arrangement of 2031 is not held." in gone.content.decode()
