"""Seed the years chinesecalendar knows (2004 to the installed version's last year)."""

import chinese_calendar
from django.db import migrations


def _code(name):
    for holiday in chinese_calendar.Holiday:
        if name in (holiday.value, holiday.name):
            return holiday.name
    raise ValueError(name)


def seed(apps, schema_editor):
    CalendarYear = apps.get_model("holidays", "CalendarYear")
    CalendarDay = apps.get_model("holidays", "CalendarDay")
    years = sorted({d.year for d in chinese_calendar.holidays})
    known = set(CalendarYear.objects.values_list("year", flat=True))
    for year in years:
        if year in known:
            continue
        cy = CalendarYear.objects.create(year=year, source="library")
        rows = [
            CalendarDay(year=cy, date=day, kind="holiday", festival=_code(name))
            for day, name in chinese_calendar.holidays.items()
            if day.year == year
        ] + [
            CalendarDay(year=cy, date=day, kind="workday", festival=_code(name))
            for day, name in chinese_calendar.workdays.items()
            if day.year == year
        ]
        CalendarDay.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("holidays", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
