"""Check-in: staff scan a ticket (token or ticket link) or search a name / phone tail; a second check-in,
a forged token, another session's ticket or an unconfirmed place is refused with a reason and changes
nothing; only the activity's staff see the page; 20 scanners at once record one check-in."""

import threading

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.urls import reverse

from events.models import CheckIn, CheckInMethod, Registration, RegistrationStatus
from events.selectors import checkin_counts
from events.services import (
    booking_create,
    checkin_record,
    checkin_ticket,
    checkin_token_parse,
)
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory

from .factories import ActivityFactory, OrganizationFactory, SessionFactory


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def booked(world, fcfs):
    """Mum booked herself and her two children (3 seats, all confirmed); the neighbour's boy waits."""
    booking = booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.mum, world.son, world.daughter],
    )
    waiting = booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid]
    )
    fcfs.booking, fcfs.waiting = booking, waiting
    return fcfs


def _partner():
    return UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory())


def _url(session):
    return reverse("events:checkin", args=[session.pk])


# --- the service ----------------------------------------------------------------------------------


def test_token_parse_accepts_token_and_ticket_url(booked):
    token = booked.booking.token
    assert checkin_token_parse(token) == token
    assert checkin_token_parse(f"  https://zhaoxi.example.cn/activities/ticket/{token}/\n") == token
    assert checkin_token_parse(f"/activities/ticket/{token}/calendar.ics") == token
    with pytest.raises(ValidationError):
        checkin_token_parse("https://evil.example.com/")
    with pytest.raises(ValidationError):
        checkin_token_parse("<script>")


def test_staff_checks_in_a_whole_ticket_and_a_second_scan_is_refused(world, booked):
    done = checkin_ticket(actor=world.staff, session=booked.session, token=booked.booking.token)
    assert {c.registration.person for c in done} == {world.mum, world.son, world.daughter}
    assert all(c.checked_in_by == world.staff and c.method == CheckInMethod.STAFF_SCAN for c in done)
    with pytest.raises(ValidationError) as exc:
        checkin_ticket(actor=world.staff, session=booked.session, token=booked.booking.token)
    assert exc.value.code == "already_checked_in"
    assert "already checked in (at" in exc.value.messages[0]
    assert CheckIn.objects.count() == 3


def test_one_chosen_person_then_the_rest_of_the_ticket(world, booked):
    son = booked.booking.registrations.get(person=world.son)
    checkin_record(
        actor=world.staff,
        session=booked.session,
        token=booked.booking.token,
        registration=son,
        method=CheckInMethod.STAFF_SCAN,
    )
    with pytest.raises(ValidationError, match="already checked in"):
        checkin_record(
            actor=world.staff, session=booked.session, registration=son, method=CheckInMethod.STAFF_SEARCH
        )
    rest = checkin_ticket(actor=world.staff, session=booked.session, token=booked.booking.token)
    assert len(rest) == 2
    assert checkin_counts(session=booked.session) == {"checked_in": 3, "booked": 3}


def test_token_of_several_people_needs_a_choice_in_checkin_record(world, booked):
    with pytest.raises(ValidationError) as exc:
        checkin_record(
            actor=world.staff,
            session=booked.session,
            token=booked.booking.token,
            method=CheckInMethod.STAFF_SCAN,
        )
    assert exc.value.code == "choose_person"
    assert not CheckIn.objects.exists()


def test_forged_token_is_refused(world, booked):
    with pytest.raises(ValidationError) as exc:
        checkin_ticket(actor=world.staff, session=booked.session, token="x" * 27)
    assert exc.value.code == "unknown_token"
    assert not CheckIn.objects.exists()


def test_ticket_for_another_session_is_refused(world, booked):
    other = SessionFactory(activity=booked.activity, capacity=5)
    with pytest.raises(ValidationError) as exc:
        checkin_ticket(actor=world.staff, session=other, token=booked.booking.token)
    assert exc.value.code == "wrong_session"
    assert str(booked.session) in exc.value.messages[0]
    elsewhere = SessionFactory(activity=ActivityFactory(organiser_user=world.staff))
    with pytest.raises(ValidationError, match="This ticket is for"):
        checkin_ticket(actor=world.staff, session=elsewhere, token=booked.booking.token)
    mum = booked.booking.registrations.get(person=world.mum)
    with pytest.raises(ValidationError, match="This ticket is for"):
        checkin_record(actor=world.staff, session=other, registration=mum, method=CheckInMethod.STAFF_SEARCH)
    assert not CheckIn.objects.exists()


