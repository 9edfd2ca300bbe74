"""Hostile input at the engine's new pages: never a 500, a refusal (form error, 400, 404, 403, 405 or a
redirect with a message), and nothing changed in the database where the input was refused.

Ids that are not numbers, too big for the database, negative, zero, odd Unicode digits ("²" passes
``str.isdigit`` but not ``int``), strings with NUL bytes (PostgreSQL refuses them in text), over-long and
emoji strings, impossible dates, forged tokens and venue codes, ids of another activity's objects, double
submits. Run it on SQLite and on PostgreSQL (``DATABASE_URL=postgres://...``): overflow and NUL bytes
only break there.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from events.models import (
    AllocationMode,
    Booking,
    CapacityUnit,
    CheckIn,
    Checkpoint,
    LotteryDraw,
    Registration,
    RegistrationScope,
    RegistrationStatus,
    ReminderRule,
    Session,
    Shift,
    ShiftSignup,
    ShiftSignupStatus,
    StaffMessage,
    Stamp,
)
from events.services import booking_create, venue_code_for
from portal.accounts.models import Role
from portal.notify.models import Message
from portal.volunteers.models import HoursEntry
from portal.volunteers.services import hours_credit
from tests.community.factories import PersonFactory, UserFactory
from tests.volunteers.factories import VolunteerProfileFactory

from .factories import ActivityFactory, SessionFactory, in_days, soon_today

#: Ids as a user can type them into a query string, a form field or a hidden field.
BAD_IDS = [
    "abc",
    "99999999999999999999",
    "-1",
    "0",
    "",
    " ",
    "\x00",
    "1\x00",
    "²",
    "١٢",
    "1.5",
    "1e3",
    "[1]",
]
#: Text as a user can type it.
BAD_TEXT = [
    "",
    " ",
    "x" * 5000,
    "\x00",
    "a\x00b",
    "😀🏃‍♀️朱晓燕\u202e",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
]
#: Dates as a user can type them.
BAD_DATES = [
    "2026-02-30",
    "99999-01-01",
    "0000-01-01",
    "abc",
    "\x00",
    "2026-13-01",
    "1-1-1",
    "２０２６-０１-０１",
]
PAGE_NUMBERS = ["0", "abc", "99999", "-1", "\x00", "99999999999999999999", "1.5", "²"]


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def snapshot() -> dict:
    """Everything a refused request must leave as it was."""
    return {
        "bookings": sorted(Booking.objects.values_list("pk", flat=True)),
        "registrations": sorted(Registration.objects.values_list("pk", "status", "session_id")),
        "checkins": CheckIn.objects.count(),
        "stamps": Stamp.objects.count(),
        "signups": sorted(ShiftSignup.objects.values_list("pk", "status", "checked_in_at", "checked_out_at")),
        "hours": sorted(HoursEntry.objects.values_list("pk", "status", "decision_note")),
        "draws": LotteryDraw.objects.count(),
        "rules": sorted(ReminderRule.objects.values_list("pk", "lead_minutes")),
        "staff_messages": StaffMessage.objects.count(),
        "sessions": sorted(Session.objects.values_list("pk", "cancelled")),
        "messages": Message.objects.count(),
    }


def refused(response) -> None:
    """No server error; a refusal the user can see (an error page or a page with an error), or a redirect."""
    assert response.status_code < 500, response.status_code
    assert response.status_code in (200, 302, 400, 403, 404, 405), response.status_code


def form_error(response, form="form") -> None:
    """The page is shown again with the error next to a field (or above the form), status 400."""
    assert response.status_code == 400, response.status_code
    assert response.context[form].errors


@pytest.fixture
def site(world):
    """The mini-marathon today (two stations, both families booked, a volunteer at the water station),
    another activity with its own booking and station, a pending hours entry, a closed course lottery."""
    run = ActivityFactory(organiser_user=world.staff, title="迷你马拉松", capacity_unit=CapacityUnit.FAMILY)
    now = timezone.now()
    session = SessionFactory(
        activity=run, capacity=300, starts_at=soon_today(), ends_at=now + datetime.timedelta(hours=3)
    )
    later = SessionFactory(activity=run, capacity=300)
    water = Checkpoint.objects.create(activity=run, name="补给站", position=1)
    Checkpoint.objects.create(activity=run, name="终点", position=2)
    mum = booking_create(actor=world.mum_user, activity=run, session=session, persons=[world.mum, world.son])
    dad = booking_create(actor=world.dad_user, activity=run, session=session, persons=[world.dad, world.kid])

    vol_user = UserFactory(role=Role.VOLUNTEER, name="陈志愿")
    volunteer = VolunteerProfileFactory(person=PersonFactory(name="陈志愿", user=vol_user))
    shift = Shift.objects.create(
        session=session,
        role="补给站",
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        checkpoint=water,
        slots=3,
    )
    signup = ShiftSignup.objects.create(shift=shift, volunteer=volunteer, status=ShiftSignupStatus.SIGNED_UP)
    other_vol_user = UserFactory(role=Role.VOLUNTEER, name="另一位志愿者")
    other_volunteer = VolunteerProfileFactory(person=PersonFactory(name="另一位志愿者", user=other_vol_user))
    other_signup = ShiftSignup.objects.create(
        shift=shift, volunteer=other_volunteer, status=ShiftSignupStatus.SIGNED_UP
    )
    entry = hours_credit(
        volunteer=volunteer, date=timezone.localdate(), hours=Decimal("2"), description="补给站"
    )

    other = ActivityFactory(title="另一个活动")  # organised by another staff member
    other_session = SessionFactory(activity=other, starts_at=session.starts_at, ends_at=session.ends_at)
    other_station = Checkpoint.objects.create(activity=other, name="别处", position=1)
    other_booking = booking_create(
        actor=world.dad_user, activity=other, session=other_session, persons=[world.dad]
    )

    lottery = ActivityFactory(
        title="暑托班",
        organiser_user=world.staff,
        allocation=AllocationMode.LOTTERY,
        registration_scope=RegistrationScope.COURSE,
        capacity=3,
    )
    SessionFactory(activity=lottery)
    booking_create(actor=world.mum_user, activity=lottery, persons=[world.son])
    lottery.booking_opens_at, lottery.booking_closes_at = in_days(-3), in_days(-1)
    lottery.save()
    return SimpleNamespace(**locals())


def other_registration(site) -> str:
    """The id of another activity's registration: no page here may take it."""
    return str(site.other_booking.registrations.get().pk)


