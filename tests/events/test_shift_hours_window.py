"""Volunteer hours count only within the shift's window: check-in and check-out are clipped to
[shift.starts_at, shift.ends_at]. An hour early at the desk is not an hour of service; a check-out at the
start credits nothing, and the volunteer is told why (loose end of issue 10)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from events.models import Shift, ShiftSignup
from events.services import shift_check_in, shift_check_out, shift_hours, shift_signup, shifts_autoclose_due
from portal.accounts.models import Role
from portal.volunteers.models import HoursEntry
from tests.community.factories import PersonFactory, UserFactory
from tests.volunteers.factories import VolunteerProfileFactory

from .factories import ActivityFactory, SessionFactory

H = datetime.timedelta(hours=1)
M = datetime.timedelta(minutes=1)


@pytest.fixture
def vol(db):
    user = UserFactory(role=Role.VOLUNTEER, name="孙志愿")
    VolunteerProfileFactory(person=PersonFactory(name="孙志愿", user=user))
    return user


@pytest.fixture
def shift(db):
    session = SessionFactory(activity=ActivityFactory(title="迷你马拉松"))
    return Shift.objects.create(
        session=session,
        role="补给站",
        slots=2,
        starts_at=session.starts_at,
        ends_at=session.starts_at + 2 * H,
    )


@pytest.mark.parametrize(
    ("in_delta", "out_delta", "expected"),
    [
        (-60, 0, "0.00"),  # an hour early, out at the start: nothing inside the shift
        (-60, 60, "1.00"),  # an hour early, out after one hour of the shift: one hour, not two
        (-30, 150, "2.00"),  # early and late: the whole shift, no more
        (60, 180, "1.00"),  # in halfway, out an hour after the end: the second hour only
        (130, 140, "0.00"),  # both after the end (an open check-in closed late): nothing
        (15, 75, "1.00"),  # wholly inside: unchanged
    ],
)
def test_hours_count_only_inside_the_shift(shift, in_delta, out_delta, expected):
    hours = shift_hours(
        shift=shift,
        checked_in_at=shift.starts_at + in_delta * M,
        checked_out_at=shift.starts_at + out_delta * M,
    )
    assert hours == Decimal(expected)


def test_checking_out_at_the_start_after_an_early_check_in_credits_nothing(vol, shift):
    signup = shift_signup(actor=vol, shift=shift, now=shift.starts_at - 2 * H)
    shift_check_in(actor=vol, signup=signup, now=shift.starts_at - H)
    done = shift_check_out(actor=vol, signup=signup, now=shift.starts_at)
    assert done.hours_entry is None
    assert done.no_hours_reason == "outside_shift"
    assert not HoursEntry.objects.exists()
    signup.refresh_from_db()
    assert signup.checked_out_at == shift.starts_at


def test_an_early_check_in_counts_from_the_start(vol, shift):
    signup = shift_signup(actor=vol, shift=shift, now=shift.starts_at - 2 * H)
    shift_check_in(actor=vol, signup=signup, now=shift.starts_at - H)
    done = shift_check_out(actor=vol, signup=signup, now=shift.starts_at + 45 * M)
    assert done.hours_entry.hours == Decimal("0.75")
    assert HoursEntry.objects.get().hours == Decimal("0.75")


def test_a_short_stay_inside_the_shift_says_too_short(vol, shift):
    signup = shift_signup(actor=vol, shift=shift, now=shift.starts_at - 2 * H)
    shift_check_in(actor=vol, signup=signup, now=shift.starts_at)
    done = shift_check_out(actor=vol, signup=signup, now=shift.starts_at + 5 * M)
    assert done.hours_entry is None and done.no_hours_reason == "too_short"


def test_autoclose_credits_the_shift_not_the_early_hour(vol, shift):
    signup = shift_signup(actor=vol, shift=shift, now=shift.starts_at - 2 * H)
    shift_check_in(actor=vol, signup=signup, now=shift.starts_at - H)
    assert shifts_autoclose_due(now=shift.ends_at + 3 * H) == 1
    entry = HoursEntry.objects.get()
    assert entry.hours == Decimal("2.00") and entry.flagged


@pytest.mark.parametrize(("lang", "text"), [("en", "No service hours"), ("zh-hans", "不计志愿服务时长")])
def test_the_volunteer_is_told_no_hours_count(client, vol, db, lang, text):
    start = timezone.now() + 2 * H
    session = SessionFactory(starts_at=start, ends_at=start + 3 * H)
    shift = Shift.objects.create(
        session=session, role="检录", slots=2, starts_at=start, ends_at=start + 2 * H
    )
    signup = shift_signup(actor=vol, shift=shift)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    client.force_login(vol)
    with time_machine.travel(start - 50 * M, tick=False):
        client.post(reverse("events:shift_check_in", args=[signup.pk]))
    with time_machine.travel(start, tick=False):
        page = client.post(reverse("events:shift_check_out", args=[signup.pk]), follow=True)
    body = page.content.decode()
    with translation.override(lang):
        assert text in body, body
    window = f"{timezone.localtime(start):%H:%M}–{timezone.localtime(start + 2 * H):%H:%M}"
    assert window in body
    assert not HoursEntry.objects.exists()
    assert ShiftSignup.objects.get(pk=signup.pk).checked_out_at == start
