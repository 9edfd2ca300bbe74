"""Birthday greetings (生日祝福) for the elders who asked for them, on the solar (公历) or the lunar (农历)
birthday as each prefers, sent by the daily job through the outbox, once a year.

The lunar calendar is 6tail's ``lunar_python`` (the library ``portal.holidays.festivals`` uses), never a
hand-made table. The rules, as families keep them:

* **Solar**: the same month and day; someone born on 29 February celebrates on 28 February in a year
  without one.
* **Lunar**: the birth date is turned into its lunar month and day, and the birthday is the day of this
  year's calendar with that lunar month and day.
  - Born in a leap month (闰月): the birthday is kept in the ordinary month of the same number (闰四月初八
    → 四月初八), the custom most families follow; in a year that has that leap month again it still falls in
    the ordinary month, so it comes once.
  - Born on the 30th of a lunar month: in a year whose month has 29 days (小月), the birthday is its 29th,
    the last day of that month.
* **Once a year**: ``BirthdayGreeting`` is unique on (elder, year), and the row is claimed with
  ``INSERT ... ON CONFLICT DO NOTHING RETURNING``: only the run that inserted it sends, however often the job
  runs or however many run at once. ``year`` is the Gregorian year for a solar birthday and the lunar year
  (the one that begins at 春节) for a lunar birthday: every lunar year holds exactly one lunar birthday,
  whereas a Gregorian year may hold two (early January and late December) or, rarely, none.

Who hears: ``elders.services.recipients.notice_recipients`` (herself when she has an account, else the
family who act for her). An elder with no one to tell is not claimed: nothing is recorded for her.
"""

from __future__ import annotations

import datetime
import functools
import logging

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from lunar_python import Lunar, LunarMonth, Solar

from portal.community.models import Gender, Person
from portal.notify.services import message_enqueue_many

from ..models import BirthdayCalendar, BirthdayGreeting
from ..selectors.access import elder_q

logger = logging.getLogger(__name__)

TEMPLATE = "elders.birthday_greeting"


# --- the calendar -------------------------------------------------------------------------------------


def _date(solar: Solar) -> datetime.date:
    return datetime.date(solar.getYear(), solar.getMonth(), solar.getDay())


@functools.lru_cache(maxsize=4096)
def lunar_of(day: datetime.date) -> tuple[int, int, int, bool]:
    """(lunar year, month 1-12, day 1-30, is a leap month) of a Gregorian date."""
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    month = lunar.getMonth()
    return lunar.getYear(), abs(month), lunar.getDay(), month < 0


@functools.lru_cache(maxsize=1024)
def _month_days(lunar_year: int, month: int, leap: bool = False) -> int:
    return LunarMonth.fromYm(lunar_year, -month if leap else month).getDayCount()


def lunar_birthday_in(*, birth_date: datetime.date, lunar_year: int) -> datetime.date:
    """The Gregorian date of the lunar birthday of someone born on ``birth_date``, in ``lunar_year``:
    ordinary month for a leap-month birth, the 29th when the month has no 30th (see the module's rules)."""
    _y, month, day, _leap = lunar_of(birth_date)
    day = min(day, _month_days(lunar_year, month))
    return _date(Lunar.fromYmd(lunar_year, month, day).getSolar())


def solar_birthday_in(*, birth_date: datetime.date, year: int) -> datetime.date:
    """The solar birthday in ``year``: 28 February for a 29 February birth in a year without one."""
    try:
        return birth_date.replace(year=year)
    except ValueError:
        return datetime.date(year, 2, 28)


def _is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def solar_birth_q(today: datetime.date) -> Q:
    """Birth dates whose solar birthday is ``today``."""
    q = Q(birth_date__month=today.month, birth_date__day=today.day)
    if today.month == 2 and today.day == 28 and not _is_leap_year(today.year):
        q |= Q(birth_date__month=2, birth_date__day=29)
    return q


def _near_months(today: datetime.date) -> list[int]:
    """The months a lunar birthday falling on ``today`` can have been born in: a lunar month and day falls
    on Gregorian dates that drift by at most about a month from year to year (春节: 21 January to 20
    February), so the birth's solar date is within 40 days of today's month and day."""
    months = set()
    for delta in range(-40, 41, 5):
        months.add((today + datetime.timedelta(days=delta)).month)
    return sorted(months)