# --- checkpoints: the station page -------------------------------------------------------------------------


def station(site):
    return reverse("events:station", args=[site.water.pk])


@pytest.mark.parametrize("value", BAD_IDS + BAD_TEXT)
def test_station_get_with_bad_session_and_search(en, world, site, value):
    en.force_login(site.vol_user)
    before = snapshot()
    refused(en.get(station(site), {"session": value}))
    response = en.get(station(site), {"q": value})
    refused(response)
    if "\x00" in value:
        assert [str(m) for m in response.context["messages"]] == ["Null characters are not allowed."]
    refused(en.get(station(site), {"session": value, "q": value}))
    assert snapshot() == before


@pytest.mark.parametrize("value", BAD_IDS)
def test_station_post_bad_registration_id_changes_nothing(en, world, site, value):
    en.force_login(site.vol_user)
    before = snapshot()
    refused(en.post(station(site), {"session": site.session.pk, "registration_id": value}))
    refused(en.post(station(site), {"session": site.session.pk, "registration_id": value, "q": "朱"}))
    response = en.post(
        station(site), {"session": site.session.pk, "registration_id": value, "token": site.mum.token}
    )
    refused(response)
    refused(en.post(station(site), {"session": value, "registration_id": value, "token": value}))
    if value.strip():
        # a bad id with a ticket: "not on this ticket", nothing stamped
        assert response.status_code == 400 and "token" in response.context["form"].errors
        assert snapshot() == before


