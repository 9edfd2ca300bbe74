"""The resident pages of the registration engine: the activity list and its filters, the activity page
with its booking form, "my bookings" and its actions, the ticket, the .ics file and the calendar feed."""

import datetime
import zoneinfo

import pytest
from django.conf import settings
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import (
    Activity,
    AllocationMode,
    Area,
    Booking,
    CapacityUnit,
    Offer,
    Registration,
    RegistrationScope,
    RegistrationStatus,
    Session,
)
from events.services import booking_create, registration_cancel
from events.views import feed_token_for

from .factories import ActivityFactory, SessionFactory, in_days

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def en(client):
    """The pages in English, so that assertions read the msgids (the default is Chinese)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def mum(en, world):
    en.force_login(world.mum_user)
    return en


def html(response) -> str:
    return response.content.decode()


def titles(response) -> set[str]:
    return {card.activity.title for card in response.context["cards"]}


def active_regs():
    return Registration.objects.exclude(status=RegistrationStatus.CANCELLED).count()


# --- the list -----------------------------------------------------------------------------------


def test_list_filters(en, world):
    kids = ActivityFactory(title="暑期书法", area=Area.YOUTH, min_age=6, max_age=12, place="少儿活动室")
    SessionFactory(activity=kids, starts_at=in_days(10, hour=9))
    elders = ActivityFactory(title="智能手机课", area=Area.ELDERS, min_age=60, place="老年活动中心")
    SessionFactory(activity=elders, starts_at=in_days(20, hour=9))
    everyone = ActivityFactory(title="中秋游园", place="永兴广场")
    SessionFactory(activity=everyone, starts_at=in_days(30, hour=18), place="健康驿站门口")
    later = ActivityFactory(
        title="迷你马拉松", place="滨江公园", booking_opens_at=in_days(2), booking_closes_at=in_days(6)
    )
    SessionFactory(activity=later, starts_at=in_days(40, hour=8))
    ActivityFactory(title="草稿活动", status="draft")
    url = reverse("events:list")

    assert titles(en.get(url)) == {"暑期书法", "智能手机课", "中秋游园", "迷你马拉松"}
    assert titles(en.get(url, {"area": "youth"})) == {"暑期书法"}
    assert titles(en.get(url, {"audience": "children"})) == {"暑期书法"}
    assert titles(en.get(url, {"audience": "elders"})) == {"智能手机课"}
    assert titles(en.get(url, {"audience": "everyone"})) == {"中秋游园", "迷你马拉松"}
    assert titles(en.get(url, {"place": "健康驿站"})) == {"中秋游园"}  # a session's own place counts
    assert titles(en.get(url, {"place": "活动"})) == {"暑期书法", "智能手机课"}
    assert titles(en.get(url, {"open_now": "on"})) == {"暑期书法", "智能手机课", "中秋游园"}
    day = lambda d: in_days(d).astimezone(SHANGHAI).date().isoformat()  # noqa: E731
    assert titles(en.get(url, {"date_from": day(15), "date_to": day(35)})) == {"智能手机课", "中秋游园"}
    assert titles(en.get(url, {"date_from": day(35)})) == {"迷你马拉松"}
    assert titles(en.get(url, {"date_to": day(12)})) == {"暑期书法"}
    # Bad input: a clear error next to the field, never a 500.
    response = en.get(url, {"date_from": day(35), "date_to": day(15), "audience": "martians"})
    assert response.status_code == 200
    errors = response.context["filter"].form.errors
    assert "date_to" in errors and "audience" in errors
    assert "The end date cannot be before the start date." in html(response)


def test_list_cards_show_next_session_seats_and_state(en, world, fcfs):
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son])
    lottery = ActivityFactory(title="暑托班抽签", allocation=AllocationMode.LOTTERY)
    SessionFactory(activity=lottery, capacity=120)
    soon = ActivityFactory(title="未开放", booking_opens_at=in_days(2), booking_closes_at=in_days(6))
    SessionFactory(activity=soon)
    closed = ActivityFactory(title="已截止", booking_opens_at=in_days(-5), booking_closes_at=in_days(-1))
    SessionFactory(activity=closed)
    course = ActivityFactory(title="京剧班", registration_scope=RegistrationScope.COURSE, capacity=12)
    SessionFactory(activity=course)
    SessionFactory(activity=course)
    booking_create(actor=world.mum_user, activity=course, persons=[world.mum, world.granny])
    response = en.get(reverse("events:list"))
    cards = {c.activity.title: c for c in response.context["cards"]}
    assert cards["亲子烘焙"].seats_left == 2
    assert cards["亲子烘焙"].session == fcfs.session
    assert cards["亲子烘焙"].state.code == "open"
    assert cards["暑托班抽签"].state.code == "lottery"
    assert cards["未开放"].state.code == "not_yet_open"
    assert cards["已截止"].state.code == "closed"
    assert cards["京剧班"].seats_left == 10
    page = html(response)
    assert "Booking opens on" in page and "Lottery: apply until" in page and "Booking closed" in page


def _bulk_activities(n: int, organiser, *, prefix: str) -> None:
    """n published activities, each with two sessions; one in ten is a course, one in ten counts families."""
    acts = Activity.objects.bulk_create(
        [
            Activity(
                title=f"{prefix}{i}",
                place="活动室",
                status="published",
                organiser_user=organiser,
                booking_opens_at=in_days(-1),
                booking_closes_at=in_days(5),
                registration_scope=RegistrationScope.COURSE if i % 10 == 1 else RegistrationScope.SESSION,
                capacity=20 if i % 10 == 1 else None,
                capacity_unit=CapacityUnit.FAMILY if i % 10 == 2 else CapacityUnit.PERSON,
            )
            for i in range(n)
        ]
    )
    Session.objects.bulk_create(
        [
            Session(
                activity=a,
                starts_at=in_days(3 + k, hour=9) + datetime.timedelta(minutes=i % 600),
                ends_at=in_days(3 + k, hour=11) + datetime.timedelta(minutes=i % 600),
                capacity=10,
            )
            for i, a in enumerate(acts)
            for k in (0, 1)
        ]
    )


def test_list_costs_the_same_at_10_and_1000_activities(mum, world, django_assert_num_queries):
    _bulk_activities(10, world.staff, prefix="小")
    session = Session.objects.filter(activity__registration_scope=RegistrationScope.SESSION).first()
    booking_create(actor=world.mum_user, activity=session.activity, session=session, persons=[world.son])
    course = Activity.objects.filter(registration_scope=RegistrationScope.COURSE).first()
    booking_create(actor=world.mum_user, activity=course, persons=[world.daughter])
    url = reverse("events:list")
    mum.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = mum.get(url)
    assert response.status_code == 200
    assert len(response.context["cards"]) == 10
    at_10 = len(ctx.captured_queries)
    _bulk_activities(990, world.staff, prefix="大")
    with django_assert_num_queries(at_10):
        response = mum.get(url)
    assert len(response.context["cards"]) == 20
    with django_assert_num_queries(at_10):
        mum.get(url, {"open_now": "on", "audience": "everyone", "page": "3"})


# --- the activity page and booking ----------------------------------------------------------------


def test_detail_shows_seats_rule_and_family_status(mum, world, fcfs):
    fcfs.activity.min_age, fcfs.activity.max_age = 6, 12
    fcfs.activity.save()
    booking_create(actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid])
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son])
    response = mum.get(reverse("events:detail", args=[fcfs.activity.pk]))
    assert response.status_code == 200
    page = html(response)
    assert "1 place left" in page
    assert "For ages 6 to 12, on the day of the session." in page
    assert str(world.staff) in page or fcfs.activity.organiser_display in page
    family = response.context["family"]
    assert [(r.person.name, r.status) for r in family] == [
        ("张小明", "confirmed")
    ]  # not the neighbour's child
    assert "王小宝" not in page.split('id="my-status"')[1].split("</section>")[0]
    # The form offers her and the people she acts for, not the neighbour's child; the son, already
    # booked, is shown as booked rather than offered again.
    form = response.context["form"]
    assert set(form.fields["persons"].queryset) == {world.mum, world.daughter, world.granny}
    assert form.held == [(world.son, "confirmed")]


def test_detail_for_anonymous_and_unknown(en, world, fcfs):
    response = en.get(reverse("events:detail", args=[fcfs.activity.pk]))
    assert response.status_code == 200 and "Sign in to book" in html(response)
    assert en.get(reverse("events:detail", args=[999999])).status_code == 404
    draft = ActivityFactory(status="draft")
    assert en.get(reverse("events:detail", args=[draft.pk])).status_code == 404
    response = en.post(reverse("events:detail", args=[fcfs.activity.pk]), {"persons": [world.son.pk]})
    assert response.status_code == 302 and "login" in response["Location"]
    assert active_regs() == 0


def test_booking_two_children_in_one_go(mum, world, fcfs):
    url = reverse("events:detail", args=[fcfs.activity.pk])
    response = mum.post(
        url, {"persons": [world.son.pk, world.daughter.pk], "session": fcfs.session.pk}, follow=True
    )
    assert response.status_code == 200
    booking = Booking.objects.get()
    assert booking.booked_by == world.mum_user
    assert {(r.person, r.status) for r in booking.registrations.all()} == {
        (world.son, RegistrationStatus.CONFIRMED),
        (world.daughter, RegistrationStatus.CONFIRMED),
    }
    assert "Booked: 张小红、张小明." in html(response)  # in the order of the form: the elder first
    assert reverse("events:ticket", args=[booking.token]) in html(response)


def test_waitlisted_result_shows_position(mum, world, fcfs):
    booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.dad, world.kid]
    )
    url = reverse("events:detail", args=[fcfs.activity.pk])
    response = mum.post(
        url, {"persons": [world.son.pk, world.daughter.pk], "session": fcfs.session.pk}, follow=True
    )
    page = html(response)
    assert "Booked: 张小红." in page  # the form lists the elder child first, who takes the last seat
    assert "张小明 is on the waitlist, number 1 in line." in page
    assert "On the waitlist: number 1 in line" in page
    assert Registration.objects.get(person=world.son).status == RegistrationStatus.WAITLISTED


def test_lottery_application_result(mum, world):
    lottery = ActivityFactory(allocation=AllocationMode.LOTTERY)
    session = SessionFactory(activity=lottery, capacity=1)
    response = mum.post(
        reverse("events:detail", args=[lottery.pk]),
        {"persons": [world.son.pk], "session": session.pk},
        follow=True,
    )
    assert "Application received for 张小明." in html(response)
    assert "Applied for the lottery" in html(response)


def test_course_booking_has_no_session_choice(mum, world):
    course = ActivityFactory(registration_scope=RegistrationScope.COURSE, capacity=2)
    SessionFactory(activity=course)
    SessionFactory(activity=course)
    url = reverse("events:detail", args=[course.pk])
    assert "session" not in mum.get(url).context["form"].fields
    mum.post(url, {"persons": [world.son.pk]})
    assert Registration.objects.get().session is None


@pytest.mark.parametrize(
    "case, reason",
    [
        ("not_open", "Booking opens on"),
        ("too_old", "朱晓燕 will be"),
        ("full_no_waitlist", "This is fully booked."),
        ("already_booked", "张小明 is already booked for this."),
        ("no_person", "Tick at least one person."),
        ("bad_session", "This session cannot be booked."),
        ("not_mine", "You can book only for yourself and the people in your care."),
    ],
)
def test_refusals_show_the_reason_and_save_nothing(mum, world, case, reason):
    activity = ActivityFactory(min_age=6, max_age=12, waitlist_enabled=False)
    session = SessionFactory(activity=activity, capacity=1)
    persons = [world.son.pk]
    session_id = session.pk
    if case == "not_open":
        activity.booking_opens_at, activity.booking_closes_at = in_days(1), in_days(3)
        activity.save()
    elif case == "too_old":
        persons = [world.mum.pk, world.son.pk]
    elif case == "full_no_waitlist":
        booking_create(actor=world.dad_user, activity=activity, session=session, persons=[world.kid])
    elif case == "already_booked":
        session.capacity = 5
        session.save()
        booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    elif case == "no_person":
        persons = []
    elif case == "bad_session":
        session_id = SessionFactory().pk  # another activity's session
    elif case == "not_mine":
        persons = [world.kid.pk]
    before = (active_regs(), Booking.objects.count())
    response = mum.post(
        reverse("events:detail", args=[activity.pk]), {"persons": persons, "session": session_id}
    )
    # The small refusal page, not the activity page: the reason in the error summary, nothing saved, and
    # the way back to the form with the same choices (a person she may not book for is not kept).
    assert response.status_code == 400
    assert [t.name for t in response.templates][0] == "events/booking_refused.html"
    assert any(reason in r for r in response.context["reasons"]), response.context["reasons"]
    page = html(response)
    summary = page[page.index('data-testid="error-summary"') :]
    assert reason.replace("'", "&#x27;") in summary
    assert (active_regs(), Booking.objects.count()) == before
    back = response.context["back_url"]
    assert back.startswith(reverse("events:detail", args=[activity.pk]))
    assert (f"persons={world.son.pk}" in back) == (case not in ("no_person", "not_mine"))


def test_closed_activity_refuses_a_post(mum, world):
    closed = ActivityFactory(booking_opens_at=in_days(-5), booking_closes_at=in_days(-1))
    session = SessionFactory(activity=closed)
    response = mum.post(
        reverse("events:detail", args=[closed.pk]),
        {"persons": [world.son.pk], "session": session.pk},
        follow=True,
    )
    assert response.status_code == 400
    assert "Booking closed on" in html(response)
    assert active_regs() == 0


# --- my bookings and its actions ------------------------------------------------------------------


def test_my_bookings_lists_the_family(mum, world, fcfs):
    booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son, world.granny]
    )
    booking_create(actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid])
    response = mum.get(reverse("events:my_bookings"))
    assert {r.person.name for r in response.context["active"]} == {"张小明", "李秀英"}
    assert "王小宝" not in html(response)
    assert reverse("events:feed", args=[feed_token_for(world.mum_user)]) in html(response)


def test_my_bookings_needs_sign_in(en, db):
    assert en.get(reverse("events:my_bookings")).status_code == 302


def test_cancel_a_place(mum, world, fcfs):
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    reg = booking.registrations.get()
    url = reverse("events:registration_cancel", args=[reg.pk])
    assert mum.get(url).status_code == 200  # the confirmation page changes nothing
    reg.refresh_from_db()
    assert reg.status == RegistrationStatus.CONFIRMED
    response = mum.post(url, follow=True)
    reg.refresh_from_db()
    assert reg.status == RegistrationStatus.CANCELLED
    assert "The place of 张小明 has been cancelled." in html(response)


def test_cancel_after_the_deadline_is_refused(mum, world):
    activity = ActivityFactory(cancel_hours_before=48)
    session = SessionFactory(activity=activity, starts_at=in_days(1), ends_at=in_days(1.1))
    booking = booking_create(actor=world.mum_user, activity=activity, session=session, persons=[world.son])
    reg = booking.registrations.get()
    assert "Cancellation closed on" in html(mum.get(reverse("events:my_bookings")))
    response = mum.post(reverse("events:registration_cancel", args=[reg.pk]), follow=True)
    assert "Cancellation closed on" in html(response)
    reg.refresh_from_db()
    assert reg.status == RegistrationStatus.CONFIRMED


def test_leave_the_waitlist(mum, world, fcfs):
    booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.dad, world.kid]
    )
    booking = booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    waiting = booking.registrations.get(status=RegistrationStatus.WAITLISTED)
    response = mum.post(reverse("events:waitlist_leave", args=[waiting.pk]), follow=True)
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CANCELLED
    assert f"{waiting.person.name} has left the waitlist." in html(response)


def _offer(world, fcfs):
    fcfs.session.capacity = 1
    fcfs.session.save()
    dads = booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid]
    )
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son])
    registration_cancel(actor=world.dad_user, registration=dads.registrations.get())
    return Offer.objects.get(status=Offer.Status.OPEN)


def test_accept_an_offer(mum, world, fcfs):
    offer = _offer(world, fcfs)
    page = html(mum.get(reverse("events:my_bookings")))
    assert "A place is offered" in page and reverse("events:offer_accept", args=[offer.pk]) in page
    response = mum.post(reverse("events:offer_accept", args=[offer.pk]), follow=True)
    assert Registration.objects.get(person=world.son).status == RegistrationStatus.CONFIRMED
    assert "is yours" in html(response)
    # Accepting twice: the reason, no change.
    response = mum.post(reverse("events:offer_accept", args=[offer.pk]), follow=True)
    assert "already been answered" in html(response)


def test_decline_an_offer(mum, world, fcfs):
    offer = _offer(world, fcfs)
    mum.post(reverse("events:offer_decline", args=[offer.pk]))
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED
    assert Registration.objects.get(person=world.son).status == RegistrationStatus.DECLINED


def test_actions_on_someone_elses_booking_are_404(en, world, fcfs):
    booking = booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid]
    )
    reg = booking.registrations.get()
    en.force_login(world.mum_user)
    for name in ("events:registration_cancel", "events:waitlist_leave"):
        assert en.post(reverse(name, args=[reg.pk])).status_code == 404
    reg.refresh_from_db()
    assert reg.status == RegistrationStatus.CONFIRMED


def test_offer_of_another_family_is_404(en, world, fcfs):
    offer = _offer(world, fcfs)
    en.force_login(world.stranger_user)
    for name in ("events:offer_accept", "events:offer_decline"):
        assert en.post(reverse(name, args=[offer.pk])).status_code == 404
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OPEN


# --- the ticket and calendars ---------------------------------------------------------------------


def test_ticket_page_shows_qr_and_persons(mum, world, fcfs):
    booking = booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    response = mum.get(reverse("events:ticket", args=[booking.token]))
    assert response.status_code == 200
    page = html(response)
    assert '<svg class="ticket-qr" role="img"' in page and "<path" in page
    assert "张小明" in page and "张小红" in page and fcfs.activity.place in page
    assert reverse("events:ticket_ics", args=[booking.token]) in page
    assert "style=" not in page.split('data-testid="ticket-qr"')[1].split("</div>")[0]


def test_ticket_is_404_for_others_and_forged_tokens(en, world, fcfs):
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    url = reverse("events:ticket", args=[booking.token])
    assert en.get(url).status_code == 302  # sign in first
    en.force_login(world.dad_user)
    assert en.get(url).status_code == 404
    assert en.get(reverse("events:ticket_ics", args=[booking.token])).status_code == 404
    en.force_login(world.mum_user)
    for forged in (
        "x" * 27,
        booking.token[:-1] + ("A" if booking.token[-1] != "A" else "B"),
        "%00%27--",
        "a" * 200,
    ):
        assert en.get(f"/activities/ticket/{forged}/").status_code == 404
    en.force_login(world.staff)
    assert en.get(url).status_code == 200


def test_ticket_ics_parses_with_the_right_times(mum, world, fcfs):
    from icalendar import Calendar

    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    url = reverse("events:ticket_ics", args=[booking.token])
    response = mum.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    (event,) = cal.walk("VEVENT")
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start == fcfs.session.starts_at and end == fcfs.session.ends_at
    assert start.utcoffset() == datetime.timedelta(hours=8)
    assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert cal.walk("VTIMEZONE")
    assert str(event["summary"]) == fcfs.activity.title
    assert "张小明" in str(event["description"])
    uid = str(event["uid"])
    again = Calendar.from_ical(mum.get(url).content).walk("VEVENT")[0]
    assert str(again["uid"]) == uid


def test_feed_lists_the_familys_confirmed_sessions(en, world, fcfs):
    booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son, world.granny]
    )
    full = SessionFactory(activity=ActivityFactory(title="满员活动"), capacity=0)
    booking_create(
        actor=world.mum_user, activity=full.activity, session=full, persons=[world.daughter]
    )  # waitlisted
    course = ActivityFactory(title="京剧班", registration_scope=RegistrationScope.COURSE, capacity=5)
    SessionFactory(activity=course)
    SessionFactory(activity=course)
    booking_create(actor=world.mum_user, activity=course, persons=[world.granny])
    booking_create(
        actor=world.dad_user,
        activity=fcfs.activity,
        session=SessionFactory(activity=fcfs.activity),
        persons=[world.kid],
    )
    from icalendar import Calendar

    response = en.get(reverse("events:feed", args=[feed_token_for(world.mum_user)]))  # no sign-in needed
    assert response.status_code == 200
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert sorted(str(e["summary"]) for e in events) == ["京剧班", "京剧班", "亲子烘焙"]
    bake = next(e for e in events if str(e["summary"]) == "亲子烘焙")
    assert "张小明" in str(bake["description"]) and "李秀英" in str(bake["description"])
    assert bake.decoded("dtstart") == fcfs.session.starts_at


def test_feed_token_forged_is_404(en, world):
    token = feed_token_for(world.mum_user)
    assert token != feed_token_for(world.dad_user)
    for forged in (
        token[:-2] + "xx",
        signing.dumps(world.mum_user.pk, salt="another.salt"),
        signing.dumps(str(world.mum_user.pk), salt="events.feed"),
        "1",
        "garbage:token",
    ):
        assert en.get(reverse("events:feed", args=[forged])).status_code == 404
    world.mum_user.is_active = False
    world.mum_user.save()
    assert en.get(reverse("events:feed", args=[token])).status_code == 404
