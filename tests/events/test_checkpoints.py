"""Checkpoints (the marathon's stations) and self check-in with the venue's QR code.

A station stamps a ticket once (a family booking as a whole), refuses a second stamp, a forged or another
activity's ticket, another session's ticket, a place not confirmed and a cancelled session, changing
nothing; only the activity's staff and the volunteers with a shift at that station may stamp. Finishers are
those with a stamp at every required station (optional ones do not count). A resident who scans the venue
poster checks her family in; a forged or another activity's code, no booking or no session today is a
clear message and nothing changes.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import (
    CapacityUnit,
    CheckIn,
    CheckInMethod,
    Checkpoint,
    RegistrationStatus,
    Shift,
    ShiftSignup,
    ShiftSignupStatus,
    Stamp,
)
from events.selectors.checkpoints import (
    checkpoint_counts,
    checkpoints_stampable_by,
    finishers,
    may_stamp_at,
    still_out,
)
from events.services import (
    booking_create,
    checkin_record,
    checkin_self_at_venue,
    checkpoint_stamp,
    venue_code_check,
    venue_code_for,
)
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.community.factories import PersonFactory
from tests.volunteers.factories import VolunteerProfileFactory

from .factories import ActivityFactory, OrganizationFactory, SessionFactory, soon_today


def soon(minutes=1):
    return timezone.now() + datetime.timedelta(minutes=minutes)


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def make_volunteer(*, session, checkpoint, role="补给站志愿者", status=ShiftSignupStatus.SIGNED_UP):
    user = UserFactory(name="志愿者小陈")
    profile = VolunteerProfileFactory(person=PersonFactory(name="陈志愿", user=user))
    shift = Shift.objects.create(
        session=session,
        role=role,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        checkpoint=checkpoint,
        slots=3,
    )
    ShiftSignup.objects.create(shift=shift, volunteer=profile, status=status)
    return user


@pytest.fixture
def marathon(world):
    """The mini-marathon today: families (a parent and a child) run together; four stations, the photo
    point optional. Mum runs with her son; the neighbour with his boy; a volunteer at the water station."""
    activity = ActivityFactory(
        organiser_user=world.staff, title="迷你马拉松", capacity_unit=CapacityUnit.FAMILY, place="永兴广场"
    )
    session = SessionFactory(activity=activity, capacity=300, starts_at=soon_today(), ends_at=soon(180))
    start = Checkpoint.objects.create(activity=activity, name="起点签到", position=1)
    water = Checkpoint.objects.create(activity=activity, name="1.2 km 补给站", position=2)
    photo = Checkpoint.objects.create(activity=activity, name="拍照点", position=3, required=False)
    finish = Checkpoint.objects.create(activity=activity, name="终点", position=4)
    mum = booking_create(
        actor=world.mum_user, activity=activity, session=session, persons=[world.mum, world.son]
    )
    dad = booking_create(
        actor=world.dad_user, activity=activity, session=session, persons=[world.dad, world.kid]
    )
    volunteer = make_volunteer(session=session, checkpoint=water)
    return SimpleNamespace(
        activity=activity,
        session=session,
        start=start,
        water=water,
        photo=photo,
        finish=finish,
        mum=mum,
        dad=dad,
        volunteer=volunteer,
    )


def stamp(actor, checkpoint, booking, session, now=None):
    return checkpoint_stamp(actor=actor, checkpoint=checkpoint, session=session, token=booking.token, now=now)


def along_the_route(actor, points, booking, session):
    """Stamp ``points`` in route order, five minutes apart (a stamp needs the stations before it, at
    least a minute later)."""
    for i, point in enumerate(points):
        stamp(actor, point, booking, session, now=soon(5 * i))


def started(marathon, booking, minutes_ago=5):
    """The family of ``booking`` was stamped at the start line ``minutes_ago`` minutes ago."""
    for reg in booking.registrations.all():
        Stamp.objects.create(
            checkpoint=marathon.start,
            registration=reg,
            session=marathon.session,
            stamped_at=soon(-minutes_ago),
        )


def today(session):
    """Move ``session`` to today, starting now: stations accept stamps only while a session runs."""
    session.starts_at, session.ends_at = soon_today(), soon(120)
    session.save(update_fields=["starts_at", "ends_at"])


# --- stamping ---------------------------------------------------------------------------------------------


def test_a_family_ticket_is_stamped_as_a_whole_and_a_second_stamp_is_refused(world, marathon):
    stamps = stamp(world.staff, marathon.start, marathon.mum, marathon.session)
    assert {s.registration.person for s in stamps} == {world.mum, world.son}
    assert all(s.stamped_by == world.staff and s.session == marathon.session for s in stamps)
    with pytest.raises(ValidationError) as exc:
        stamp(world.staff, marathon.start, marathon.mum, marathon.session)
    assert exc.value.code == "already_stamped"
    at = timezone.localtime(stamps[0].stamped_at).strftime("%H:%M")
    assert exc.value.messages == [f"朱晓燕、张小明 already stamped at this checkpoint at {at}."]
    assert Stamp.objects.count() == 2
    # the same ticket at the next station (a little later) is a new stamp
    assert len(stamp(world.staff, marathon.water, marathon.mum, marathon.session, now=soon(5))) == 2


def test_a_pasted_ticket_link_is_read(world, marathon):
    link = f"https://zhaoxi.example.cn/activities/ticket/{marathon.mum.token}/\n"
    stamps = checkpoint_stamp(
        actor=world.staff, checkpoint=marathon.start, session=marathon.session, token=link
    )
    assert len(stamps) == 2


def test_choosing_one_person_of_a_family_booking_stamps_the_family(world, marathon):
    son = marathon.mum.registrations.get(person=world.son)
    stamps = checkpoint_stamp(
        actor=world.staff, checkpoint=marathon.start, session=marathon.session, registration=son
    )
    assert {s.registration.person for s in stamps} == {world.mum, world.son}


def test_a_family_with_one_stamp_missing_gets_only_that_one(world, marathon):
    son = marathon.mum.registrations.get(person=world.son)
    Stamp.objects.create(checkpoint=marathon.start, registration=son, session=marathon.session)
    stamps = stamp(world.staff, marathon.start, marathon.mum, marathon.session)
    assert [s.registration.person for s in stamps] == [world.mum]


@pytest.mark.parametrize(
    ("token", "code"),
    [("not a ticket!", "bad_token"), ("x" * 27, "unknown_token"), ("https://evil.example.com/", "bad_token")],
)
def test_forged_tokens_are_refused(world, marathon, token, code):
    with pytest.raises(ValidationError) as exc:
        checkpoint_stamp(actor=world.staff, checkpoint=marathon.water, session=marathon.session, token=token)
    assert exc.value.code == code
    assert not Stamp.objects.exists()


def test_another_activitys_ticket_is_refused(world, marathon, fcfs):
    other = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.mum]
    )
    with pytest.raises(ValidationError) as exc:
        stamp(world.staff, marathon.water, other, marathon.session)
    assert exc.value.code == "wrong_activity"
    assert "亲子烘焙" in exc.value.messages[0]
    reg = other.registrations.get()
    with pytest.raises(ValidationError) as exc:
        checkpoint_stamp(
            actor=world.staff, checkpoint=marathon.water, session=marathon.session, registration=reg
        )
    assert exc.value.code in {"wrong_activity", "wrong_session"}
    assert not Stamp.objects.exists()


def test_another_sessions_ticket_and_a_cancelled_session_are_refused(world, marathon):
    tomorrow = SessionFactory(activity=marathon.activity, capacity=300)
    with pytest.raises(ValidationError) as exc:
        stamp(world.staff, marathon.water, marathon.mum, tomorrow)
    assert exc.value.code == "wrong_session"
    marathon.session.cancelled = True
    marathon.session.save()
    with pytest.raises(ValidationError) as exc:
        stamp(world.staff, marathon.water, marathon.mum, marathon.session)
    assert exc.value.code == "session_cancelled"
    elsewhere = SessionFactory()
    with pytest.raises(ValidationError) as exc:
        stamp(world.staff, marathon.water, marathon.mum, elsewhere)
    assert exc.value.code == "wrong_session"
    assert not Stamp.objects.exists()


def test_a_place_not_confirmed_is_refused(world, marathon):
    marathon.dad.registrations.update(status=RegistrationStatus.WAITLISTED, queue_no=1)
    with pytest.raises(ValidationError) as exc:
        stamp(world.staff, marathon.water, marathon.dad, marathon.session)
    assert exc.value.code == "not_confirmed"
    kid = marathon.dad.registrations.get(person=world.kid)
    with pytest.raises(ValidationError) as exc:
        checkpoint_stamp(
            actor=world.staff, checkpoint=marathon.water, session=marathon.session, registration=kid
        )
    assert exc.value.code == "not_confirmed"
    assert not Stamp.objects.exists()


def test_in_an_activity_counted_in_persons_a_shared_ticket_needs_a_choice(world, fcfs):
    today(fcfs.session)
    point = Checkpoint.objects.create(activity=fcfs.activity, name="签到台", position=1)
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.mum, world.son]
    )
    with pytest.raises(ValidationError) as exc:
        stamp(world.staff, point, booking, fcfs.session)
    assert exc.value.code == "choose_person"
    son = booking.registrations.get(person=world.son)
    [one] = checkpoint_stamp(
        actor=world.staff, checkpoint=point, session=fcfs.session, token=booking.token, registration=son
    )
    assert one.registration == son
    other = booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid]
    )
    with pytest.raises(ValidationError) as exc:
        checkpoint_stamp(
            actor=world.staff, checkpoint=point, session=fcfs.session, token=other.token, registration=son
        )
    assert exc.value.code == "not_on_ticket"
    assert Stamp.objects.count() == 1


def test_who_may_stamp(world, marathon):
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory())
    for actor in (world.mum_user, partner, world.stranger_user):
        with pytest.raises(PermissionDenied):
            stamp(actor, marathon.water, marathon.mum, marathon.session)
    # the volunteer of the water station stamps there, and nowhere else
    with pytest.raises(PermissionDenied):
        stamp(marathon.volunteer, marathon.finish, marathon.mum, marathon.session)
    started(marathon, marathon.mum)
    assert len(stamp(marathon.volunteer, marathon.water, marathon.mum, marathon.session)) == 2
    assert set(checkpoints_stampable_by(user=marathon.volunteer)) == {marathon.water}
    assert set(checkpoints_stampable_by(user=world.staff)) >= {
        marathon.start,
        marathon.water,
        marathon.finish,
    }
    # a cancelled sign-up, or a shift on another session, gives no right to stamp
    ShiftSignup.objects.update(status=ShiftSignupStatus.CANCELLED, cancelled_at=timezone.now())
    assert not may_stamp_at(user=marathon.volunteer, checkpoint=marathon.water, session=marathon.session)
    other_session = SessionFactory(activity=marathon.activity)
    late = make_volunteer(session=other_session, checkpoint=marathon.water)
    assert may_stamp_at(user=late, checkpoint=marathon.water, session=other_session)
    assert not may_stamp_at(user=late, checkpoint=marathon.water, session=marathon.session)
    assert Stamp.objects.filter(checkpoint=marathon.water).count() == 2


# --- finishers and the course -----------------------------------------------------------------------------


def test_finishers_need_every_required_station_but_not_the_optional_one(world, marathon):
    along_the_route(
        world.staff, (marathon.start, marathon.water, marathon.finish), marathon.mum, marathon.session
    )
    along_the_route(
        world.staff, (marathon.start, marathon.water, marathon.photo), marathon.dad, marathon.session
    )
    done = list(finishers(activity=marathon.activity, session=marathon.session))
    assert {r.person for r in done} == {world.mum, world.son}
    out = list(still_out(activity=marathon.activity, session=marathon.session))
    assert {r.person for r in out} == {world.dad, world.kid}
    assert {r.last_checkpoint for r in out} == {"拍照点"}
    counts = {
        c.name: c.stamped for c in checkpoint_counts(activity=marathon.activity, session=marathon.session)
    }
    assert counts == {"起点签到": 4, "1.2 km 补给站": 4, "拍照点": 2, "终点": 2}
    # the same query for every session: none given counts any session's stamps
    assert len(finishers(activity=marathon.activity)) == 2


def test_no_required_station_means_no_finishers(world, marathon):
    Checkpoint.objects.filter(activity=marathon.activity).update(required=False)
    stamp(world.staff, marathon.start, marathon.mum, marathon.session)
    assert not finishers(activity=marathon.activity, session=marathon.session).exists()
    assert still_out(activity=marathon.activity, session=marathon.session).count() == 2


def test_stamps_of_another_session_do_not_count(world, marathon):
    other = SessionFactory(activity=marathon.activity, capacity=300)
    reg = marathon.mum.registrations.get(person=world.mum)
    for point in (marathon.start, marathon.water, marathon.finish):
        Stamp.objects.create(checkpoint=point, registration=reg, session=other)
    assert not finishers(activity=marathon.activity, session=marathon.session).exists()


# --- pages ------------------------------------------------------------------------------------------------


def station_url(checkpoint, session=None):
    url = reverse("events:station", args=[checkpoint.pk])
    return f"{url}?session={session.pk}" if session else url


def test_station_page_only_for_staff_and_the_stations_volunteers(en, world, marathon):
    en.force_login(world.mum_user)
    assert en.get(station_url(marathon.water)).status_code == 404
    en.force_login(marathon.volunteer)
    assert en.get(station_url(marathon.finish)).status_code == 404
    assert en.post(station_url(marathon.finish), {"token": marathon.mum.token}).status_code == 404
    assert en.get(reverse("events:checkpoints", args=[marathon.activity.pk])).status_code == 404
    assert en.get(reverse("events:venue_poster", args=[marathon.activity.pk])).status_code == 404
    en.logout()
    assert en.get(station_url(marathon.water)).status_code == 302
    assert not Stamp.objects.exists()


def test_volunteer_stamps_a_ticket_on_the_station_page(en, world, marathon):
    started(marathon, marathon.mum)
    en.force_login(marathon.volunteer)
    page = en.get(station_url(marathon.water))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Stamped here: 0 of 4 taking part" in html
    assert reverse("events:checkpoints", args=[marathon.activity.pk]) not in html  # staff only
    response = en.post(
        station_url(marathon.water),
        {"token": marathon.mum.token, "session": marathon.session.pk},
        follow=True,
    )
    html = response.content.decode()
    assert "Stamped at 1.2 km 补给站: 朱晓燕、张小明" in html
    assert "Stamped here: 2 of 4 taking part" in html
    again = en.post(
        station_url(marathon.water), {"token": marathon.mum.token, "session": marathon.session.pk}
    )
    assert again.status_code == 400
    assert "already stamped at this checkpoint at" in again.content.decode()
    for token, reason in (
        ("", "Scan or type the code of the ticket."),
        ("not a ticket!", "This is not a ticket code of this portal."),
        ("y" * 27, "Unknown ticket"),
    ):
        response = en.post(station_url(marathon.water), {"token": token, "session": marathon.session.pk})
        assert response.status_code == 400
        assert reason in response.content.decode()
    assert Stamp.objects.filter(checkpoint=marathon.water).count() == 2


def test_station_page_lets_staff_choose_one_person_of_a_shared_ticket(en, world, fcfs):
    today(fcfs.session)
    point = Checkpoint.objects.create(activity=fcfs.activity, name="签到台", position=1)
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.mum, world.son]
    )
    en.force_login(world.staff)
    response = en.post(station_url(point), {"token": booking.token, "session": fcfs.session.pk})
    html = response.content.decode()
    assert "This ticket is for several people: choose who is here." in html
    assert "Stamp 张小明" in html and "Stamp 朱晓燕" in html
    son = booking.registrations.get(person=world.son)
    response = en.post(
        station_url(point),
        {"token": booking.token, "session": fcfs.session.pk, "registration_id": son.pk},
        follow=True,
    )
    assert "Stamped at 签到台: 张小明" in response.content.decode()
    # someone else's registration with this token is not on it
    kid_booking = booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid]
    )
    kid = kid_booking.registrations.get()
    response = en.post(
        station_url(point), {"token": booking.token, "session": fcfs.session.pk, "registration_id": kid.pk}
    )
    assert "This person is not on this ticket." in response.content.decode()
    assert [s.registration for s in Stamp.objects.all()] == [son]


def test_overview_lists_stations_finishers_and_who_is_still_out(en, world, marathon):
    along_the_route(
        world.staff, (marathon.start, marathon.water, marathon.finish), marathon.mum, marathon.session
    )
    stamp(world.staff, marathon.start, marathon.dad, marathon.session)
    en.force_login(world.staff)
    html = en.get(reverse("events:checkpoints", args=[marathon.activity.pk])).content.decode()
    assert "2 finishers · 1 family" in html
    assert "2 persons" in html and "last seen at 起点签到" in html
    assert reverse("events:station", args=[marathon.water.pk]) in html


def _overview_queries(client, activity) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("events:checkpoints", args=[activity.pk])).status_code == 200
    return len(ctx.captured_queries)


def test_overview_costs_the_same_queries_at_few_and_many_stamps(en, world, marathon):
    en.force_login(world.staff)
    along_the_route(
        world.staff, (marathon.start, marathon.water, marathon.finish), marathon.mum, marathon.session
    )
    few = _overview_queries(en, marathon.activity)
    for i in range(15):
        user = UserFactory()
        parent = PersonFactory(user=user, name=f"家长{i}")
        child = PersonFactory(name=f"孩子{i}")
        from portal.community.models import RelationKind
        from tests.community.factories import RelationFactory

        RelationFactory(subject=parent, relative=child, kind=RelationKind.GUARDIAN)
        b = booking_create(
            actor=user, activity=marathon.activity, session=marathon.session, persons=[parent, child]
        )
        along_the_route(
            world.staff,
            (marathon.start, marathon.water, marathon.photo, marathon.finish)[: 2 + i % 3],
            b,
            marathon.session,
        )
    assert Stamp.objects.count() > 60
    assert _overview_queries(en, marathon.activity) == few


def test_activity_page_links_the_checkpoint_pages_for_managers_only(en, world, marathon):
    url = reverse("events:detail", args=[marathon.activity.pk])
    en.force_login(world.staff)
    html = en.get(url).content.decode()
    assert reverse("events:checkpoints", args=[marathon.activity.pk]) in html
    assert reverse("events:venue_poster", args=[marathon.activity.pk]) in html
    en.force_login(world.mum_user)
    assert 'data-testid="checkpoint-links"' not in en.get(url).content.decode()


# --- self check-in at the venue ---------------------------------------------------------------------------


def venue_url(activity, code=None):
    return reverse("events:venue_checkin", args=[activity.pk, code or venue_code_for(activity)])


def test_the_poster_carries_the_signed_venue_link(en, world, marathon):
    en.force_login(world.staff)
    html = en.get(reverse("events:venue_poster", args=[marathon.activity.pk])).content.decode()
    assert "<svg" in html and 'class="ticket-qr"' in html
    assert venue_url(marathon.activity) in html
    assert "<h1" in html and html.count("<h1") == 1


def test_venue_code_is_signed_per_activity(marathon, fcfs):
    venue_code_check(activity=marathon.activity, code=venue_code_for(marathon.activity))
    with pytest.raises(ValidationError) as exc:
        venue_code_check(activity=marathon.activity, code=venue_code_for(fcfs.activity))
    assert exc.value.code == "wrong_activity"
    forged = f"{marathon.activity.pk}:forgedsignature"
    with pytest.raises(ValidationError) as exc:
        venue_code_check(activity=marathon.activity, code=forged)
    assert exc.value.code == "bad_code"


def test_a_resident_checks_in_her_family_at_the_venue(en, world, marathon):
    en.force_login(world.mum_user)
    page = en.get(venue_url(marathon.activity))
    html = page.content.decode()
    assert page.status_code == 200
    assert "朱晓燕" in html and "张小明" in html and "王小宝" not in html
    son, mum = (marathon.mum.registrations.get(person=p) for p in (world.son, world.mum))
    prefix = f"s{marathon.session.pk}-registrations"
    response = en.post(
        venue_url(marathon.activity), {"session": marathon.session.pk, prefix: [son.pk, mum.pk]}, follow=True
    )
    html = response.content.decode()
    assert "Checked in: " in html and "Welcome!" in html
    assert "Everyone is checked in." in html
    assert set(CheckIn.objects.values_list("method", flat=True)) == {CheckInMethod.SELF}
    assert CheckIn.objects.filter(session=marathon.session).count() == 2
    assert all(c.checked_in_by is None for c in CheckIn.objects.all())


def test_venue_page_refusals_change_nothing(en, world, marathon, fcfs):
    login = reverse("account_login")
    anonymous = en.get(venue_url(marathon.activity))
    assert anonymous.status_code == 302 and anonymous.url.startswith(login)
    assert "next=" in anonymous.url
    en.force_login(world.mum_user)
    forged = en.get(venue_url(marathon.activity, f"{marathon.activity.pk}:forgedsignature"))
    assert forged.status_code == 400
    assert "This venue code is not valid." in forged.content.decode()
    wrong = en.get(venue_url(marathon.activity, venue_code_for(fcfs.activity)))
    assert wrong.status_code == 400
    assert "This venue code belongs to another activity." in wrong.content.decode()
    son = marathon.mum.registrations.get(person=world.son)
    posted = en.post(
        venue_url(marathon.activity, venue_code_for(fcfs.activity)),
        {"session": marathon.session.pk, f"s{marathon.session.pk}-registrations": [son.pk]},
    )
    assert posted.status_code == 400
    # no booking
    en.force_login(world.stranger_user)
    assert (
        "You have no confirmed place for this session"
        in en.get(venue_url(marathon.activity)).content.decode()
    )
    # someone else's registration ticked by hand is not a choice
    en.force_login(world.dad_user)
    response = en.post(
        venue_url(marathon.activity),
        {"session": marathon.session.pk, f"s{marathon.session.pk}-registrations": [son.pk]},
    )
    assert response.status_code == 400
    # no session today
    en.force_login(world.mum_user)
    assert "There is no session of this activity today." in en.get(venue_url(fcfs.activity)).content.decode()
    assert not CheckIn.objects.exists()


def test_self_check_in_service_refuses_another_day_and_a_forged_code(world, marathon):
    son = marathon.mum.registrations.get(person=world.son)
    code = venue_code_for(marathon.activity)
    later = SessionFactory(activity=marathon.activity)
    with pytest.raises(ValidationError) as exc:
        checkin_self_at_venue(
            actor=world.mum_user, activity=marathon.activity, code=code, session=later, registrations=[son]
        )
    assert exc.value.code == "not_today"
    with pytest.raises(ValidationError) as exc:
        checkin_self_at_venue(
            actor=world.mum_user,
            activity=marathon.activity,
            code="nope",
            session=marathon.session,
            registrations=[son],
        )
    assert exc.value.code == "bad_code"
    kid = marathon.dad.registrations.get(person=world.kid)
    with pytest.raises(PermissionDenied):
        checkin_self_at_venue(
            actor=world.mum_user,
            activity=marathon.activity,
            code=code,
            session=marathon.session,
            registrations=[son, kid],
        )
    assert not CheckIn.objects.exists()  # all or nothing
    # already checked in by staff: refused, nothing else added
    checkin_record(
        actor=world.staff, session=marathon.session, registration=son, method=CheckInMethod.STAFF_SEARCH
    )
    mum = marathon.mum.registrations.get(person=world.mum)
    with pytest.raises(ValidationError, match="already checked in"):
        checkin_self_at_venue(
            actor=world.mum_user,
            activity=marathon.activity,
            code=code,
            session=marathon.session,
            registrations=[mum, son],
        )
    assert CheckIn.objects.count() == 1


def test_station_search_stamps_a_runner_without_a_ticket(en, world, marathon, fcfs):
    started(marathon, marathon.dad)
    en.force_login(marathon.volunteer)
    html = en.get(station_url(marathon.water, marathon.session), {"q": "小宝"}).content.decode()
    assert "Stamp 王小宝" in html and "Stamp 张小明" not in html
    kid = marathon.dad.registrations.get(person=world.kid)
    data = {"registration_id": kid.pk, "session": marathon.session.pk, "q": "小宝"}
    response = en.post(station_url(marathon.water), data, follow=True)
    html = response.content.decode()
    assert "Stamped at 1.2 km 补给站: 王强、王小宝" in html  # the family runs together
    assert "Stamped at " in html and "Stamp 王小宝" not in html
    response = en.post(station_url(marathon.water), data, follow=True)
    assert "already stamped at this checkpoint" in response.content.decode()
    other = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.mum]
    )
    data["registration_id"] = other.registrations.get().pk
    assert en.post(station_url(marathon.water), data).status_code == 404
    assert Stamp.objects.filter(checkpoint=marathon.water).count() == 2


def test_admin_edits_checkpoints_inline_and_lists_stamps_read_only(client, world, marathon):
    stamp(world.staff, marathon.start, marathon.mum, marathon.session)
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    page = client.get(reverse("admin:events_activity_change", args=[marathon.activity.pk]))
    assert page.status_code == 200
    assert 'name="checkpoints-0-name"' in page.content.decode()
    listing = client.get(reverse("admin:events_stamp_changelist"))
    assert listing.status_code == 200 and "起点签到" in listing.content.decode()
    assert client.get(reverse("admin:events_stamp_add")).status_code == 403