@pytest.mark.parametrize("value", BAD_TEXT + ["\x00" * 600, "https://evil.example/activities/ticket/\x00/"])
def test_station_post_bad_token_is_an_error_next_to_the_field(en, world, site, value):
    en.force_login(site.vol_user)
    before = snapshot()
    response = en.post(station(site), {"session": site.session.pk, "token": value})
    form_error(response)
    assert "token" in response.context["form"].errors
    assert snapshot() == before


def test_station_refuses_another_activitys_ticket_and_registration(en, world, site):
    en.force_login(site.vol_user)
    before = snapshot()
    form_error(en.post(station(site), {"session": site.session.pk, "token": site.other_booking.token}))
    reg = other_registration(site)
    assert en.post(station(site), {"session": site.session.pk, "registration_id": reg}).status_code == 404
    response = en.post(
        station(site), {"session": site.session.pk, "token": site.mum.token, "registration_id": reg}
    )
    form_error(response)
    # another activity's session is not taken: the station's own session is chosen instead
    refused(en.get(station(site), {"session": site.other_session.pk}))
    assert snapshot() == before


def test_cancelled_ticket_is_refused_at_the_station_and_the_checkin_page(en, world, site):
    # cancelled (by the office: too late for the family to cancel online)
    site.dad.registrations.update(status=RegistrationStatus.CANCELLED)
    en.force_login(world.staff)
    before = snapshot()
    form_error(en.post(station(site), {"session": site.session.pk, "token": site.dad.token}))
    response = en.post(reverse("events:checkin", args=[site.session.pk]), {"token": site.dad.token})
    assert response.status_code < 500 and response.context["ticket_form"].errors
    assert snapshot() == before


def test_station_double_submit_stamps_once(en, world, site):
    en.force_login(site.vol_user)
    data = {"session": site.session.pk, "token": site.mum.token}
    assert en.post(station(site), data).status_code == 302
    after_first = snapshot()
    form_error(en.post(station(site), data))
    assert snapshot() == after_first


def test_station_is_not_for_residents_or_visitors(client, world, site):
    before = snapshot()
    assert client.get(station(site)).status_code == 302
    assert (
        client.post(station(site), {"session": site.session.pk, "token": site.mum.token}).status_code == 302
    )
    client.force_login(world.dad_user)
    assert client.get(station(site)).status_code == 404
    assert (
        client.post(station(site), {"session": site.session.pk, "token": site.mum.token}).status_code == 404
    )
    assert client.get(reverse("events:station", args=[99999999999999999999])).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("value", BAD_IDS)
def test_checkpoints_overview_bad_session(en, world, site, value):
    en.force_login(world.staff)
    refused(en.get(reverse("events:checkpoints", args=[site.run.pk]), {"session": value}))
    en.force_login(world.dad_user)
    assert en.get(reverse("events:checkpoints", args=[site.run.pk])).status_code == 404
    assert en.get(reverse("events:venue_poster", args=[site.run.pk])).status_code == 404


# --- self check-in at the venue ------------------------------------------------------------------------------


def venue(site, code=None, activity=None):
    activity = activity or site.run
    return reverse(
        "events:venue_checkin", args=[activity.pk, code if code is not None else venue_code_for(activity)]
    )


@pytest.mark.parametrize(
    "code",
    ["abc", "x" * 3000, "😀", "1:forged", "%00", "..", "1:", ":"],
)
def test_venue_forged_code_is_refused_and_changes_nothing(en, world, site, code):
    en.force_login(world.mum_user)
    before = snapshot()
    response = en.get(venue(site, code))
    assert response.status_code == 400 and response.context["code_error"]
    regs = [r.pk for r in site.mum.registrations.all()]
    response = en.post(
        venue(site, code), {"session": site.session.pk, f"s{site.session.pk}-registrations": regs}
    )
    assert response.status_code == 400
    assert snapshot() == before


