"""``manage.py holidays_seed``: loads the years chinesecalendar knows; ``--overwrite`` replaces a held year."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from portal.holidays.models import CalendarDay, CalendarYear, Festival, YearSource
from portal.holidays.services import calendar_holiday_remove

pytestmark = pytest.mark.django_db


def test_seed_command(staff):
    CalendarYear.objects.filter(year=2026).delete()
    out = StringIO()
    call_command("holidays_seed", "--year", "2026", stdout=out)
    assert "written: 2026" in out.getvalue()
    assert CalendarYear.objects.get(year=2026).source == YearSource.LIBRARY
    assert CalendarDay.objects.filter(date=datetime.date(2026, 10, 1), festival=Festival.NATIONAL).exists()

    calendar_holiday_remove(actor=staff, year=2026, festival=Festival.NATIONAL)
    call_command("holidays_seed", stdout=StringIO())  # a held year is left alone
    assert not CalendarDay.objects.filter(date=datetime.date(2026, 10, 1)).exists()
    call_command("holidays_seed", "--year", "2026", "--overwrite", stdout=StringIO())
    assert CalendarDay.objects.filter(date=datetime.date(2026, 10, 1), festival=Festival.NATIONAL).exists()
    assert CalendarYear.objects.get(year=2026).source == YearSource.LIBRARY