def is_lunar_birthday(*, birth_date: datetime.date, today: datetime.date) -> bool:
    """True when ``today`` is the lunar birthday of someone born on ``birth_date`` (the module's rules)."""
    if birth_date > today:
        return False
    return lunar_birthday_in(birth_date=birth_date, lunar_year=lunar_of(today)[0]) == today


def birthday_year(*, calendar: str, today: datetime.date) -> int:
    """The year a greeting sent today counts for (Gregorian for solar, the lunar year for lunar)."""
    return lunar_of(today)[0] if calendar == BirthdayCalendar.LUNAR else today.year


def elders_with_birthday(*, today: datetime.date) -> list[Person]:
    """Active elders who opted in and whose birthday, in the calendar each keeps, is ``today``: one query;
    the lunar ones are narrowed in SQL to births within 40 days of today's month and day, then checked
    on the lunar calendar."""
    solar = Q(elder_profile__birthday_calendar=BirthdayCalendar.SOLAR) & solar_birth_q(today)
    lunar = Q(
        elder_profile__birthday_calendar=BirthdayCalendar.LUNAR, birth_date__month__in=_near_months(today)
    )
    people = (
        Person.objects.filter(elder_q(on=today), is_active=True, elder_profile__birthday_greetings=True)
        .filter(solar | lunar)
        .select_related("elder_profile", "user")
        .order_by("pk")
    )
    return [
        p
        for p in people
        if p.elder_profile.birthday_calendar == BirthdayCalendar.SOLAR
        or is_lunar_birthday(birth_date=p.birth_date, today=today)
    ]


# --- sending ------------------------------------------------------------------------------------------


def _claim(rows: list[tuple[int, int, str, datetime.date]]) -> set[int]:
    """Insert the greetings not there yet; returns the elder ids this call inserted (ON CONFLICT: the
    unique (elder, year) decides, not a read before the write)."""
    if not rows:
        return set()
    table = connection.ops.quote_name(BirthdayGreeting._meta.db_table)
    now = timezone.now()
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    params: list = []
    for elder_id, year, calendar, birthday in rows:
        params += [elder_id, year, calendar, birthday, now]
    # The table name is the model's (quoted); every value is a parameter.
    sql = (
        f"INSERT INTO {table} (elder_id, year, calendar, birthday, created_at) VALUES {values} "  # noqa: S608
        "ON CONFLICT (elder_id, year) DO NOTHING RETURNING elder_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def _honorific(person: Person) -> str:
    if person.gender == Gender.FEMALE:
        return "奶奶"
    if person.gender == Gender.MALE:
        return "爷爷"
    return "老人家"


def birthday_greetings_send(*, today) -> int:
    """Queue today's birthday greetings (solar or lunar, as each elder prefers) through the outbox, once a
    year per elder; returns how many elders were greeted (each to one or more recipients).

    Constant queries whatever the number of elders: the elders, their recipients, the claim, the outbox."""
    from .recipients import notice_recipients

    today = today or timezone.localdate()
    elders = elders_with_birthday(today=today)
    if not elders:
        return 0
    recipients = notice_recipients(persons=elders)
    wanted = [e for e in elders if recipients.get(e.pk)]
    with transaction.atomic():
        claimed = _claim(
            [
                (
                    e.pk,
                    birthday_year(calendar=e.elder_profile.birthday_calendar, today=today),
                    e.elder_profile.birthday_calendar,
                    today,
                )
                for e in wanted
            ]
        )
        items = []
        for elder in wanted:
            if elder.pk not in claimed:
                continue
            calendar = elder.elder_profile.birthday_calendar
            year = birthday_year(calendar=calendar, today=today)
            for person in recipients[elder.pk]:
                items.append(
                    {
                        "key": f"elders.birthday:{elder.pk}:{year}:person:{person.pk}",
                        "template": TEMPLATE,
                        "person": person,
                        "context": {
                            "elder": elder.name,
                            "honorific": _honorific(elder),
                            "age": elder.age_on(today),
                            "lunar": calendar == BirthdayCalendar.LUNAR,
                            "for_herself": person.pk == elder.pk,
                        },
                    }
                )
        message_enqueue_many(items=items)
    if claimed:
        logger.info("Birthday greetings queued for %s elder(s) on %s", len(claimed), today)
    return len(claimed)