def test_venue_code_with_a_nul_byte_in_the_path(en, world, site):
    en.force_login(world.mum_user)
    response = en.get(f"/activities/{site.run.pk}/here/%00/")
    assert response.status_code in (400, 404)
    response = en.get(f"/activities/{site.run.pk}/here/{venue_code_for(site.run)}%00/")
    assert response.status_code in (400, 404)


def test_venue_code_of_another_activity_is_refused(en, world, site):
    en.force_login(world.mum_user)
    before = snapshot()
    url = reverse("events:venue_checkin", args=[site.run.pk, venue_code_for(site.other)])
    regs = [r.pk for r in site.mum.registrations.all()]
    response = en.post(url, {"session": site.session.pk, f"s{site.session.pk}-registrations": regs})
    assert response.status_code == 400 and response.context["code_error"]
    assert snapshot() == before


@pytest.mark.parametrize("value", BAD_IDS)
def test_venue_post_bad_ids_change_nothing(en, world, site, value):
    en.force_login(world.mum_user)
    before = snapshot()
    field = f"s{site.session.pk}-registrations"
    refused(en.post(venue(site), {"session": value, field: value}))
    response = en.post(venue(site), {"session": site.session.pk, field: value})
    refused(response)
    if response.status_code == 400:
        assert any(row["form"] is not None and row["form"].errors for row in response.context["rows"])
    refused(en.post(venue(site), {"session": site.session.pk, field: [value, "99999999999999999999"]}))
    assert snapshot() == before


def test_venue_refuses_another_familys_registration(en, world, site):
    en.force_login(world.mum_user)
    before = snapshot()
    field = f"s{site.session.pk}-registrations"
    dads = [str(r.pk) for r in site.dad.registrations.all()] + [other_registration(site)]
    response = en.post(venue(site), {"session": site.session.pk, field: dads})
    assert response.status_code == 400
    assert snapshot() == before


def test_venue_double_submit_checks_in_once(en, world, site):
    en.force_login(world.mum_user)
    field = f"s{site.session.pk}-registrations"
    data = {"session": site.session.pk, field: [r.pk for r in site.mum.registrations.all()]}
    assert en.post(venue(site), data).status_code == 302
    after_first = snapshot()
    assert after_first["checkins"] == 2
    refused(en.post(venue(site), data))
    assert snapshot() == after_first


# --- shifts ----------------------------------------------------------------------------------------------------


SHIFT_URLS = ["events:shift_check_in", "events:shift_check_out", "events:shift_signup_cancel"]


def test_shift_actions_on_missing_or_others_objects_are_404(en, world, site):
    en.force_login(site.vol_user)
    before = snapshot()
    for name in SHIFT_URLS:
        for pk in (site.other_signup.pk, 0, 99999999999999999999, 2**63):
            assert en.post(reverse(name, args=[pk])).status_code == 404
        assert en.get(reverse(name, args=[site.signup.pk])).status_code == 405
    for pk in (0, 99999999999999999999, 2**63):
        assert en.post(reverse("events:shift_signup", args=[pk])).status_code == 404
        assert en.get(reverse("events:session_shifts", args=[pk])).status_code == 404
    assert en.get(reverse("events:session_shifts", args=[site.session.pk])).status_code == 404  # not staff
    assert en.get(reverse("events:shifts"), {"page": "\x00", "x": "99999999999999999999"}).status_code == 200
    assert snapshot() == before


def test_shift_double_taps_change_once(en, world, site):
    en.force_login(site.vol_user)
    url = reverse("events:shift_check_in", args=[site.signup.pk])
    assert en.post(url).status_code == 302
    first = snapshot()
    assert en.post(url).status_code == 302
    assert snapshot() == first
    again = reverse("events:shift_signup", args=[site.shift.pk])
    assert en.post(again).status_code == 302
    assert snapshot() == first


def test_shifts_not_for_residents_or_visitors(client, world, site):
    before = snapshot()
    assert client.post(reverse("events:shift_signup", args=[site.shift.pk])).status_code == 302
    client.force_login(world.dad_user)
    assert client.post(reverse("events:shift_signup", args=[site.shift.pk])).status_code == 302
    assert client.post(reverse("events:shift_check_in", args=[site.signup.pk])).status_code == 404
    assert snapshot() == before


