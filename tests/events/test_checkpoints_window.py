"""Stations accept stamps only while their session runs (from 30 minutes before the start to the end), in
route order (a stamp needs the required stations before it, and comes at least a minute after them), so
the finish never carries the same minute as the start (loose end of issue 10). Each refusal says why
and changes nothing."""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from events.models import Checkpoint, Stamp
from events.selectors.checkpoints import finishers
from events.services import checkpoint_stamp

from .factories import SessionFactory
from .test_checkpoints import marathon  # noqa: F401 - the fixture

M = datetime.timedelta(minutes=1)
STAMPS_OPEN_BEFORE = 30 * M  # events.services.checkpoints.STAMPS_OPEN_BEFORE
STAMP_MIN_INTERVAL = M  # events.services.checkpoints.STAMP_MIN_INTERVAL


def test_the_window_and_the_interval_are_the_documented_ones():
    from events.services import checkpoints

    assert checkpoints.STAMPS_OPEN_BEFORE == STAMPS_OPEN_BEFORE
    assert checkpoints.STAMP_MIN_INTERVAL == STAMP_MIN_INTERVAL


def stamp(actor, point, booking, session, now):
    return checkpoint_stamp(actor=actor, checkpoint=point, session=session, token=booking.token, now=now)


def refused(actor, point, booking, session, now) -> ValidationError:
    before = Stamp.objects.count()
    with pytest.raises(ValidationError) as exc:
        stamp(actor, point, booking, session, now)
    assert Stamp.objects.count() == before
    return exc.value


@pytest.fixture
def race_day(world, marathon):  # noqa: F811
    """The marathon, with the session moved a week ahead (a fixed hour): stamps are judged by ``now=``."""
    start = (timezone.now() + datetime.timedelta(days=7)).replace(hour=8, minute=0, second=0, microsecond=0)
    marathon.session.starts_at, marathon.session.ends_at = start, start + datetime.timedelta(hours=3)
    marathon.session.save(update_fields=["starts_at", "ends_at"])
    return marathon


def test_weeks_before_the_race_stamps_are_refused(world, race_day):
    s = race_day.session
    exc = refused(world.staff, race_day.start, race_day.mum, s, now=s.starts_at - datetime.timedelta(days=21))
    assert exc.code == "stamps_not_open"
    opens = timezone.localtime(s.starts_at - STAMPS_OPEN_BEFORE).strftime("%Y-%m-%d %H:%M")
    assert exc.messages == [f"Stamps for this session open at {opens}, 30 minutes before it starts."]
    exc = refused(world.staff, race_day.start, race_day.mum, s, now=s.starts_at - STAMPS_OPEN_BEFORE - M)
    assert exc.code == "stamps_not_open"
    assert not Stamp.objects.exists()


def test_the_start_line_opens_thirty_minutes_early_and_closes_at_the_end(world, race_day):
    s = race_day.session
    assert len(stamp(world.staff, race_day.start, race_day.mum, s, now=s.starts_at - STAMPS_OPEN_BEFORE)) == 2
    exc = refused(world.staff, race_day.start, race_day.dad, s, now=s.ends_at + M)
    assert exc.code == "stamps_closed"
    ended = timezone.localtime(s.ends_at).strftime("%Y-%m-%d %H:%M")
    assert exc.messages == [f"This session ended at {ended}; stamps are closed."]
    assert len(stamp(world.staff, race_day.start, race_day.dad, s, now=s.ends_at)) == 2


