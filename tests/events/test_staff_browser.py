"""Browser journey (issue 3): staff scan a ticket and export the roster. Staff open "Activities I manage"
from the menu, the activity's manage page, the check-in page; type the ticket code (what a scanner
types), see the person checked in; open the roster, see the attendance, export it and read the
downloaded workbook. Axe on every staff page (also with form errors shown), on a desktop and on a
phone in elder mode."""

import io

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext, pgettext
from openpyxl import load_workbook

from events.services import booking_create, booking_create_on_behalf
from tests.browser import E2E, assert_fits_width, axe_check, error_for, go, open_staff_menu, submit

pytestmark = E2E


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid)


@pytest.fixture
def booked(world, fcfs):
    fcfs.session.capacity = 3
    fcfs.session.save()
    fcfs.mums = booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )
    booking_create_on_behalf(
        staff=world.staff, activity=fcfs.activity, session=fcfs.session, persons=[world.granny]
    )
    booking_create(
        actor=world.dad_user, activity=fcfs.activity, session=fcfs.session, persons=[world.kid]
    )  # waits
    return fcfs


def _check(page, path=None, *, phone=False):
    if path:
        go(page, path)
    assert page.locator("h1").count() == 1, page.url
    if phone:
        assert_fits_width(page)
    axe_check(page)


def test_staff_scan_a_ticket_and_export_the_roster(page, sign_in, world, booked):
    sign_in(page, world.staff)
    go(page, "/")
    open_staff_menu(page)
    with page.expect_navigation():
        page.get_by_test_id("nav-managed-activities").click()
    _check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="亲子烘焙").click()
    _check(page)

    # the check-in page: typing the ticket code works like a scan
    with page.expect_navigation():
        page.locator(f"[data-session='{booked.session.pk}']").get_by_role(
            "link", name=zh("Check-in"), exact=True
        ).click()
    _check(page)
    page.locator("[name=token]").fill(booked.mums.token)
    submit(page, "token")
    names = "、".join(["张小明", "张小红"])
    with translation.override("zh-hans"):
        done = gettext("Checked in: %(names)s.") % {"names": names}
    assert done in page.locator(".alert").first.inner_text()
    _check(page)

    # the roster shows who came
    go(page, reverse("events:manage", args=[booked.activity.pk]))
    with page.expect_navigation():
        page.get_by_test_id("roster-link").click()
    _check(page)
    roster = page.get_by_test_id("roster")
    son = roster.locator("tr", has_text="张小明")
    assert son.get_by_test_id("checked-in-at").locator("time").count() == 1
    granny = roster.locator("tr", has_text="李秀英")
    assert granny.get_by_test_id("checked-in-at").locator("time").count() == 0
    assert "****1111" in granny.inner_text()
    assert page.get_by_test_id("count-checked-in").inner_text().strip() == zh("Checked in: %(n)s") % {"n": 2}

    # export: a real workbook with the people in it
    with page.expect_download() as info:
        page.get_by_test_id("export-link").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx") and "亲子烘焙" in download.suggested_filename
    with open(download.path(), "rb") as fh:
        ws = load_workbook(io.BytesIO(fh.read())).active
    rows = {r[1]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert {"张小明", "张小红", "李秀英", "王小宝"} <= set(rows)
    assert rows["张小明"][9] is not None and rows["李秀英"][9] is None
    with translation.override("zh-hans"):
        assert ws.cell(row=1, column=2).value == pgettext("person", "Name")


def test_every_staff_page_passes_axe_also_with_errors(page, sign_in, world, booked):
    sign_in(page, world.staff)
    s = booked.session
    _check(page, reverse("events:staff_activities"))
    _check(page, reverse("events:manage", args=[booked.activity.pk]))
    # Reminder times are ticked in words; a sixth one is refused next to the list.
    for minutes in (10080, 4320, 2880, 1440, 120, 60):
        page.locator(f"[name=lead_minutes][value='{minutes}']").check()
    submit(page, "lead_minutes")
    with translation.override("zh-hans"):
        too_many = gettext("Choose at most %(n)d reminder times.") % {"n": 5}
    assert too_many in error_for(page, "lead_minutes")
    _check(page)
    for minutes in (10080, 4320, 2880, 60):
        page.locator(f"[name=lead_minutes][value='{minutes}']").uncheck()
    submit(page, "lead_minutes")
    checked = page.locator("[name=lead_minutes]:checked")
    assert [checked.nth(i).get_attribute("value") for i in range(checked.count())] == ["1440", "120"]
    with translation.override("zh-hans"):
        day = ngettext("%(n)d day before", "%(n)d days before", 1) % {"n": 1}
    assert day in page.get_by_test_id("current-leads").inner_text()
    _check(page)

    _check(page, reverse("events:roster", args=[s.pk]))
    _check(page, reverse("events:roster", args=[s.pk]) + "?show=waitlisted")
    _check(page, reverse("events:session_message", args=[s.pk]))
    page.locator("[name=text]").fill("   ")  # passes the browser's "required", not the server
    submit(page, "text")
    assert error_for(page, "text") == zh("Write the message to send.")
    _check(page)
    page.locator("[name=text]").fill("请带上围裙。")
    submit(page, "text")
    with translation.override("zh-hans"):
        sent = ngettext(
            "The message was sent to %(n)d recipient.", "The message was sent to %(n)d recipients.", 2
        ) % {"n": 2}
    assert sent in page.locator(".alert").first.inner_text()
    assert "请带上围裙。" in page.get_by_test_id("sent-messages").inner_text()
    _check(page)

    _check(page, reverse("events:session_cancel", args=[s.pk]))
    page.locator("[name=reason]").fill("   ")
    submit(page, "reason")
    assert error_for(page, "reason") == zh("Give the reason: everyone booked will read it.")
    _check(page)
    page.locator("[name=reason]").fill("暴雨预警")
    submit(page, "reason")
    assert page.locator(".alert-success").count() == 1
    _check(page)
    _check(page, reverse("events:session_cancel", args=[s.pk]))  # already cancelled: says so
    assert page.get_by_test_id("already-cancelled").count() == 1


def test_staff_pages_on_a_phone_in_elder_mode(phone_page, sign_in, world, booked):
    world.staff.elder_mode = True
    world.staff.save(update_fields=["elder_mode"])
    sign_in(phone_page, world.staff)
    go(phone_page, "/")
    open_staff_menu(phone_page)
    assert phone_page.get_by_test_id("nav-managed-activities").is_visible()
    s = booked.session
    for path in (
        reverse("events:staff_activities"),
        reverse("events:manage", args=[booked.activity.pk]),
        reverse("events:roster", args=[s.pk]),
        reverse("events:checkin", args=[s.pk]),
        reverse("events:session_message", args=[s.pk]),
        reverse("events:session_cancel", args=[s.pk]),
        reverse("events:detail", args=[booked.activity.pk]),
    ):
        _check(phone_page, path, phone=True)
        assert phone_page.locator("body.elder-mode").count() == 1
    assert phone_page.get_by_test_id("manage-link").count() == 1