# --- staff pages -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", PAGE_NUMBERS)
def test_staff_lists_with_bad_page_numbers(en, world, site, value):
    en.force_login(world.staff)
    refused(en.get(reverse("events:staff_activities"), {"page": value}))
    refused(en.get(reverse("events:roster", args=[site.session.pk]), {"page": value}))
    refused(en.get(reverse("events:roster_export", args=[site.session.pk]), {"page": value}))


@pytest.mark.parametrize("value", BAD_TEXT)
def test_roster_bad_filter(en, world, site, value):
    en.force_login(world.staff)
    refused(en.get(reverse("events:roster", args=[site.session.pk]), {"show": value}))
    refused(en.get(reverse("events:roster_export", args=[site.session.pk]), {"show": value}))


@pytest.mark.parametrize(
    "value",
    BAD_TEXT + ["²", "1440,²", "99999999999999999999", "-5", "1440" * 30, "１４４０", "١٢٠", "5", "10,\x00"],
)
def test_lead_times_bad_input_is_an_error_or_a_clean_save(en, world, site, value):
    en.force_login(world.staff)
    before = snapshot()
    response = en.post(reverse("events:manage", args=[site.run.pk]), {"lead_minutes": value})
    refused(response)
    if response.status_code == 400:
        assert "lead_minutes" in response.context["form"].errors
        assert snapshot() == before


@pytest.mark.parametrize("value", ["", " ", "x" * 5000, "\x00", "a\x00b"])
def test_cancel_session_bad_reason_changes_nothing(en, world, site, value):
    en.force_login(world.staff)
    before = snapshot()
    response = en.post(reverse("events:session_cancel", args=[site.later.pk]), {"reason": value})
    form_error(response)
    assert "reason" in response.context["form"].errors
    assert snapshot() == before


@pytest.mark.parametrize("value", ["", " ", "x" * 5000, "\x00", "a\x00b"])
def test_staff_message_bad_text_changes_nothing(en, world, site, value):
    en.force_login(world.staff)
    before = snapshot()
    response = en.post(
        reverse("events:session_message", args=[site.session.pk]), {"text": value, "request_key": "k" * 20}
    )
    form_error(response)
    assert "text" in response.context["form"].errors
    assert snapshot() == before


@pytest.mark.parametrize("key", ["", "\x00", "a\x00" * 20, "x" * 5000, "😀" * 20, "../../"])
def test_staff_message_odd_request_key_still_sends_once_or_says_why(en, world, site, key):
    en.force_login(world.staff)
    url = reverse("events:session_message", args=[site.session.pk])
    response = en.post(url, {"text": "明天改到二楼活动室", "request_key": key, "include_waitlist": "\x00"})
    refused(response)
    if response.status_code == 400:
        errors = response.context["form"].errors
        assert errors and all(field in ("text", "__all__") for field in errors), errors


def test_staff_message_double_submit_sends_once(en, world, site):
    en.force_login(world.staff)
    url = reverse("events:session_message", args=[site.session.pk])
    data = {"text": "明天改到二楼活动室", "request_key": "abcdefghijklmnopqrstuvwx"}
    assert en.post(url, data).status_code == 302
    first = snapshot()
    refused(en.post(url, data))
    assert snapshot()["staff_messages"] == first["staff_messages"]
    assert snapshot()["messages"] == first["messages"]


def test_staff_pages_of_another_activity_are_404(en, world, site):
    organiser = UserFactory(name="活动负责人")  # manages the marathon only (community staff manage all)
    site.run.organiser_user = organiser
    site.run.save()
    en.force_login(organiser)
    before = snapshot()
    s = site.other_session.pk
    assert en.get(reverse("events:roster", args=[s])).status_code == 404
    assert en.get(reverse("events:roster_export", args=[s])).status_code == 404
    assert en.post(reverse("events:session_cancel", args=[s]), {"reason": "测试"}).status_code == 404
    assert en.post(reverse("events:session_message", args=[s]), {"text": "测试"}).status_code == 404
    assert en.post(reverse("events:manage", args=[site.other.pk]), {"lead_minutes": "60"}).status_code == 404
    for name in ("events:roster", "events:session_cancel", "events:session_message"):
        assert en.get(reverse(name, args=[99999999999999999999])).status_code == 404
    assert snapshot() == before


