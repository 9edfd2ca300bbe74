"""The staff pages of an activity: activities I manage, the manage page with reminder lead times, the
roster with attendance and its Excel export, cancelling a session, a message to everyone booked.

Only staff who manage the activity get in (a resident or another organisation's partner staff: 404);
bad input is refused next to the field with nothing changed; cancelling tells everyone booked; a double
tap on "Send" sends once."""

import datetime
import io
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext
from openpyxl import load_workbook

from events.forms_staff import lead_label
from events.models import (
    CheckInMethod,
    RegistrationScope,
    RegistrationStatus,
    ReminderRule,
    StaffMessage,
)
from events.services import booking_create, booking_create_on_behalf, checkin_record, checkin_ticket
from portal.accounts.models import Role
from portal.notify.models import Message
from tests.accounts.factories import UserFactory

from .factories import ActivityFactory, OrganizationFactory, SessionFactory


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def staff_client(en, world):
    en.force_login(world.staff)
    return en


@pytest.fixture
def booked(world, fcfs):
    """Three seats: mum's two children, granny booked by staff on her behalf; the neighbour's boy waits."""
    fcfs.mums = booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    fcfs.grannys = booking_create_on_behalf(
        staff=world.staff, activity=fcfs.activity, session=fcfs.session, persons=[world.granny]
    )
    fcfs.dads = booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid]
    )
    assert fcfs.dads.registrations.get().status == RegistrationStatus.WAITLISTED
    return fcfs


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _field_errors(response, form="form"):
    return response.context[form].errors


# --- who gets in ------------------------------------------------------------------------------------


