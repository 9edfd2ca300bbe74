"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Loaded for the whole suite as a plugin (tests/conftest.py: pytest_plugins), so that one Playwright and one
Chromium serve every module: the sync API cannot be started twice in one process.

Every test module here sets ``pytestmark = E2E`` (the ``browser`` marker, so the root conftest skips the
module when Chromium is missing and fails under CI=true, and a transactional database, so that the live
server thread sees the rows the test writes).

Fixtures:
    ``page``        a desktop-sized page in a fresh browser context
    ``phone_page``  a phone-sized page (390x844, touch, mobile viewport) in a fresh context
    ``open_page``   ``open_page(phone=False)``: one more page in a fresh context (a second person)
    ``sign_in``     ``sign_in(page, user)``: puts a signed-in session cookie into the page's context
    ``sms_outbox``  the development SMS backend's outbox, emptied before the test
    ``camera_page`` ``camera_page(text)``: a phone-sized page in a Chromium whose camera films the QR
                    code of ``text`` (Chromium's fake capture device reading a Y4M file)

Helpers (import them from ``tests.browser``):
    ``axe_check(page)``  fails listing every axe violation of impact serious or critical; then opens the
                    same URL in elder mode on a 390 px phone, in Chinese and in English, and fails on axe
                    violations there, on sideways scrolling and on any target under 60x60 px (see below)
    ``go(page, path)``   opens a path on the live server and fails unless it answers 200
    ``error_for(page, field)``  the error message tied to a form field (fails when there is none)
    ``assert_fits_width(page)``  fails when the page scrolls sideways (on a phone)
    ``open_menu(page)``  opens the collapsed navbar on a narrow screen
    ``submit(page, field)``  submits the form holding that field and waits for the next page
    ``texted_code(outbox, phone)``  the code in the last SMS sent to that phone

Surveying pages while the scans fail: ``E2E_AXE=report`` turns axe failures into warnings (every page
in one run); ``E2E_AXE_EXCLUDE=header,footer`` leaves those CSS selectors out of every scan (a shared
part already reported broken). Neither is for CI.

The elder-mode target test (issue 9, MIIT 互联网网站适老化通用设计规范): ``axe_check(page)`` also opens the
page's URL, once per test, in a new context holding the same cookies plus the elder-mode cookie, 390x844,
in both languages, and measures every visible interactive element (links, buttons, fields, summary,
[role=button], [tabindex>=0]; a checkbox or radio by its .form-check row or its label when larger). Each
must be at least 60x60 px; a link inside running text (a <p> with other text) is allowed (WCAG 2.5.8's
inline exception) and counted. The Django admin and file downloads are left out; a page already in elder
mode at 390 px is measured in place. ``axe_check(page, targets=False)`` skips it, only for pages that are
not the portal's HTML pages. ``ZHAOXI_TARGETS_REPORT=/path.jsonl`` appends one JSON line per page and
language (read by bench/elder_targets.py); ``ZHAOXI_TARGETS_RECORD_ONLY=1`` records without failing (the
"before" figures). Full-page screenshots of the home, activity, booking and family pages in elder mode at
390 px are saved under test-results/ (elder-390-home-zh.png ...).
"""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import CHROMIUM

E2E = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS_DIR = Path(__file__).resolve().parents[1] / "test-results"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 10_000
BLOCKING_IMPACTS = ("serious", "critical")
AXE_REPORT_ONLY = os.environ.get("E2E_AXE", "") == "report"
MIN_TARGET_PX = 60  # MIIT 适老化 guideline: touch targets of at least 60x60 px in elder mode
TARGETS_REPORT = os.environ.get("ZHAOXI_TARGETS_REPORT", "")
TARGETS_RECORD_ONLY = os.environ.get("ZHAOXI_TARGETS_RECORD_ONLY", "") == "1"

# Violations in other people's pages, reported to the page's owner and not fixed by the time these tests
# were written: (axe rule id, regular expression searched in the node's CSS target and its HTML, reason).
# A test whose only violations are these runs all its steps and is reported as xfail with the reason;
# any other violation still fails it. Delete an entry as soon as its page is fixed.
KNOWN_ISSUES: list[tuple[str, str, str]] = []


# --- the browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item (so the page fixtures know whether the test failed), and
    report a passing test that met only KNOWN_ISSUES as xfail, naming them."""
    report = yield
    setattr(item, f"_e2e_report_{report.when}", report)
    if report.when == "call" and report.passed:
        known = set().union(*(getattr(p, "known_issues", set()) for p in getattr(item, "_e2e_pages", [])))
        if known:
            report.outcome = "skipped"
            report.wasxfail = "known accessibility issue(s), reported: " + "; ".join(sorted(known))
    return report


def _failed(request) -> bool:
    return any(
        getattr(getattr(request.node, f"_e2e_report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


def _screenshot_name(nodeid: str, suffix: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("tests/")[-1]).strip("_") + suffix + ".png"


def _open_page(chromium_browser, live_server, **options):
    context = chromium_browser.new_context(
        base_url=live_server.url,
        # The residents' browsers ask for Chinese; the portal's default language is Simplified Chinese.
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        **options,
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    # What the browser refused or what broke, for axe_check to report: CSP refusals, uncaught JS errors.
    page.browser_problems = []

    def _on_console(msg):
        # A refusal caused by the page names its URL; one with no URL comes from code the test evaluated
        # (axe itself sets inline styles while it measures, which the policy rightly refuses).
        if msg.type == "error" and "Content Security Policy" in msg.text and msg.location.get("url"):
            page.browser_problems.append(f"{msg.text} ({msg.location['url']})")

    page.on("console", _on_console)
    page.on("pageerror", lambda exc: page.browser_problems.append(f"uncaught script error: {exc}"))
    return page


DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def open_page(chromium_browser, live_server, request):
    """``open_page(phone=False)``: a page in a fresh browser context (its own cookies), desktop-sized
    (1280x900) or phone-sized (390x844, touch, mobile viewport). All are closed after the test, and on a
    failure each one's screenshot is saved under test-results/."""
    assert request.node.get_closest_marker("browser"), (
        "browser tests set `pytestmark = E2E` (see this module)"
    )
    pages = request.node._e2e_pages = []

    def _open(*, phone: bool = False):
        page = _open_page(chromium_browser, live_server, **(PHONE if phone else DESKTOP))
        pages.append(page)
        return page

    yield _open
    for n, page in enumerate(pages):
        try:
            if _failed(request) and not page.is_closed():
                RESULTS_DIR.mkdir(exist_ok=True)
                name = _screenshot_name(request.node.nodeid, f"-{n}" if n else "")
                page.screenshot(path=str(RESULTS_DIR / name), full_page=True)
        finally:
            page.context.close()


def write_qr_video(path: Path, text: str, *, width: int = 640, height: int = 480, frames: int = 5) -> Path:
    """A Y4M video (YUV 4:2:0, 8-bit) showing the QR code of ``text`` in black on white: what Chromium's
    fake camera plays in a loop with ``--use-file-for-fake-video-capture``."""
    import qrcode

    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    module = max(1, min(width, height) * 4 // 5 // len(matrix))
    side = module * len(matrix)
    left, top = (width - side) // 2, (height - side) // 2
    luma = bytearray(b"\xff" * (width * height))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(module):
                    start = (top + y * module + dy) * width + left + x * module
                    luma[start : start + module] = b"\x00" * module
    chroma = b"\x80" * ((width // 2) * (height // 2) * 2)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + bytes(luma) + chroma)
    return path


@pytest.fixture
def camera_page(chromium_browser, live_server, request, tmp_path):
    """``camera_page(text)``: a phone-sized page in a Chromium of its own whose camera sees the QR code of
    ``text``, with the camera permission granted (as when staff allow the portal to use the camera)."""
    assert request.node.get_closest_marker("browser"), "browser tests set `pytestmark = E2E`"
    browsers = []
    pages = request.node._e2e_pages = getattr(request.node, "_e2e_pages", [])

    def _open(text: str):
        video = write_qr_video(tmp_path / f"camera-{len(browsers)}.y4m", text)
        browser = chromium_browser.browser_type.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        browsers.append(browser)
        page = _open_page(browser, live_server, permissions=["camera"], **PHONE)
        pages.append(page)
        return page

    yield _open
    for browser in browsers:
        browser.close()


@pytest.fixture
def page(open_page):
    """A desktop-sized page in a fresh context: no cookies from any other test."""
    return open_page()


@pytest.fixture
def phone_page(open_page):
    """A phone-sized page (390x844, like an iPhone 12-15) in a fresh context."""
    return open_page(phone=True)


# --- signing in ---------------------------------------------------------------------------------------


@pytest.fixture
def sign_in(live_server):
    """``sign_in(page, user)``: a session made by Django's test client, handed to the browser as a cookie.

    Quicker than the login form, and independent of it (the form has its own journey).
    """
    from django.test import Client

    def _sign_in(page, user):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        return user

    return _sign_in


@pytest.fixture
def sms_outbox():
    """The test SMS backend's outbox, shared with the live server's thread: {"phone", "text", "params"}.

    Codes leave through the outbox once the live server's request has committed (portal.notify); Celery
    runs the send task inline meanwhile, so the SMS is here as soon as the page that asked for it answers.
    """
    from portal.accounts.sms import LocmemSMSBackend
    from portal.celery import app

    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    LocmemSMSBackend.outbox.clear()
    yield LocmemSMSBackend.outbox
    LocmemSMSBackend.outbox.clear()
    app.conf.task_always_eager = was_eager


# --- helpers ------------------------------------------------------------------------------------------


def go(page, path: str, *, status: int = 200):
    """Open ``path`` and check the final response's status (after redirects)."""
    response = page.goto(path)
    assert response is not None, f"no response for {path}"
    assert response.status == status, (
        f"GET {path} answered {response.status} (expected {status}) at {page.url}"
    )
    return response


# axe reports each violation with its rule's impact (a rule's own impact overrides its checks'): a rule
# whose impact and whose checks' impacts are all below serious can never give a violation this suite
# fails on, so it is switched off, which shortens every scan and changes no verdict. A rule or check with
# no impact on record stays on. axe itself is injected once per document, not once per scan.
_AXE_RUN_JS = """
async ([context, blocking]) => {
  const checks = axe._audit.data.checks || {};
  const rules = {};
  for (const rule of axe._audit.rules) {
    const impacts = [rule.impact, ...[...rule.any, ...rule.all, ...rule.none].map((c) => (checks[c.id] || {}).impact)];
    if (!impacts.some((impact) => !impact || blocking.includes(impact))) rules[rule.id] = {enabled: false};
  }
  return await axe.run(context || document, {resultTypes: ["violations"], rules});
}
"""
_AXE_LOADED_JS = "() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"


def axe_violations(page) -> list[dict]:
    """The axe-core violations of impact serious or critical on the page as it is now."""
    from axe_playwright_python.base import AXE_SCRIPT

    exclude = [[sel.strip()] for sel in os.environ.get("E2E_AXE_EXCLUDE", "").split(",") if sel.strip()]
    if not page.evaluate(_AXE_LOADED_JS):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate(_AXE_RUN_JS, [{"exclude": exclude} if exclude else None, list(BLOCKING_IMPACTS)])
    return [v for v in results["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            snippet = re.sub(r"\s+", " ", node.get("html", ""))[:160]
            lines.append(f"    at {target}: {snippet}")
            summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def _without_known(violations: list[dict]) -> tuple[list[dict], set[str]]:
    """Split off the nodes that KNOWN_ISSUES lists; returns what is left and the reasons that matched."""
    left, matched = [], set()
    for v in violations:
        nodes = []
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            reasons = [
                why for rule, where, why in KNOWN_ISSUES if rule == v["id"] and re.search(where, target)
            ]
            if reasons:
                matched.update(reasons)
            else:
                nodes.append(node)
        if nodes:
            left.append({**v, "nodes": nodes})
    return left, matched


def axe_check(page, *, targets: bool = True):
    """Fail, listing each one, when the page has axe violations of impact serious or critical.

    Also fails when, since the last check, the browser refused something under the Content Security
    Policy (inline script or style) or a script threw: such a page looks fine to the test and is broken
    for the resident. Violations listed in KNOWN_ISSUES do not fail the check: the journey goes on, and
    the test is reported as xfail with the reason (see pytest_runtest_makereport).

    Then, once per URL and test, the elder-mode check (``elder_check``): the same URL in elder mode on a
    390 px phone, in both languages. ``targets=False`` leaves it out, only for pages that are not HTML
    pages of the portal.
    """
    violations, known = _without_known(axe_violations(page))
    if known:
        page.known_issues = getattr(page, "known_issues", set()) | known
    problems = []
    if violations:
        problems.append(
            f"{len(violations)} serious/critical accessibility violation(s):\n{format_violations(violations)}"
        )
    refused = list(getattr(page, "browser_problems", []))
    if refused:
        page.browser_problems.clear()
        problems.append("In the browser console:\n" + "\n".join(f"- {m}" for m in refused))
    if problems:
        message = f"on {page.url}:\n" + "\n".join(problems)
        if AXE_REPORT_ONLY:
            # E2E_AXE=report: list what the scans find without stopping the journey (for surveying pages).
            warnings.warn(message, stacklevel=2)
        else:
            pytest.fail(message, pytrace=False)
    if targets:
        elder_check(page)


# --- the elder-mode target test ------------------------------------------------------------------------

# Measures, in the page, every visible interactive element. A checkbox or radio is measured by the largest
# of its own box, its .form-check row and its labels (the row and the label toggle it too). A link shown
# inline inside running text (a paragraph or a help text with other words) is WCAG 2.5.8's inline
# exception: reported as "inline", not as an offender.
_MEASURE_TARGETS_JS = r"""
() => {
  const SEL = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]';
  const NATIVE = 'a[href], button, input, select, textarea, summary, [role=button]';
  const shown = (el) => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  const words = (el) => {
    let text = el.innerText || el.getAttribute('aria-label') || el.title || '';
    if (el.tagName === 'INPUT' && /^(submit|button|reset)$/i.test(el.type)) text = el.value || text;
    else if (el.labels && el.labels.length) text = text || el.labels[0].innerText;
    return text.replace(/\s+/g, ' ').trim();
  };
  const path = (el) => {
    const parts = [];
    for (let e = el, i = 0; e && e !== document.body && i < 4; e = e.parentElement, i++) {
      let part = e.tagName.toLowerCase();
      if (e.id) { parts.unshift(part + '#' + e.id); break; }
      if (e.classList.length) part += '.' + [...e.classList].slice(0, 2).join('.');
      if (e.getAttribute('name')) part += '[name=' + e.getAttribute('name') + ']';
      parts.unshift(part);
    }
    return parts.join(' > ');
  };
  const blockOf = (el) => {
    let b = el.parentElement;
    while (b && getComputedStyle(b).display.startsWith('inline')) b = b.parentElement;
    return b;
  };
  const out = [];
  for (const el of document.querySelectorAll(SEL)) {
    if (!el.matches(NATIVE) && !(parseInt(el.getAttribute('tabindex'), 10) >= 0)) continue;
    if (el.disabled || el.closest('[inert], [aria-hidden=true]')) continue;
    const type = (el.getAttribute('type') || '').toLowerCase();
    const check = el.tagName === 'INPUT' && (type === 'checkbox' || type === 'radio');
    let box = el.getBoundingClientRect();
    if (check) {
      const boxes = [];
      if (shown(el) && box.width > 2 && box.height > 2) boxes.push(box);
      const row = el.closest('.form-check');
      if (row && shown(row)) boxes.push(row.getBoundingClientRect());
      for (const label of el.labels || []) if (shown(label)) boxes.push(label.getBoundingClientRect());
      if (!boxes.length) continue;
      box = boxes.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
    } else if (!shown(el) || box.width <= 2 || box.height <= 2) {
      continue;  // not shown, or visually hidden until focused (the skip link)
    }
    let inline = false;
    if (el.tagName === 'A' && getComputedStyle(el).display === 'inline') {
      const block = blockOf(el);
      if (block && block.matches('p, .form-text, .alert, .invalid-feedback, blockquote, figcaption')) {
        const all = block.innerText.replace(/\s+/g, '').length;
        inline = all > words(el).replace(/\s+/g, '').length;
      }
    }
    let kind = 'other';
    if (check) kind = 'check';
    else if (el.matches('input:not([type=submit]):not([type=button]):not([type=reset]):not([type=image]), select, textarea')) kind = 'field';
    else if (el.matches('.btn-primary, .btn-brand, [type=submit]')) kind = 'primary';
    out.push({
      tag: el.tagName.toLowerCase() + (type ? '[' + type + ']' : ''), text: words(el).slice(0, 40),
      path: path(el), w: Math.round(box.width * 10) / 10, h: Math.round(box.height * 10) / 10, kind, inline,
    });
  }
  return out;
}
"""

# Pages whose elder-mode clone is kept as a full-page screenshot (the issue's "done when").
_SCREENSHOT_VIEWS = {"home": "home", "events:detail": "activity", "community:my_family": "family"}
_ELDER_LANGUAGES = (("zh-hans", "zh"), ("en", "en"))
_elder_checked: dict[str, set[str]] = {}


def _reaches(target: dict) -> bool:
    return target["w"] >= MIN_TARGET_PX - 0.5 and target["h"] >= MIN_TARGET_PX - 0.5


def _record_targets(url: str, lang: str, found: list[dict]) -> None:
    """One JSON line per page and language: how many targets of each kind reach 60x60 (bench input)."""
    if not TARGETS_REPORT:
        return
    line = {"url": url, "lang": lang, "test": os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]}
    for kind in ("primary", "field", "check", "all"):
        items = [t for t in found if not t["inline"] and (kind == "all" or t["kind"] == kind)]
        line[kind] = {
            "total": len(items),
            "reach_60": sum(_reaches(t) for t in items),
            "under_44": sum(min(t["w"], t["h"]) < 44 for t in items),
        }
    line["inline_links"] = sum(t["inline"] for t in found)
    with open(TARGETS_REPORT, "a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def measure_targets(page) -> tuple[list[dict], list[dict]]:
    """(offenders under 60x60, every target) of the page as it is now."""
    found = page.evaluate(_MEASURE_TARGETS_JS)
    return [t for t in found if not t["inline"] and not _reaches(t)], found


def format_targets(offenders: list[dict]) -> str:
    return "\n".join(
        f"- {t['tag']} {t['text']!r} at {t['path']}: {t['w']:g}x{t['h']:g} px" for t in offenders
    )


_elder_axed: set[tuple[str, str]] = set()
_elder_shots: set[tuple[str, str]] = set()


def _elder_problems(page, url: str, lang: str, view_name: str) -> list[str]:
    """axe, width and targets of a page shown in elder mode at 390 px (one language)."""
    problems = []
    # axe once per view and language in a process: the test's own scan covers each state of the page, this
    # one what elder mode changes (colours, sizes), the same in every state (it keeps the suite short).
    if not view_name or (view_name, lang) not in _elder_axed:
        _elder_axed.add((view_name, lang))
        violations, known = _without_known(axe_violations(page))
        if violations:
            problems.append(f"axe, {len(violations)} serious/critical:\n{format_violations(violations)}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"the page is {overflow}px wider than the 390px screen")
    offenders, found = measure_targets(page)
    _record_targets(url, lang, found)
    if offenders:
        problems.append(
            f"{len(offenders)} target(s) under {MIN_TARGET_PX}x{MIN_TARGET_PX} px:\n{format_targets(offenders)}"
        )
    shot = _SCREENSHOT_VIEWS.get(view_name)
    if shot == "activity" and page.locator("[data-testid=booking-form]").count():
        shot = "booking"
    if shot and (shot, lang) not in _elder_shots:
        _elder_shots.add((shot, lang))
        RESULTS_DIR.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS_DIR / f"elder-390-{shot}-{lang}.png"), full_page=True)
    return problems


_elder_cloned_views: set[tuple[str, str]] = set()


def elder_check(page):
    """The page's URL in elder mode on a 390x844 phone, in Chinese and in English: no serious/critical axe
    violation, no sideways scrolling, no target under 60x60 px. Opened anew once per view and language in a
    process; a page already in elder mode at 390 px is measured in place every time."""
    from urllib.parse import urlsplit

    from django.urls import Resolver404, resolve, reverse
    from playwright.sync_api import Error as PlaywrightError

    url = page.url
    parts = urlsplit(url)
    if not url.startswith("http") or parts.path.startswith(reverse("admin:index")):
        return  # Django's admin: its own desktop tool (its axe scans still run)
    test_id = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
    checked = _elder_checked.setdefault(test_id, set())
    if len(_elder_checked) > 1:
        for other in [k for k in _elder_checked if k != test_id]:
            del _elder_checked[other]
    if url in checked:
        return
    checked.add(url)
    try:
        view_name = resolve(parts.path).view_name
    except Resolver404:
        view_name = ""
    current_lang = page.locator("html").get_attribute("lang") or ""
    current_lang = "zh" if current_lang.lower().startswith("zh") else "en"
    in_place = (
        page.viewport_size
        and page.viewport_size["width"] == PHONE["viewport"]["width"]
        and "elder-mode" in (page.locator("body").get_attribute("class") or "").split()
    )
    problems = []
    if in_place:
        # Measured as it is (it may be the answer to a POST that a GET cannot show again).
        problems += [f"[{current_lang}] {p}" for p in _elder_problems(page, url, current_lang, view_name)]
    state = page.context.storage_state()
    origin = f"{parts.scheme}://{parts.netloc}"
    browser = page.context.browser
    for lang, short in _ELDER_LANGUAGES:
        if in_place and short == current_lang:
            continue
        if view_name:
            # A clone once per view and language in a process: elder mode's CSS is the same for every state of
            # a view, and a page a test already shows in elder mode at 390 px is measured in place, as it is (it
            # keeps the suite short).
            if (view_name, short) in _elder_cloned_views:
                continue
            _elder_cloned_views.add((view_name, short))
        context = browser.new_context(
            base_url=origin, locale="zh-CN", timezone_id="Asia/Shanghai", storage_state=state, **PHONE
        )
        try:
            context.set_default_timeout(DEFAULT_TIMEOUT_MS)
            context.add_cookies(
                [
                    {"name": settings.ELDER_MODE_COOKIE, "value": "1", "url": origin},
                    {"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": origin},
                ]
            )
            clone = context.new_page()
            try:
                response = clone.goto(url)
            except PlaywrightError as exc:
                if "Download is starting" in str(exc) or "ERR_HTTP_RESPONSE_CODE_FAILURE" in str(exc):
                    continue  # a file download, or an empty error answer (a POST-only URL, e.g. a form's answer)
                raise
            content_type = (response.headers.get("content-type", "") if response else "").lower()
            disposition = (response.headers.get("content-disposition", "") if response else "").lower()
            if "text/html" not in content_type or "attachment" in disposition or response.status == 405:
                continue  # not a page of the portal that a GET shows again
            problems += [f"[{short}] {p}" for p in _elder_problems(clone, url, short, view_name)]
        finally:
            context.close()
    if not problems:
        return
    message = f"elder mode (长辈版) at 390 px, {url}:\n" + "\n".join(problems)
    if TARGETS_RECORD_ONLY or AXE_REPORT_ONLY:
        warnings.warn(message, stacklevel=3)
        return
    pytest.fail(message, pytrace=False)


def assert_fits_width(page):
    """Mobile first: nothing makes the page scroll sideways (a wide table scrolls inside its own box)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the {page.viewport_size['width']}px screen"


def error_for(page, field: str) -> str:
    """The error shown for the field named ``field``: the field is marked invalid and its message is
    visible and tied to it through aria-describedby, so a screen reader reads it with the field."""
    control = page.locator(f"[name={field}]").first
    assert control.get_attribute("aria-invalid") == "true", f"{field} is not marked invalid"
    described_by = (control.get_attribute("aria-describedby") or "").split()
    messages = [
        page.locator(f"[id='{i}']").inner_text().strip()
        for i in described_by
        if "invalid-feedback" in (page.locator(f"[id='{i}']").get_attribute("class") or "")
        and page.locator(f"[id='{i}']").is_visible()
    ]
    assert messages, f"no visible error message is tied to {field} (aria-describedby={described_by})"
    return " ".join(messages)


def open_menu(page):
    """On a narrow screen the navbar is collapsed: open it (no-op when it is already open or wide)."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        page.locator("#mainNav.show").wait_for()


def open_staff_menu(page):
    """Open the navbar's "Staff" dropdown (the menu first, on a narrow screen)."""
    open_menu(page)
    toggle = page.get_by_test_id("staff-menu")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
        page.locator(".dropdown-menu.show").wait_for()


def submit(page, field: str):
    """Click the (first) submit button of the form holding the field named ``field``, and wait for the next
    page. The first: allauth's code pages put "Request new code" and "Cancel" buttons after "Confirm"."""
    form = page.locator("form").filter(has=page.locator(f"[name={field}]"))
    with page.expect_navigation():
        form.locator("[type=submit]").first.click()


def _digits(phone: str) -> str:
    digits = re.sub(r"\D", "", str(phone))
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def texted_code(outbox, phone: str) -> str:
    sms = [m for m in outbox if _digits(m["phone"]) == _digits(phone)]
    assert sms, f"no SMS was sent to {phone}: {outbox!r}"
    params = sms[-1].get("params") or {}
    if params.get("code"):
        return str(params["code"])
    match = re.search(r"\b([0-9A-Z]{4,8})\b", sms[-1]["text"])
    assert match, f"no code in {sms[-1]['text']!r}"
    return match.group(1)