def test_staff_pages_not_for_residents(client, world, site):
    before = snapshot()
    client.force_login(world.mum_user)
    assert client.get(reverse("events:staff_activities"), {"page": "abc"}).status_code == 403
    assert (
        client.post(reverse("events:session_cancel", args=[site.later.pk]), {"reason": "x"}).status_code
        == 404
    )
    assert (
        client.post(reverse("events:manage", args=[site.run.pk]), {"lead_minutes": "60"}).status_code == 404
    )
    assert snapshot() == before


# --- lottery ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", BAD_IDS)
def test_lottery_draw_page_bad_session(en, world, site, value):
    en.force_login(world.staff)
    before = snapshot()
    url = reverse("events:lottery_draw", args=[site.lottery.pk])
    refused(en.get(url, {"session": value}))
    # a session lottery: the session id is read
    site.lottery.registration_scope = RegistrationScope.SESSION
    site.lottery.save()
    refused(en.get(url, {"session": value}))
    refused(en.post(f"{url}?session={value}", {"confirm": "on"}))
    assert snapshot()["draws"] == before["draws"]


@pytest.mark.parametrize("seed", ["x" * 101, "x" * 5000, "\x00", "a\x00b"])
def test_lottery_posted_seed_is_ignored(en, world, site, seed):
    """No one types the seed (issue 10): a posted one never reaches the draw, which uses the committed one."""
    en.force_login(world.staff)
    response = en.post(
        reverse("events:lottery_draw", args=[site.lottery.pk]), {"seed": seed, "confirm": "on"}
    )
    assert response.status_code == 302
    draw = LotteryDraw.objects.get(activity=site.lottery)
    assert draw.seed != seed and draw.seed == draw.commitment.seed


def test_lottery_unconfirmed_and_double_draw(en, world, site):
    en.force_login(world.staff)
    url = reverse("events:lottery_draw", args=[site.lottery.pk])
    before = snapshot()
    for confirm in ("", "false", "False"):
        response = en.post(url, {"seed": "😀 公开的种子", "confirm": confirm})
        form_error(response)
        assert "confirm" in response.context["form"].errors
    assert snapshot() == before
    assert en.post(url, {"seed": "😀 公开的种子", "confirm": "on"}).status_code == 302
    first = snapshot()
    assert first["draws"] == 1
    assert en.post(url, {"seed": "another", "confirm": "on"}).status_code == 302
    assert snapshot() == first


def test_lottery_public_pages_with_missing_ids(client, world, site):
    for pk in (0, 99999999999999999999, 2**63, 2**31):
        assert client.get(reverse("events:lottery_result", args=[pk])).status_code == 404
        assert client.get(reverse("events:lottery_result_json", args=[pk])).status_code == 404
    client.force_login(world.mum_user)
    for pk in (0, 99999999999999999999, site.other_booking.pk, site.dad.pk):
        assert client.get(reverse("events:lottery_entry", args=[pk])).status_code == 404
    assert client.get(reverse("events:lottery_draw", args=[site.lottery.pk])).status_code == 404


# --- on behalf -----------------------------------------------------------------------------------------------


def onbehalf(site):
    return reverse("events:onbehalf", args=[site.later.activity_id])


@pytest.mark.parametrize("value", BAD_IDS + BAD_TEXT)
def test_onbehalf_get_bad_search_and_person(en, world, site, value):
    en.force_login(world.staff)
    response = en.get(onbehalf(site), {"q": value})
    refused(response)
    if "\x00" in value or len(value) > 100:
        assert "q" in response.context["search_form"].errors  # next to the search field
    refused(en.get(onbehalf(site), {"person": value}))