def test_unconfirmed_place_is_refused(world, booked):
    waiting = booked.waiting.registrations.get()
    assert waiting.status == RegistrationStatus.WAITLISTED
    with pytest.raises(ValidationError) as exc:
        checkin_record(
            actor=world.staff, session=booked.session, registration=waiting, method=CheckInMethod.STAFF_SEARCH
        )
    assert exc.value.code == "not_confirmed"
    with pytest.raises(ValidationError, match="Nobody on this ticket has a confirmed place"):
        checkin_ticket(actor=world.staff, session=booked.session, token=booked.waiting.token)
    assert not CheckIn.objects.exists()


def test_only_the_activity_staff_may_check_in(world, booked):
    outsider = _partner()
    mum = booked.booking.registrations.get(person=world.mum)
    for actor in (world.mum_user, outsider):
        with pytest.raises(PermissionDenied):
            checkin_record(
                actor=actor, session=booked.session, registration=mum, method=CheckInMethod.STAFF_SEARCH
            )
    assert not CheckIn.objects.exists()


def test_self_check_in_by_the_booker(world, booked):
    son = booked.booking.registrations.get(person=world.son)
    c = checkin_record(
        actor=world.mum_user, session=booked.session, registration=son, method=CheckInMethod.SELF
    )
    assert c.checked_in_by is None and c.method == CheckInMethod.SELF
    kid = booked.waiting.registrations.get()
    with pytest.raises(PermissionDenied):
        checkin_record(
            actor=world.mum_user, session=booked.session, registration=kid, method=CheckInMethod.SELF
        )


# --- the page -------------------------------------------------------------------------------------


def test_page_404_for_residents_and_other_staff(en, world, booked):
    en.force_login(world.mum_user)
    assert en.get(_url(booked.session)).status_code == 404
    en.force_login(_partner())
    assert en.get(_url(booked.session)).status_code == 404
    assert en.post(_url(booked.session), {"token": booked.booking.token}).status_code == 404
    assert not CheckIn.objects.exists()
    en.logout()
    assert en.get(_url(booked.session)).status_code == 302


def test_page_checks_in_a_pasted_ticket_link_and_shows_counts(en, world, booked):
    en.force_login(world.staff)
    page = en.get(_url(booked.session))
    assert page.status_code == 200
    assert "Checked in: 0 of 3 booked" in page.content.decode()
    link = f"https://zhaoxi.example.cn/activities/ticket/{booked.booking.token}/"
    response = en.post(_url(booked.session), {"token": link}, follow=True)
    html = response.content.decode()
    assert "Checked in: 朱晓燕、张小明、张小红." in html
    assert "Checked in: 3 of 3 booked" in html
    again = en.post(_url(booked.session), {"token": booked.booking.token})
    assert again.status_code == 200
    assert "already checked in (at" in again.content.decode()
    assert CheckIn.objects.count() == 3


def test_page_shows_refusals_next_to_the_field(en, world, booked):
    en.force_login(world.staff)
    for token, reason in (
        ("not a ticket!", "This is not a ticket code of this portal."),
        ("y" * 27, "Unknown ticket"),
        ("", "Scan or type the code of the ticket."),
    ):
        response = en.post(_url(booked.session), {"token": token})
        assert response.status_code == 200
        assert reason in response.content.decode()
    assert not CheckIn.objects.exists()


def test_page_search_by_name_and_phone_tail(en, world, booked):
    en.force_login(world.staff)
    response = en.get(_url(booked.session), {"q": "小明"})
    html = response.content.decode()
    assert "Check in 张小明" in html and "张小红" not in html
    # The children have no phone: the tail of the booker's phone finds the whole family.
    tail = str(world.mum_user.phone)[-4:]
    html = en.get(_url(booked.session), {"q": tail}).content.decode()
    assert "Check in 张小明" in html and "Check in 张小红" in html
    # The waitlisted boy is not offered.
    html = en.get(_url(booked.session), {"q": "王小宝"}).content.decode()
    assert "Check in 王小宝" not in html and "Nobody with a confirmed place matches." in html

    son = Registration.objects.get(booking=booked.booking, person=world.son)
    response = en.post(_url(booked.session), {"registration_id": son.pk, "q": "小明"}, follow=True)
    html = response.content.decode()
    assert "张小明 is checked in." in html
    assert "Checked in at" in html
    assert "Checked in: 1 of 3 booked" in html
    assert CheckIn.objects.get().method == CheckInMethod.STAFF_SEARCH

    response = en.post(_url(booked.session), {"registration_id": son.pk}, follow=True)
    assert "already checked in (at" in response.content.decode()
    assert CheckIn.objects.count() == 1