def test_the_finish_needs_the_stations_before_it_and_names_the_missing_one(world, race_day):
    s, t0 = race_day.session, race_day.session.starts_at
    exc = refused(world.staff, race_day.finish, race_day.mum, s, now=t0 + 30 * M)
    assert exc.code == "out_of_order"
    assert exc.messages == ["Stamp at “Station 1 · 起点签到” first: 朱晓燕、张小明 not stamped there yet."]
    stamp(world.staff, race_day.start, race_day.mum, s, now=t0)
    exc = refused(world.staff, race_day.finish, race_day.mum, s, now=t0 + 30 * M)
    assert exc.code == "out_of_order" and "Station 2 · 1.2 km 补给站" in exc.messages[0]
    with translation.override("zh-hans"):
        exc = refused(world.staff, race_day.finish, race_day.mum, s, now=t0 + 30 * M)
        assert exc.messages == ["请先在「第2站 · 1.2 km 补给站」打卡：朱晓燕、张小明尚未在该站打卡。"]
    stamp(world.staff, race_day.water, race_day.mum, s, now=t0 + 10 * M)
    # the optional photo point is never a prerequisite
    assert len(stamp(world.staff, race_day.finish, race_day.mum, s, now=t0 + 30 * M)) == 2
    assert {r.person.name for r in finishers(activity=race_day.activity, session=s)} == {"朱晓燕", "张小明"}


def test_the_finish_cannot_carry_the_same_minute_as_the_start(world, race_day):
    s, t0 = race_day.session, race_day.session.starts_at
    stamp(world.staff, race_day.start, race_day.mum, s, now=t0)
    exc = refused(world.staff, race_day.water, race_day.mum, s, now=t0 + 20 * datetime.timedelta(seconds=1))
    assert exc.code == "too_soon"
    assert (
        "Station 1 · 起点签到" in exc.messages[0]
        and timezone.localtime(t0).strftime("%H:%M") in exc.messages[0]
    )
    stamp(world.staff, race_day.water, race_day.mum, s, now=t0 + STAMP_MIN_INTERVAL)
    exc = refused(world.staff, race_day.finish, race_day.mum, s, now=t0 + STAMP_MIN_INTERVAL)
    assert exc.code == "too_soon"
    stamp(world.staff, race_day.finish, race_day.mum, s, now=t0 + 2 * STAMP_MIN_INTERVAL)
    times = [
        timezone.localtime(st.stamped_at).strftime("%H:%M")
        for st in Stamp.objects.filter(registration__person=world.mum).order_by("checkpoint__position")
    ]
    assert len(set(times)) == 3  # start, water, finish: three different minutes


def test_one_member_of_a_family_missing_a_stamp_is_named(world, race_day):
    s, t0 = race_day.session, race_day.session.starts_at
    son = race_day.mum.registrations.get(person=world.son)
    Stamp.objects.create(checkpoint=race_day.start, registration=son, session=s, stamped_at=t0)
    exc = refused(world.staff, race_day.water, race_day.mum, s, now=t0 + 5 * M)
    assert exc.code == "out_of_order" and "朱晓燕 not stamped there yet" in exc.messages[0]


def test_stamps_of_another_session_do_not_open_the_route(world, race_day):
    s, t0 = race_day.session, race_day.session.starts_at
    other = SessionFactory(activity=race_day.activity, capacity=300)
    for reg in race_day.mum.registrations.all():
        Stamp.objects.create(checkpoint=race_day.start, registration=reg, session=other, stamped_at=t0)
    assert refused(world.staff, race_day.water, race_day.mum, s, now=t0 + 5 * M).code == "out_of_order"


def test_a_route_with_only_optional_stations_has_no_order_to_keep(world, race_day):
    Checkpoint.objects.filter(activity=race_day.activity).update(required=False)
    s, t0 = race_day.session, race_day.session.starts_at
    assert len(stamp(world.staff, race_day.finish, race_day.mum, s, now=t0)) == 2


def test_the_station_page_explains_the_order_in_chinese(client, world, marathon):  # noqa: F811
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(marathon.volunteer)
    url = reverse("events:station", args=[marathon.water.pk])
    response = client.post(url, {"token": marathon.mum.token, "session": marathon.session.pk})
    assert response.status_code == 400
    assert "请先在「第1站 · 起点签到」打卡" in response.content.decode()
    assert not Stamp.objects.exists()