@pytest.mark.parametrize("value", BAD_IDS)
def test_onbehalf_post_bad_ids_change_nothing(en, world, site, value):
    en.force_login(world.staff)
    before = snapshot()
    url = f"{onbehalf(site)}?person={world.granny.pk}"
    response = en.post(url, {"persons": value, "session": site.later.pk, "request_key": "k" * 30})
    form_error(response)
    response = en.post(url, {"persons": world.granny.pk, "session": value, "request_key": value})
    form_error(response)
    refused(en.post(f"{onbehalf(site)}?person={value}", {"persons": value, "session": value}))
    refused(en.post(onbehalf(site), {"persons": world.granny.pk, "session": site.later.pk}))
    assert snapshot() == before


def test_onbehalf_refuses_other_people_and_sessions(en, world, site):
    en.force_login(world.staff)
    before = snapshot()
    url = f"{onbehalf(site)}?person={world.granny.pk}"
    # the neighbour is no family of granny; another activity's session
    form_error(en.post(url, {"persons": world.dad.pk, "session": site.later.pk}))
    form_error(en.post(url, {"persons": world.granny.pk, "session": site.other_session.pk}))
    assert snapshot() == before


@pytest.mark.parametrize("key", ["\x00", "a\x00b", "x" * 5000, "😀"])
def test_onbehalf_odd_request_key_still_books_once(en, world, site, key):
    en.force_login(world.staff)
    url = f"{onbehalf(site)}?person={world.granny.pk}"
    assert (
        en.post(url, {"persons": world.granny.pk, "session": site.later.pk, "request_key": key}).status_code
        == 302
    )
    first = snapshot()
    refused(en.post(url, {"persons": world.granny.pk, "session": site.later.pk, "request_key": key}))
    assert snapshot()["bookings"] == first["bookings"]


def test_onbehalf_double_submit_books_once(en, world, site):
    en.force_login(world.staff)
    url = f"{onbehalf(site)}?person={world.granny.pk}"
    data = {"persons": world.granny.pk, "session": site.later.pk, "request_key": "abcdefghijklmnopqrstuvwx"}
    assert en.post(url, data).status_code == 302
    first = snapshot()
    assert en.post(url, data).status_code == 302
    assert snapshot() == first


def test_onbehalf_not_for_residents(client, world, site):
    before = snapshot()
    client.force_login(world.mum_user)
    url = f"{onbehalf(site)}?person={world.granny.pk}"
    assert client.post(url, {"persons": world.granny.pk, "session": site.later.pk}).status_code == 404
    assert snapshot() == before


# --- the staff check-in page -------------------------------------------------------------------------------


def checkin(site):
    return reverse("events:checkin", args=[site.session.pk])


@pytest.mark.parametrize("value", BAD_IDS + BAD_TEXT)
def test_checkin_page_bad_input_changes_nothing(en, world, site, value):
    en.force_login(world.staff)
    before = snapshot()
    refused(en.get(checkin(site), {"q": value}))
    refused(en.post(checkin(site), {"registration_id": value, "q": value}))
    refused(en.post(checkin(site), {"token": value, "q": value}))
    assert snapshot() == before


def test_checkin_page_refuses_other_activitys_tickets_and_double_check_in(en, world, site):
    en.force_login(world.staff)
    before = snapshot()
    response = en.post(checkin(site), {"token": site.other_booking.token})
    refused(response)
    assert response.context["ticket_form"].errors
    # another activity's place: refused with a message, nothing checked in
    assert en.post(checkin(site), {"registration_id": other_registration(site)}).status_code == 302
    assert snapshot() == before
    assert en.post(checkin(site), {"token": site.mum.token}).status_code == 302
    first = snapshot()
    response = en.post(checkin(site), {"token": site.mum.token})
    assert response.context["ticket_form"].errors
    assert snapshot() == first


