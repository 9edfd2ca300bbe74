"""Browser journeys at 390 px (issue 9, helper forms): tables become stacked cards (no name broken one
character per line, nothing cut off, no sideways scroll); the booking form comes before the family's
bookings and shows the booked member as booked; a date of birth typed as year, month, day with an error
in words. Axe on every page."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from events.services import booking_create, booking_create_on_behalf
from tests.browser import E2E, assert_fits_width, axe_check, error_for, go, submit

pytestmark = E2E

#: A cell narrower than this with its text on as many lines as it has characters is "broken per character".
NARROW_PX = 120

CELLS_JS = """
() => [...document.querySelectorAll('.table-stack > tbody > tr > td, .table-stack > tbody > tr > th')]
  .filter(c => c.offsetParent !== null)
  .map(c => {
    const text = c.innerText.replace(/\\s+/g, '');
    const range = document.createRange();
    range.selectNodeContents(c);
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    const box = c.getBoundingClientRect();
    return {label: c.dataset.label || '', text, lines: tops.size, width: box.width, right: box.right,
            display: getComputedStyle(c).display};
  })
"""


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid)


def check_stacked(page):
    cells = page.evaluate(CELLS_JS)
    assert cells, f"no stacked table on {page.url}"
    width = page.viewport_size["width"]
    for c in cells:
        assert c["display"] != "table-cell", f"{c} is still a table cell at {width}px"
        assert c["right"] <= width + 1, f"{c} is cut off"
        chars = len(c["text"])
        broken = chars >= 2 and c["lines"] >= chars
        assert not (broken and c["width"] < NARROW_PX), f"{c} is broken one character per line"
        assert c["width"] >= NARROW_PX, f"{c} is narrower than {NARROW_PX}px"
    # names stay on one line
    overflow = page.evaluate(
        "[...document.querySelectorAll('.table-responsive')].map(w => w.scrollWidth - w.clientWidth)"
    )
    assert all(o <= 0 for o in overflow), f"a table scrolls sideways: {overflow}"
    assert_fits_width(page)


@pytest.fixture
def booked(world, fcfs):
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son])
    booking_create_on_behalf(
        staff=world.staff, activity=fcfs.activity, session=fcfs.session, persons=[world.granny]
    )
    return fcfs


def test_the_roster_and_the_workbench_are_stacked_cards_on_a_phone(phone_page, sign_in, world, booked):
    page = phone_page
    sign_in(page, world.staff)
    go(page, reverse("events:roster", args=[booked.session.pk]))
    check_stacked(page)
    name = page.locator("[data-testid=roster] tbody th", has_text="李秀英").first
    assert (
        name.evaluate(
            "c => { const r = document.createRange(); r.selectNodeContents(c); "
            "return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size }"
        )
        == 1
    )
    axe_check(page)
    go(page, reverse("community:workbench") + "?q=张")
    check_stacked(page)
    axe_check(page)


def test_on_a_desktop_the_tables_stay_tables(page, sign_in, world, booked):
    sign_in(page, world.staff)
    go(page, reverse("events:roster", args=[booked.session.pk]))
    assert page.locator("[data-testid=roster] tbody td").first.evaluate(
        "c => getComputedStyle(c).display"
    ) == ("table-cell")
    region = page.locator(".table-responsive").first
    assert region.get_attribute("tabindex") == "0" and region.get_attribute("role") == "region"


def test_on_a_phone_the_booking_form_comes_first_and_shows_the_booked_son(phone_page, sign_in, world, booked):
    page = phone_page
    sign_in(page, world.mum_user)
    go(page, reverse("events:detail", args=[booked.activity.pk]))
    form = page.get_by_test_id("book-section").bounding_box()
    status = page.locator("#my-status").bounding_box()
    assert form["y"] < status["y"], "the booking form comes before the family's bookings on a phone"
    held = page.get_by_test_id("held-persons")
    assert held.is_visible() and "张小明" in held.inner_text()
    assert page.locator(f"input[name=persons][value='{world.son.pk}']").count() == 0
    assert_fits_width(page)
    axe_check(page)
    # she books the daughter: the form works with the son shown as booked
    page.locator(f"input[name=persons][value='{world.daughter.pk}']").check()
    submit(page, "persons")
    assert "张小红" in page.locator("#my-status").inner_text()
    axe_check(page)


def test_a_date_of_birth_as_year_month_day_with_an_error_in_words(phone_page, sign_in, world):
    page = phone_page
    sign_in(page, world.mum_user)
    go(page, reverse("community:dependent_add"))
    year = page.locator("#id_birth_date_0")
    assert year.get_attribute("inputmode") == "numeric" and year.get_attribute("autocomplete") == "bday-year"
    assert page.locator("input[type=date]").count() == 0
    page.check("input[name=kind][value=parent]")
    page.fill("input[name=name]", "张秀兰")
    year.fill("1942")
    page.locator("#id_birth_date_1").fill("2")
    page.locator("#id_birth_date_2").fill("30")
    submit(page, "birth_date_year")
    message = zh("Month %(month)s has no day %(day)s.") % {"month": 2, "day": 30}
    assert message in error_for(page, "birth_date_year")
    summary = page.get_by_test_id("error-summary")
    assert message in summary.inner_text()
    assert summary.locator("a").first.get_attribute("href") == "#id_birth_date_0"
    assert year.input_value() == "1942", "what she typed is kept"
    assert_fits_width(page)
    axe_check(page)
    page.locator("#id_birth_date_2").fill("28")
    submit(page, "birth_date_year")
    assert page.url.endswith(reverse("community:my_family")), page.url
    assert page.get_by_text("张秀兰").first.is_visible()