def test_a_resident_is_kept_out_of_every_staff_page(en, world, booked):
    en.force_login(world.mum_user)
    s = booked.session
    assert en.get(reverse("events:staff_activities")).status_code == 403
    assert en.get(reverse("events:manage", args=[booked.activity.pk])).status_code == 404
    for name in ("events:roster", "events:roster_export", "events:session_cancel", "events:session_message"):
        assert en.get(reverse(name, args=[s.pk])).status_code == 404, name
    assert en.post(reverse("events:session_cancel", args=[s.pk]), {"reason": "x"}).status_code == 404
    assert en.post(reverse("events:session_message", args=[s.pk]), {"text": "x"}).status_code == 404
    assert (
        en.post(reverse("events:manage", args=[booked.activity.pk]), {"lead_minutes": "60"}).status_code
        == 404
    )
    s.refresh_from_db()
    assert not s.cancelled and not StaffMessage.objects.exists() and not ReminderRule.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, booked):
    response = client.get(reverse("events:roster", args=[booked.session.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_partner_staff_see_only_their_organisations_activities(en, world, booked):
    org = OrganizationFactory()
    theirs = ActivityFactory(organiser_user=None, organiser_org=org, title="手工竹编")
    their_session = SessionFactory(activity=theirs)
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=org)
    en.force_login(partner)
    page = en.get(reverse("events:staff_activities"))
    assert page.status_code == 200
    assert [a.pk for a in page.context["activities"]] == [theirs.pk]
    assert en.get(reverse("events:manage", args=[theirs.pk])).status_code == 200
    assert en.get(reverse("events:roster", args=[their_session.pk])).status_code == 200
    # the community's activity is not theirs
    assert en.get(reverse("events:manage", args=[booked.activity.pk])).status_code == 404
    assert en.get(reverse("events:roster", args=[booked.session.pk])).status_code == 404
    assert en.get(reverse("events:roster_export", args=[booked.session.pk])).status_code == 404
    assert (
        en.post(reverse("events:session_cancel", args=[booked.session.pk]), {"reason": "x"}).status_code
        == 404
    )
    booked.session.refresh_from_db()
    assert not booked.session.cancelled


def test_activities_i_manage_shows_counts(staff_client, world, booked):
    checkin_ticket(actor=world.staff, session=booked.session, token=booked.grannys.token)
    response = staff_client.get(reverse("events:staff_activities"))
    assert response.status_code == 200
    (a,) = [a for a in response.context["activities"] if a.pk == booked.activity.pk]
    assert (a.upcoming_sessions, a.seats, a.waitlisted, a.attended) == (1, (3, 3), 1, 1)
    assert reverse("events:manage", args=[booked.activity.pk]) in response.content.decode()


def test_the_manage_page_lists_sessions_with_counts_and_links(staff_client, world, booked):
    response = staff_client.get(reverse("events:manage", args=[booked.activity.pk]))
    assert response.status_code == 200
    (s,) = response.context["sessions"]
    assert (s.seats_taken, s.waitlisted, s.checked_in) == (3, 1, 0)
    html = response.content.decode()
    for name in ("events:roster", "events:checkin", "events:session_cancel", "events:session_message"):
        assert reverse(name, args=[booked.session.pk]) in html, name


# --- reminder lead times ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ticked, expected",
    [
        (["1440", "60"], [1440, 60]),
        (["120", "1440", "30"], [1440, 120, 30]),
        (["60", "60"], [60]),
    ],
)
def test_lead_times_are_chosen_and_saved(staff_client, booked, ticked, expected):
    url = reverse("events:manage", args=[booked.activity.pk])
    response = staff_client.post(url, {"lead_minutes": ticked})
    assert response.status_code == 302
    leads = list(ReminderRule.objects.filter(activity=booked.activity).values_list("lead_minutes", flat=True))
    assert sorted(leads, reverse=True) == expected
    # the message says it in words, not in minutes
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    words = ", ".join(lead_label(m) for m in expected)
    assert message == f"Reminders will be sent {words} each session."
    assert "minutes" not in message or 30 in expected
    page = staff_client.get(url)
    assert page.context["form"].initial["lead_minutes"] == expected
    html = page.content.decode()
    for m in expected:
        assert f'value="{m}" ' in html and "checked" in html


def test_the_lead_times_are_checkboxes_in_words(staff_client, booked):
    page = staff_client.get(reverse("events:manage", args=[booked.activity.pk]))
    html = page.content.decode()
    assert html.count('name="lead_minutes"') == 8 and 'type="checkbox"' in html
    assert 'type="text" name="lead_minutes"' not in html
    assert "1 day before" in html and "2 hours before" in html and "3 days before" in html


def test_a_lead_time_set_elsewhere_stays_offered(staff_client, booked):
    ReminderRule.objects.create(activity=booked.activity, lead_minutes=90)
    page = staff_client.get(reverse("events:manage", args=[booked.activity.pk]))
    assert "90 minutes before" in page.content.decode()
    response = staff_client.post(
        reverse("events:manage", args=[booked.activity.pk]), {"lead_minutes": ["90", "1440"]}
    )
    assert response.status_code == 302
    assert sorted(ReminderRule.objects.values_list("lead_minutes", flat=True)) == [90, 1440]


def test_no_lead_time_ticked_goes_back_to_the_default(staff_client, world, booked):
    ReminderRule.objects.create(activity=booked.activity, lead_minutes=60)
    response = staff_client.post(reverse("events:manage", args=[booked.activity.pk]), {})
    assert response.status_code == 302
    assert not ReminderRule.objects.filter(activity=booked.activity).exists()


@pytest.mark.parametrize(
    "ticked, message",
    [
        (["tomorrow"], "Select a valid choice. tomorrow is not one of the available choices."),
        (["1440", "-5"], "Select a valid choice. -5 is not one of the available choices."),
        (["5"], "Select a valid choice. 5 is not one of the available choices."),
        (["30000"], "Select a valid choice. 30000 is not one of the available choices."),
        (["10080", "4320", "2880", "1440", "120", "60"], "Choose at most 5 reminder times."),
    ],
)
def test_bad_lead_times_are_refused_at_the_field(staff_client, booked, ticked, message):
    ReminderRule.objects.create(activity=booked.activity, lead_minutes=60)
    response = staff_client.post(
        reverse("events:manage", args=[booked.activity.pk]), {"lead_minutes": ticked}
    )
    assert response.status_code == 400
    assert _field_errors(response)["lead_minutes"] == [gettext(message)]
    assert list(ReminderRule.objects.values_list("lead_minutes", flat=True)) == [60]


# --- the roster ---------------------------------------------------------------------------------------


def test_the_roster_shows_who_is_booked_and_who_is_checked_in(staff_client, world, booked):
    checkin_ticket(actor=world.staff, session=booked.session, token=booked.mums.token)
    response = staff_client.get(reverse("events:roster", args=[booked.session.pk]))
    assert response.status_code == 200
    rows = {r["name"]: r for r in response.context["rows"]}
    assert list(rows) == ["李秀英", "张小红", "张小明", "王小宝"] or set(rows) == {
        "李秀英",
        "张小红",
        "张小明",
        "王小宝",
    }
    son, granny, kid = rows["张小明"], rows["李秀英"], rows["王小宝"]
    assert son["status"] == "confirmed" and son["checked_in_at"] is not None
    # 8 today; the session's date comes from a factory sequence, so count the years to that date
    day = booked.session.local_date
    born = world.son.birth_date
    assert son["age"] == day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    assert son["booked_by"] == "朱晓燕" and not son["on_behalf"]
    assert granny["on_behalf"] and granny["checked_in_at"] is None
    assert granny["phone_tail"] == "****1111"
    assert kid["status"] == "waitlisted" and kid["position"] == 1
    assert world.son.household.building.estate.name in son["household"]
    counts = response.context["counts"]
    assert (counts["confirmed"], counts["waitlisted"], counts["checked_in"]) == (3, 1, 2)
    html = response.content.decode()
    assert "13700001111" not in html and "****1111" in html  # privacy: only the tail
    assert gettext("Booked by staff on behalf") in html


@pytest.mark.parametrize(
    "show, names",
    [
        ("waitlisted", {"王小宝"}),
        ("checked_in", {"张小明", "张小红"}),
        ("not_checked_in", {"李秀英"}),
        ("confirmed", {"张小明", "张小红", "李秀英"}),
    ],
)
def test_the_roster_filters_by_status(staff_client, world, booked, show, names):
    checkin_ticket(actor=world.staff, session=booked.session, token=booked.mums.token)
    response = staff_client.get(reverse("events:roster", args=[booked.session.pk]), {"show": show})
    assert response.status_code == 200
    assert {r["name"] for r in response.context["rows"]} == names


def test_an_unknown_filter_shows_everyone_with_an_error(staff_client, booked):
    response = staff_client.get(reverse("events:roster", args=[booked.session.pk]), {"show": "<script>"})
    assert response.status_code == 400
    assert "show" in response.context["filter_form"].errors
    assert len(response.context["rows"]) == 4


def test_a_course_roster_has_the_attendance_of_this_meeting(staff_client, world):
    course = ActivityFactory(
        organiser_user=world.staff, registration_scope=RegistrationScope.COURSE, capacity=5, title="暑托班"
    )
    first, second = SessionFactory(activity=course), SessionFactory(activity=course)
    booking = booking_create(actor=world.mum_user, activity=course, persons=[world.son, world.daughter])
    son = booking.registrations.get(person=world.son)
    checkin_record(actor=world.staff, session=first, registration=son, method=CheckInMethod.STAFF_SEARCH)
    checkin_record(actor=world.staff, session=second, registration=son, method=CheckInMethod.STAFF_SEARCH)
    response = staff_client.get(reverse("events:roster", args=[second.pk]))
    rows = {r["name"]: r for r in response.context["rows"]}
    assert rows["张小明"]["checked_in_at"] is not None and rows["张小明"]["meetings_attended"] == 2
    assert rows["张小红"]["checked_in_at"] is None and rows["张小红"]["meetings_attended"] == 0
    assert response.context["counts"]["confirmed"] == 2


# --- the Excel export -------------------------------------------------------------------------------


def test_the_export_is_one_sheet_with_headers_times_and_a_chinese_filename(client, world, booked):
    client.force_login(world.staff)  # Chinese, the default language
    checkin_ticket(actor=world.staff, session=booked.session, token=booked.mums.token)
    response = client.get(reverse("events:roster_export", args=[booked.session.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    day = timezone.localtime(booked.session.starts_at).strftime("%Y-%m-%d")
    assert (
        disposition.startswith("attachment;")
        and f'filename="roster-{booked.activity.pk}-{day}.xlsx"' in disposition
    )
    utf8_name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert utf8_name.startswith(f"亲子烘焙-{day}") and utf8_name.endswith(".xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert len(book.worksheets) == 1
    ws = book.active
    assert ws.freeze_panes == "A2"
    from django.utils import translation

    with translation.override("zh-hans"):
        header = [
            gettext("No."),
            pgettext("person", "Name"),
            gettext("Age"),
            gettext("Household"),
            gettext("Booked by"),
        ]
    assert [c.value for c in ws[1]][:5] == header
    rows = {r[1]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"张小明", "张小红", "李秀英", "王小宝"}
    checked_at = rows["张小明"][9]
    assert isinstance(checked_at, datetime.datetime)
    local = timezone.localtime(timezone.now()).replace(tzinfo=None)
    assert abs(local - checked_at) < datetime.timedelta(minutes=5)  # Shanghai wall clock
    assert rows["李秀英"][8] == "****1111"
    assert ws.column_dimensions["B"].width >= 12


def test_the_export_follows_the_filter(staff_client, booked):
    response = staff_client.get(
        reverse("events:roster_export", args=[booked.session.pk]), {"show": "waitlisted"}
    )
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [r[1] for r in ws.iter_rows(min_row=2, values_only=True)] == ["王小宝"]
    assert ws["H2"].value == 1  # waitlist position


# --- cancel a session --------------------------------------------------------------------------------


def test_cancelling_needs_a_reason(staff_client, booked):
    url = reverse("events:session_cancel", args=[booked.session.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert _field_errors(response)["reason"] == [gettext("Give the reason: everyone booked will read it.")]
    booked.session.refresh_from_db()
    assert not booked.session.cancelled
    assert not Message.objects.filter(template__code="events.session_cancelled").exists()


def test_cancelling_tells_everyone_booked(staff_client, world, booked):
    url = reverse("events:session_cancel", args=[booked.session.pk])
    response = staff_client.post(url, {"reason": "暴雨预警，活动取消"})
    assert response.status_code == 302
    assert response["Location"] == reverse("events:manage", args=[booked.activity.pk])
    booked.session.refresh_from_db()
    assert booked.session.cancelled and booked.session.cancel_reason == "暴雨预警，活动取消"
    assert not booked.session.registrations.exclude(status=RegistrationStatus.CANCELLED).exists()
    notices = Message.objects.filter(template__code="events.session_cancelled")
    assert notices.filter(user=world.mum_user).exists()
    assert notices.filter(user=world.dad_user).exists()  # the waitlist is told too
    assert notices.filter(person=world.granny, channel="sms").exists()  # booked on her behalf: her own phone
    assert all("暴雨预警" in m.body for m in notices)
    told = 3
    assert _messages(response) == [
        ngettext(
            "The session is cancelled (%(cancelled)d places given back). %(told)d person was told.",
            "The session is cancelled (%(cancelled)d places given back). %(told)d people were told.",
            told,
        )
        % {"cancelled": 4, "told": told}
    ]
    # a second cancellation is refused with the reason, nothing more is sent
    count = notices.count()
    again = staff_client.post(url, {"reason": "再次取消"})
    assert again.status_code == 400
    assert gettext("This session is already cancelled.") in again.context["form"].non_field_errors()
    assert notices.count() == count


# --- message everyone booked ---------------------------------------------------------------------------


def test_the_message_form_refuses_bad_text(staff_client, booked):
    url = reverse("events:session_message", args=[booked.session.pk])
    page = staff_client.get(url)
    key = page.context["form"].initial["request_key"]
    assert len(key) >= 16
    response = staff_client.post(url, {"text": "", "request_key": key})
    assert response.status_code == 400
    assert _field_errors(response)["text"] == [gettext("Write the message to send.")]
    response = staff_client.post(url, {"text": "长" * 501, "request_key": key})
    assert response.status_code == 400
    assert "text" in _field_errors(response)
    assert not StaffMessage.objects.exists()


def test_a_double_tap_sends_the_message_once(staff_client, world, booked):
    url = reverse("events:session_message", args=[booked.session.pk])
    key = staff_client.get(url).context["form"].initial["request_key"]
    data = {"text": "请带上水杯，九点在二楼集合。", "request_key": key}
    first = staff_client.post(url, data)
    assert first.status_code == 302
    sent = Message.objects.filter(template__code="staff.notice").count()
    second = staff_client.post(url, data)
    assert second.status_code == 302
    assert StaffMessage.objects.count() == 1
    assert Message.objects.filter(template__code="staff.notice").count() == sent
    expected = ngettext(
        "The message was sent to %(n)d recipient.", "The message was sent to %(n)d recipients.", 2
    ) % {"n": 2}
    assert _messages(second) == [
        expected,
        expected,
    ]  # both taps say the same; mum for both children, granny on her own phone
    assert not Message.objects.filter(template__code="staff.notice", user=world.dad_user).exists()
    # a new form is a new message
    key2 = staff_client.get(url).context["form"].initial["request_key"]
    assert key2 != key
    staff_client.post(url, {"text": "改到三楼", "request_key": key2, "include_waitlist": "on"})
    assert StaffMessage.objects.count() == 2
    manage = staff_client.get(reverse("events:manage", args=[booked.activity.pk]))
    assert [m.text for m in manage.context["sent"]] == ["改到三楼", "请带上水杯，九点在二楼集合。"]
    assert "改到三楼" in manage.content.decode()
    assert Message.objects.filter(template__code="staff.notice", user=world.dad_user).exists()


def test_another_users_request_key_cannot_swallow_a_message(en, world, booked):
    """Keys are scoped to the sender: the same key from two staff members sends two messages."""
    url = reverse("events:session_message", args=[booked.session.pk])
    data = {"text": "通知", "request_key": "A" * 32}
    en.force_login(world.staff)
    assert en.post(url, data).status_code == 302
    other = UserFactory(role=Role.COMMUNITY_STAFF)
    en.force_login(other)
    # the same text again within the window asks first (a repeat); confirmed, it sends
    assert en.post(url, {**data, "confirm_repeat": "on"}).status_code == 302
    assert StaffMessage.objects.count() == 2


def test_a_message_to_nobody_is_refused(staff_client, world):
    activity = ActivityFactory(organiser_user=world.staff)
    session = SessionFactory(activity=activity)
    response = staff_client.post(
        reverse("events:session_message", args=[session.pk]), {"text": "hi", "request_key": "B" * 32}
    )
    assert response.status_code == 400
    assert (
        gettext("Nobody is booked yet: there is nobody to tell.")
        in response.context["form"].non_field_errors()
    )


def test_a_session_that_is_over_cannot_be_cancelled(staff_client, world):
    activity = ActivityFactory(organiser_user=world.staff)
    start = timezone.now() - datetime.timedelta(days=1)
    session = SessionFactory(activity=activity, starts_at=start, ends_at=start + datetime.timedelta(hours=2))
    response = staff_client.post(
        reverse("events:session_cancel", args=[session.pk]), {"reason": "迟到的取消"}
    )
    assert response.status_code == 400
    assert (
        gettext("This session is over: it can no longer be cancelled.")
        in response.context["form"].non_field_errors()
    )
    session.refresh_from_db()
    assert not session.cancelled


# --- double taps at the same moment, on real PostgreSQL ----------------------------------------------


def _at_once(n, fn):
    """Run ``fn(i)`` in ``n`` threads released together, each on its own connection; their results."""
    import threading

    from django.db import connections

    barrier, results, guard = threading.Barrier(n), [], threading.Lock()

    def worker(i):
        try:
            barrier.wait()
            result = fn(i)
            with guard:
                results.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_taps_at_once_send_one_message_and_cancel_once(world, booked):
    from django.test import Client

    def tap(url, data):
        def post(_i):
            c = Client()
            c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
            c.force_login(world.staff)
            return c.post(url, data).status_code

        return post

    url = reverse("events:session_message", args=[booked.session.pk])
    statuses = _at_once(10, tap(url, {"text": "明早九点集合", "request_key": "C" * 32}))
    assert statuses == [302] * 10
    assert StaffMessage.objects.count() == 1
    notices = Message.objects.filter(template__code="staff.notice")
    assert notices.filter(user=world.mum_user, channel="inbox").count() == 1

    url = reverse("events:session_cancel", args=[booked.session.pk])
    statuses = _at_once(10, tap(url, {"reason": "场地维修"}))
    assert sorted(statuses) == [302] + [400] * 9
    cancelled = Message.objects.filter(template__code="events.session_cancelled")
    # One notice per booking, never repeated by the taps: mum's own (her children) and granny's, whom she
    # cares for (granny has no account of her own).
    mums = cancelled.filter(user=world.mum_user, channel="inbox")
    assert mums.count() == 2
    assert sorted("李秀英" in m.body for m in mums) == [False, True]


def test_the_default_lead_times_kept_as_offered_stay_the_default(staff_client, booked):
    url = reverse("events:manage", args=[booked.activity.pk])
    assert staff_client.get(url).context["form"].initial["lead_minutes"] == [1440, 120]
    assert staff_client.post(url, {"lead_minutes": ["1440", "120"]}).status_code == 302
    assert not ReminderRule.objects.filter(activity=booked.activity).exists()