# --- volunteer hours ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", BAD_DATES)
def test_certificate_bad_dates_are_errors_next_to_the_field(en, world, site, value):
    en.force_login(site.vol_user)
    url = reverse("volunteers:hours_certificate")
    form_error(en.get(url, {"date_from": value}), form="certificate_form")
    form_error(en.get(url, {"date_to": value}), form="certificate_form")


def test_certificate_from_after_to(en, world, site):
    en.force_login(site.vol_user)
    response = en.get(
        reverse("volunteers:hours_certificate"), {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    )
    form_error(response, form="certificate_form")
    assert "date_to" in response.context["certificate_form"].errors
    en.force_login(world.mum_user)
    assert en.get(reverse("volunteers:hours_certificate"), {"date_from": "abc"}).status_code == 404


@pytest.mark.parametrize("value", ["", " ", "x" * 5000, "\x00", "a\x00b"])
def test_reject_bad_note_changes_nothing(en, world, site, value):
    en.force_login(world.staff)
    before = snapshot()
    response = en.post(
        reverse("volunteers:hours_reject", args=[site.entry.pk]), {f"r{site.entry.pk}-note": value}
    )
    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("value", BAD_IDS)
def test_bulk_approve_bad_ids_change_nothing(en, world, site, value):
    en.force_login(world.staff)
    before = snapshot()
    refused(en.post(reverse("volunteers:hours_approve_bulk"), {"entry_ids": [value, "99999999999999999999"]}))
    assert snapshot() == before


def test_hours_decisions_on_missing_ids_and_double_taps(en, world, site):
    en.force_login(world.staff)
    before = snapshot()
    for pk in (0, 99999999999999999999, 2**63):
        assert en.post(reverse("volunteers:hours_approve", args=[pk])).status_code == 404
        assert (
            en.post(reverse("volunteers:hours_reject", args=[pk]), {f"r{pk}-note": "不对"}).status_code == 404
        )
    assert en.get(reverse("volunteers:hours_approve", args=[site.entry.pk])).status_code == 405
    assert snapshot() == before
    assert en.post(reverse("volunteers:hours_approve", args=[site.entry.pk])).status_code == 302
    first = snapshot()
    refused(en.post(reverse("volunteers:hours_approve", args=[site.entry.pk])))
    refused(
        en.post(reverse("volunteers:hours_reject", args=[site.entry.pk]), {f"r{site.entry.pk}-note": "不对"})
    )
    refused(en.post(reverse("volunteers:hours_approve_bulk"), {"entry_ids": [site.entry.pk]}))
    assert snapshot() == first


def test_hours_pages_not_for_volunteers(client, world, site):
    before = snapshot()
    client.force_login(site.vol_user)
    assert client.get(reverse("volunteers:hours_pending")).status_code == 404
    assert client.post(reverse("volunteers:hours_approve", args=[site.entry.pk])).status_code == 404
    assert (
        client.post(reverse("volunteers:hours_approve_bulk"), {"entry_ids": [site.entry.pk]}).status_code
        == 404
    )
    assert snapshot() == before


# --- the dashboard ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", BAD_DATES)
def test_dashboard_bad_dates(en, world, site, value):
    en.force_login(world.staff)
    url = reverse("reports:dashboard")
    for query in ({"start": value}, {"end": value}, {"start": value, "end": value}):
        response = en.get(url, query)
        assert response.status_code == 200
        assert response.context["form"].errors


@pytest.mark.parametrize("value", BAD_IDS)
def test_dashboard_bad_grid(en, world, site, value):
    en.force_login(world.staff)
    response = en.get(reverse("reports:dashboard"), {"grid": value})
    refused(response)


def test_dashboard_from_after_to_and_too_long(en, world, site):
    en.force_login(world.staff)
    url = reverse("reports:dashboard")
    for query in ({"start": "2026-05-02", "end": "2026-05-01"}, {"start": "1900-01-01", "end": "2026-01-01"}):
        response = en.get(url, query)
        assert "end" in response.context["form"].errors
    client_mum = en
    client_mum.force_login(world.mum_user)
    assert client_mum.get(url, {"start": "\x00"}).status_code == 403
