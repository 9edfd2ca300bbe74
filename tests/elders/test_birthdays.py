"""Birthday greetings (elders.services.birthdays): solar or lunar as the elder prefers, through the outbox to
her or to the family acting for her, once a year however often the daily job runs.

Every date is given to the service (``today=``); the expected lunar dates are computed with lunar_python, the
library the service uses, from the lunar month and day written in the test."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st
from lunar_python import Lunar

from elders.models import BirthdayCalendar, BirthdayGreeting
from elders.services.birthdays import (
    birthday_greetings_send,
    is_lunar_birthday,
    lunar_birthday_in,
    lunar_of,
    solar_birthday_in,
)
from portal.community.models import Gender, Relation, RelationKind
from portal.notify.models import Message
from tests.accounts.factories import UserFactory
from tests.elders.factories import ElderFactory, ElderProfileFactory


def _solar(lunar_year: int, month: int, day: int) -> datetime.date:
    s = Lunar.fromYmd(lunar_year, month, day).getSolar()
    return datetime.date(s.getYear(), s.getMonth(), s.getDay())


def _elder(
    *, born, calendar=BirthdayCalendar.SOLAR, opted=True, account=True, gender=Gender.FEMALE, name="李秀英"
):
    person = ElderFactory(
        name=name, birth_date=born, gender=gender, user=UserFactory(name=name) if account else None
    )
    ElderProfileFactory(person=person, birthday_greetings=opted, birthday_calendar=calendar)
    return person


def _messages(elder):
    return Message.objects.filter(key__startswith=f"elders.birthday:{elder.pk}:")


# --- the calendar ---------------------------------------------------------------------------------------


def test_a_29_february_birthday_is_kept_on_28_february_in_a_common_year():
    born = datetime.date(1944, 2, 29)
    assert solar_birthday_in(birth_date=born, year=2027) == datetime.date(2027, 2, 28)
    assert solar_birthday_in(birth_date=born, year=2028) == datetime.date(2028, 2, 29)


def test_the_lunar_birthday_is_this_years_day_of_the_birth_lunar_month_and_day():
    born = datetime.date(1944, 3, 15)
    _y, month, day, leap = lunar_of(born)
    assert not leap
    expected = _solar(2026, month, day)
    assert expected != datetime.date(2026, 3, 15)  # not the solar date
    assert lunar_birthday_in(birth_date=born, lunar_year=2026) == expected
    assert is_lunar_birthday(birth_date=born, today=expected)
    assert not is_lunar_birthday(birth_date=born, today=expected - datetime.timedelta(days=1))
    assert not is_lunar_birthday(birth_date=born, today=datetime.date(2026, 3, 15))


def test_a_leap_month_birth_is_kept_in_the_ordinary_month_even_in_a_year_with_that_leap_month():
    born = _solar(1944, -4, 8)  # 闰四月初八 of 1944
    assert lunar_of(born)[1:] == (4, 8, True)
    assert lunar_birthday_in(birth_date=born, lunar_year=2026) == _solar(2026, 4, 8)
    # 2020 had a 闰四月 as well: the birthday is the ordinary 四月初八, once.
    assert is_lunar_birthday(birth_date=born, today=_solar(2020, 4, 8))
    assert not is_lunar_birthday(birth_date=born, today=_solar(2020, -4, 8))


def test_a_birth_on_the_30th_is_kept_on_the_29th_when_the_month_has_no_30th():
    born = _solar(1950, 2, 30)  # 二月三十 of 1950 (a 30-day month)
    assert lunar_of(born)[1:3] == (2, 30)
    # In 2026 the second lunar month has 29 days: the 29th is her birthday.
    assert lunar_birthday_in(birth_date=born, lunar_year=2026) == _solar(2026, 2, 29)
    # In 2027 it has 30: the 30th is.
    assert lunar_birthday_in(birth_date=born, lunar_year=2027) == _solar(2027, 2, 30)
    assert not is_lunar_birthday(birth_date=born, today=_solar(2027, 2, 29))


@settings(database=None, deadline=None, max_examples=12)
@given(born=st.dates(min_value=datetime.date(1925, 1, 1), max_value=datetime.date(1966, 12, 31)))
def test_every_lunar_year_holds_exactly_one_lunar_birthday(born):
    first, last = _solar(2026, 1, 1), _solar(2027, 1, 1) - datetime.timedelta(days=1)
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    hits = [d for d in days if is_lunar_birthday(birth_date=born, today=d)]
    assert hits == [lunar_birthday_in(birth_date=born, lunar_year=2026)]


# --- sending --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_she_is_greeted_on_her_solar_birthday_once_however_often_the_job_runs(elders_data):
    elder = _elder(born=datetime.date(1944, 11, 18), name="李秀英")
    today = datetime.date(2026, 11, 18)
    assert birthday_greetings_send(today=today) == 1
    greeting = BirthdayGreeting.objects.get(elder=elder)
    assert (greeting.year, greeting.calendar, greeting.birthday) == (2026, BirthdayCalendar.SOLAR, today)
    sent = list(_messages(elder))
    assert sent and {m.user_id for m in sent} == {elder.user_id}
    inbox = next(m for m in sent if m.channel == "inbox")
    assert inbox.body.startswith("李秀英奶奶，祝您生日快乐！")
    # The job runs again the same day, and the next: nothing new.
    assert birthday_greetings_send(today=today) == 0
    assert birthday_greetings_send(today=today + datetime.timedelta(days=1)) == 0
    assert _messages(elder).count() == len(sent)
    assert BirthdayGreeting.objects.count() == 1
    # The next year: greeted again.
    assert birthday_greetings_send(today=datetime.date(2027, 11, 18)) == 1
    assert BirthdayGreeting.objects.filter(elder=elder).count() == 2


@pytest.mark.django_db
def test_an_elder_without_a_phone_is_greeted_through_the_daughter_who_acts_for_her(elders_data):
    mother = _elder(born=datetime.date(1942, 6, 2), account=False, name="王秀英")
    daughter = ElderFactory(
        name="朱晓燕", birth_date=datetime.date(1988, 1, 9), user=UserFactory(name="朱晓燕")
    )
    Relation.objects.create(subject=daughter, relative=mother, kind=RelationKind.CARER)
    assert birthday_greetings_send(today=datetime.date(2026, 6, 2)) == 1
    sent = list(_messages(mother))
    assert sent and {m.user_id for m in sent} == {daughter.user_id}
    inbox = next(m for m in sent if m.channel == "inbox")
    assert "朱晓燕，您好！今天是王秀英奶奶的生日" in inbox.body


@pytest.mark.django_db
def test_english_speakers_read_it_in_english(elders_data):
    elder = _elder(born=datetime.date(1940, 8, 8), gender=Gender.MALE, name="张建国")
    elder.user.language = "en"
    elder.user.save(update_fields=["language"])
    assert birthday_greetings_send(today=datetime.date(2026, 8, 8)) == 1
    inbox = _messages(elder).get(channel="inbox")
    assert inbox.body.startswith("Dear 张建国, happy birthday!")


@pytest.mark.django_db
def test_no_greeting_without_the_opt_in_or_without_anyone_to_tell(elders_data):
    _elder(born=datetime.date(1944, 11, 18), opted=False)
    alone = _elder(born=datetime.date(1944, 11, 18), account=False, name="孤老")
    assert birthday_greetings_send(today=datetime.date(2026, 11, 18)) == 0
    assert not BirthdayGreeting.objects.exists()  # nothing recorded for her: nobody was told
    assert not Message.objects.filter(key__startswith="elders.birthday:").exists()
    assert alone.pk


@pytest.mark.django_db
def test_a_29_february_birth_is_greeted_on_28_february_in_a_common_year_and_on_29_in_a_leap_year(elders_data):
    elder = _elder(born=datetime.date(1944, 2, 29))
    assert birthday_greetings_send(today=datetime.date(2027, 2, 28)) == 1
    assert birthday_greetings_send(today=datetime.date(2028, 2, 28)) == 0
    assert birthday_greetings_send(today=datetime.date(2028, 2, 29)) == 1
    assert list(
        BirthdayGreeting.objects.filter(elder=elder).order_by("year").values_list("year", "birthday")
    ) == [
        (2027, datetime.date(2027, 2, 28)),
        (2028, datetime.date(2028, 2, 29)),
    ]


@pytest.mark.django_db
def test_a_lunar_birthday_is_greeted_on_the_lunar_day_not_the_solar_one(elders_data):
    born = datetime.date(1944, 3, 15)
    elder = _elder(born=born, calendar=BirthdayCalendar.LUNAR)
    _y, month, day, _leap = lunar_of(born)
    lunar_day = _solar(2026, month, day)
    assert birthday_greetings_send(today=datetime.date(2026, 3, 15)) == 0
    assert birthday_greetings_send(today=lunar_day) == 1
    greeting = BirthdayGreeting.objects.get(elder=elder)
    assert (greeting.year, greeting.calendar, greeting.birthday) == (2026, BirthdayCalendar.LUNAR, lunar_day)
    inbox = _messages(elder).get(channel="inbox")
    assert "今天是您的农历生日" in inbox.body


@pytest.mark.django_db
def test_a_lunar_birthday_in_the_twelfth_month_counts_for_its_lunar_year(elders_data):
    """腊月 falls in January of the next Gregorian year: the greeting is of the lunar year, once."""
    born = _solar(1945, 12, 5)
    elder = _elder(born=born, calendar=BirthdayCalendar.LUNAR)
    day = _solar(2026, 12, 5)
    assert day.year == 2027  # January 2027
    assert birthday_greetings_send(today=day) == 1
    assert BirthdayGreeting.objects.get(elder=elder).year == 2026
    assert birthday_greetings_send(today=day) == 0


@pytest.mark.django_db
def test_a_greeting_already_claimed_elsewhere_is_not_sent_again(elders_data):
    """Two jobs at once: the unique (elder, year) decides at the INSERT, the second sends nothing."""
    elder = _elder(born=datetime.date(1944, 11, 18))
    BirthdayGreeting.objects.create(
        elder=elder, year=2026, calendar=BirthdayCalendar.SOLAR, birthday=datetime.date(2026, 11, 18)
    )
    assert birthday_greetings_send(today=datetime.date(2026, 11, 18)) == 0
    assert not _messages(elder).exists()


@pytest.mark.django_db
def test_the_cost_does_not_grow_with_the_elders_greeted(elders_data):
    def run(n: int, day: datetime.date) -> int:
        for i in range(n):
            _elder(born=day.replace(year=1940 + i), name=f"老人{day.month}{i}")
        with CaptureQueriesContext(connection) as ctx:
            assert birthday_greetings_send(today=day) == n
        return len(ctx.captured_queries)

    assert run(1, datetime.date(2026, 5, 6)) == run(6, datetime.date(2026, 5, 7))
