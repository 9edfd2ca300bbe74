"""The holiday calendar in the admin: the lists open, a year opens with its days, and a weekday entered as
a make-up working day is refused."""

import datetime

import pytest
from django.urls import reverse

from portal.accounts.models import Role
from portal.holidays.models import CalendarDay, CalendarYear, DayKind, Festival
from portal.holidays.services import holidays_seed
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role=Role.COMMUNITY_STAFF, is_staff=True, is_superuser=True))
    return client


def test_the_lists_and_a_year_open(admin_client):
    holidays_seed(years=[2026])
    for name in ("holidays_calendaryear_changelist", "holidays_calendarday_changelist"):
        assert admin_client.get(reverse(f"admin:{name}")).status_code == 200
    year = CalendarYear.objects.get(year=2026)
    page = admin_client.get(reverse("admin:holidays_calendaryear_change", args=[year.pk]))
    assert page.status_code == 200 and "2026-10-01" in page.content.decode()


def test_a_weekday_is_no_make_up_working_day(admin_client):
    holidays_seed(years=[2026])
    year = CalendarYear.objects.get(year=2026)
    response = admin_client.post(
        reverse("admin:holidays_calendarday_add"),
        {"year": year.pk, "date": "2026-11-02", "kind": DayKind.WORKDAY, "festival": Festival.NATIONAL},
    )
    assert response.status_code == 200
    assert "调休上班日必须是周六或周日。" in response.content.decode()  # the admin speaks Chinese
    assert not CalendarDay.objects.filter(date=datetime.date(2026, 11, 2)).exists()