def test_page_registration_outside_the_staff_scope_is_404(en, world, booked):
    other_staff = _partner()
    own = SessionFactory(activity=ActivityFactory(organiser_user=other_staff))
    mum = Registration.objects.get(booking=booked.booking, person=world.mum)
    en.force_login(other_staff)
    assert en.post(_url(own), {"registration_id": mum.pk}).status_code == 404
    assert en.post(_url(own), {"registration_id": "abc"}).status_code == 404
    assert not CheckIn.objects.exists()


# --- races on PostgreSQL --------------------------------------------------------------------------


def _race_one_ticket(n=20):
    """``n`` threads released at once scan the same one-person ticket; returns (outcomes, session)."""
    from tests.community.factories import PersonFactory

    from .conftest import ensure_message_templates

    ensure_message_templates()
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    activity = ActivityFactory(organiser_user=staff)
    session = SessionFactory(activity=activity, capacity=5)
    resident = UserFactory()
    person = PersonFactory(user=resident)
    booking = booking_create(actor=resident, activity=activity, session=session, persons=[person])

    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    guard = threading.Lock()

    def worker():
        try:
            barrier.wait()
            try:
                checkin_record(
                    actor=staff, session=session, token=booking.token, method=CheckInMethod.STAFF_SCAN
                )
                result = "ok"
            except ValidationError as exc:
                result = exc.code
            except Exception as exc:  # noqa: BLE001 - reported in the assertion
                result = f"error: {type(exc).__name__}: {exc}"
            with guard:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes, session


@pytest.fixture
def count_inserts(monkeypatch):
    """Count the INSERT attempts of check-in rows (each thread that got past the "already?" check)."""
    from events.services import _pool
    from events.services import checkin as checkin_module

    monkeypatch.setattr(_pool, "RACE_PAUSE_SECONDS", 0.05)
    attempts = []
    real = checkin_module._create

    def counting(**fields):
        attempts.append(1)
        return real(**fields)

    monkeypatch.setattr(checkin_module, "_create", counting)
    return attempts


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_scanners_on_one_ticket_record_one_check_in(count_inserts):
    outcomes, session = _race_one_ticket()
    assert sorted(outcomes) == ["already_checked_in"] * 19 + ["ok"], outcomes
    assert CheckIn.objects.filter(session=session).count() == 1
    assert len(count_inserts) == 1  # the row lock: only the first scanner ever tried to insert


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_control_without_the_lock_the_race_reaches_the_constraint(count_inserts, monkeypatch):
    """Control: with the row lock off, several scanners pass the "already?" check at once (the race is
    real, so the test above can fail); the unique constraint still keeps one row, and each loser gets
    the same translated refusal."""
    from events.services import _pool
    from tests.race import hold_the_engine_window_open

    monkeypatch.setattr(_pool, "LOCKING", False)
    hold_the_engine_window_open(monkeypatch)  # a 50 ms pause alone lost the race under a loaded suite
    outcomes, session = _race_one_ticket()
    assert len(count_inserts) > 1
    assert sorted(outcomes) == ["already_checked_in"] * 19 + ["ok"], outcomes
    assert CheckIn.objects.filter(session=session).count() == 1


# --- in the browser, on a phone -------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_scanner_page_on_a_phone_is_accessible(phone_page, sign_in, world, booked):
    from tests.browser import assert_fits_width, axe_check, go

    page = phone_page
    sign_in(page, world.staff)
    go(page, _url(booked.session) + "?q=" + "小")
    assert page.locator("h1").count() == 1
    assert_fits_width(page)
    axe_check(page)
    page.get_by_label("电子票码或电子票链接").fill(
        f"https://x.example/activities/ticket/{booked.booking.token}/"
    )
    with page.expect_navigation():
        page.locator("#ticket-form [type=submit]").click()
    # The browser asks for Chinese, the portal's default: "Checked in: 3 of 3 booked".
    assert "已签到：3 / 已预约 3" in page.get_by_test_id("checkin-counts").inner_text()
    page.get_by_label("电子票码或电子票链接").fill(booked.booking.token)
    with page.expect_navigation():
        page.locator("#ticket-form [type=submit]").click()
    assert "已签到" in page.locator("#ticket-form .invalid-feedback").inner_text()  # "already checked in"
    axe_check(page)


@pytest.mark.django_db
def test_staff_reach_the_check_in_page_from_the_activity_page(client):
    """The activity page links each session to its check-in page, for staff who manage the activity only."""
    activity = ActivityFactory()
    session = SessionFactory(activity=activity)
    url = reverse("events:detail", kwargs={"pk": activity.pk})
    staff = UserFactory(role="community_staff", is_staff=True)
    client.force_login(staff)
    assert reverse("events:checkin", args=[session.pk]) in client.get(url).content.decode()
    client.force_login(UserFactory())
    assert 'data-testid="checkin-link"' not in client.get(url).content.decode()
