"""Elder mode (长辈版) designed to the MIIT numbers (issue 9), in the browser.

The switch is found at once on a phone and works without JavaScript; the elder home is a few large tiles;
focus is visible on every kind of element, on the brand red too; labels and badges are as large as the
answers; nothing moves. The 60x60 target test of every page runs inside axe_check (tests/browser.py);
here it is checked that the measuring itself catches a small target and allows an inline link.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.browser import E2E, PHONE, assert_fits_width, axe_check, go, measure_targets
from tests.notify.factories import InboxMessageFactory

pytestmark = E2E


def _elder(page, live_server):
    page.context.add_cookies([{"name": settings.ELDER_MODE_COOKIE, "value": "1", "url": live_server.url}])


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(x) for x in re.findall(r"[\d.]+", css)[:3])


def _luminance(rgb) -> float:
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(_rgb(a)), _luminance(_rgb(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box, "the element is not shown"
    return box


def test_switch_is_at_the_top_of_a_phone_page_without_opening_the_menu(phone_page):
    page = phone_page
    go(page, reverse("events:list"))
    switch = page.get_by_test_id("elder-mode-toggle")
    assert switch.is_visible(), "the 长辈版 switch shows without opening anything"
    assert switch.inner_text().strip() == "长辈版"
    assert page.locator("#mainNav").get_by_test_id("elder-mode-toggle").count() == 0
    box = _box(switch)
    assert box["y"] < 80, "at the top of the page"
    assert box["height"] >= 44 and box["width"] >= 44, box
    # The menu's toggle has a visible label, not only the three lines.
    toggler = page.locator(".navbar-toggler")
    assert toggler.is_visible()
    assert toggler.locator(".navbar-toggler-label").is_visible()
    assert toggler.inner_text().strip() in {"菜单", "Menu"}  # "菜单" once the catalogue is merged
    axe_check(page)

    with page.expect_navigation():
        switch.click()
    assert "elder-mode" in (page.locator("body").get_attribute("class") or "").split()
    assert page.url.endswith(reverse("events:list"))
    switch = page.get_by_test_id("elder-mode-toggle")
    assert switch.inner_text().strip() == "标准版"
    for control in (switch, page.locator(".navbar-toggler"), page.get_by_test_id("language-switch")):
        box = _box(control)
        assert box["height"] >= 60 and box["width"] >= 60, box
    assert_fits_width(page)
    axe_check(page)


def test_switch_works_without_javascript(chromium_browser, live_server):
    context = chromium_browser.new_context(base_url=live_server.url, java_script_enabled=False, **PHONE)
    try:
        page = context.new_page()
        go(page, reverse("home"))
        with page.expect_navigation():
            page.get_by_test_id("elder-mode-toggle").click()
        assert "elder-mode" in (page.locator("body").get_attribute("class") or "").split()
        assert page.get_by_test_id("elder-tiles").is_visible()
        with page.expect_navigation():
            page.get_by_test_id("elder-mode-toggle").click()
        assert "elder-mode" not in (page.locator("body").get_attribute("class") or "").split()
    finally:
        context.close()


def test_elder_home_is_large_tiles_and_calls_the_committee(phone_page, live_server, sign_in, settings):
    settings.COMMUNITY_PHONE = "0513-8359 1234"
    page = phone_page
    _elder(page, live_server)
    user = sign_in(page, UserFactory(name="顾秀英"))
    InboxMessageFactory(user=user, subject="重阳节敬老活动报名开始")
    go(page, reverse("home"))
    tiles = page.locator(".elder-tile")
    assert [t.get_attribute("data-testid") for t in tiles.all()] == [
        "elder-tile-bookings",
        "elder-tile-activities",
        "elder-tile-messages",
        "elder-tile-family",
        "elder-tile-call",
    ]
    for tile in tiles.all():
        box = _box(tile)
        assert box["height"] >= 100 and box["width"] >= 300, box  # full-width on a phone, well over 60
    assert page.get_by_test_id("elder-tile-call").get_attribute("href") == "tel:0513-83591234"
    assert page.get_by_test_id("elder-tile-unread").is_visible()
    assert page.locator("[data-testid^=service-]").count() == 0, "no service areas in the elder home"
    axe_check(page)  # measured in place (elder mode at 390 px) and in English

    with page.expect_navigation():
        page.get_by_test_id("elder-tile-activities").click()
    assert page.url.endswith(reverse("events:list") + "?audience=elders")
    axe_check(page)


# Focus: a thick outline (>= 3 px, offset from the element) whose colour stands out >= 3:1 against the
# page around it, with a ring of >= 3:1 against the element itself.
FOCUS_CASES = [
    ("elder switch", "[data-testid=elder-mode-toggle]"),
    ("link in the brand-red navbar", ".navbar-brand"),
    ("menu toggle", ".navbar-toggler"),
    ("brand-red button", "main .btn-brand"),
    ("outline button", "main .btn-outline-dark"),
    ("footer link", "footer a"),
]


@pytest.mark.parametrize("elder_mode", [False, True], ids=["standard", "elder"])
def test_focus_is_a_thick_outline_that_stands_out_on_white_and_on_the_brand_red(
    phone_page, live_server, elder_mode
):
    page = phone_page
    if elder_mode:
        _elder(page, live_server)
    go(page, reverse("home"))
    if elder_mode:
        cases = [c for c in FOCUS_CASES if c[0] not in {"brand-red button", "outline button"}]
        cases.append(("tile", ".elder-tile"))
    else:
        cases = FOCUS_CASES
    page.keyboard.press("Tab")  # keyboard use: :focus-visible from here on
    for name, selector in cases:
        element = page.locator(selector).first
        element.focus()
        style = element.evaluate(
            """el => {
                const s = getComputedStyle(el);
                let bg = 'rgb(255, 255, 255)';
                for (let p = el.parentElement; p; p = p.parentElement) {
                    const c = getComputedStyle(p).backgroundColor;
                    if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { bg = c; break; }
                }
                const own = s.backgroundColor;
                return {width: parseFloat(s.outlineWidth), style: s.outlineStyle, offset: parseFloat(s.outlineOffset),
                        color: s.outlineColor, ring: s.boxShadow, around: bg,
                        own: own === 'rgba(0, 0, 0, 0)' ? bg : own, focused: el.matches(':focus-visible')};
            }"""
        )
        assert style["focused"], f"{name}: not :focus-visible"
        assert style["style"] == "solid" and style["width"] >= 3, f"{name}: {style}"
        assert style["offset"] >= 2, f"{name}: the outline is offset from the element: {style}"
        assert contrast(style["color"], style["around"]) >= 3, f"{name}: outline on the page around: {style}"
        ring = re.search(r"rgba?\([^)]*\)", style["ring"])
        assert ring, f"{name}: a ring between the outline and the element: {style}"
        assert contrast(ring.group(0), style["own"]) >= 3 or contrast(style["color"], style["own"]) >= 3, (
            f"{name}: neither the ring nor the outline stands out against the element: {style}"
        )


def test_labels_badges_and_help_are_as_large_as_body_text_and_nothing_moves(phone_page, live_server):
    page = phone_page
    _elder(page, live_server)
    go(page, reverse("account_signup"))
    sizes = page.evaluate(
        """() => {
            const px = (el) => parseFloat(getComputedStyle(el).fontSize);
            const body = px(document.body);
            const small = [...document.querySelectorAll('label, legend, .form-label, .form-text, .badge, small, .small, th')]
                .filter((el) => el.checkVisibility())
                .map((el) => ({text: el.innerText.slice(0, 30), size: px(el)}))
                .filter((x) => x.size < body);
            const lines = [...document.querySelectorAll('p, label, li, h1, h2, .btn, .form-control')]
                .filter((el) => el.checkVisibility())
                .map((el) => ({text: el.innerText.slice(0, 30), ratio: parseFloat(getComputedStyle(el).lineHeight) / px(el)}))
                .filter((x) => x.ratio < 1.3);
            const moving = [...document.querySelectorAll('*')]
                .map((el) => getComputedStyle(el))
                .filter((s) => parseFloat(s.transitionDuration) > 0 || s.animationName !== 'none').length;
            return {body, small, lines, moving};
        }"""
    )
    assert sizes["body"] >= 24, "body text at least 18 pt (24 px)"
    assert sizes["small"] == [], f"smaller than body text: {sizes['small']}"
    assert sizes["lines"] == [], f"line spacing under 1.3: {sizes['lines']}"
    assert sizes["moving"] == 0, "no transitions or animations in elder mode"
    # The page's one primary action spans the width on a phone.
    submit = page.locator("main [type=submit]").first
    main_width = page.locator("main").evaluate(
        "el => el.clientWidth - parseFloat(getComputedStyle(el).paddingLeft) * 2"
    )
    assert _box(submit)["width"] >= main_width - 1
    assert _box(submit)["height"] >= 60


# The measuring of axe_check's target test, on a page made for it.
TARGETS_PAGE = """
<!DOCTYPE html><html lang="en"><head><title>targets</title></head><body>
<a href="/a" style="display:inline-block;width:40px;height:40px">small</a>
<button style="width:80px;height:80px">big</button>
<p>Read <a href="/b">the notice</a> before you book.</p>
<div style="display:flex;align-items:center;min-height:64px" class="form-check">
  <input type="checkbox" id="c" style="width:20px;height:20px"><label for="c">I agree</label></div>
<input type="checkbox" id="lonely" style="width:20px;height:20px">
<input type="hidden" name="x" value="1">
<a href="/hidden" style="display:none">hidden</a>
</body></html>
"""


def test_the_target_measure_flags_small_targets_and_allows_inline_links(page):
    page.set_content(TARGETS_PAGE)
    offenders, found = measure_targets(page)
    assert sorted(t["text"] or t["tag"] for t in offenders) == ["input[checkbox]", "small"]
    by_text = {t["text"]: t for t in found}
    assert by_text["the notice"]["inline"] is True
    assert by_text["big"]["w"] == 80 and by_text["big"]["h"] == 80
    checkbox = next(t for t in found if t["kind"] == "check" and t["h"] >= 60)
    assert checkbox["w"] > 100, "a checkbox is measured by its .form-check row"
    assert "hidden" not in by_text
    assert len(found) == 5
