"""Hostile query strings at every page that reads one: never a 5xx, and a bad date is a visible field error.

``PAGES`` is the table: every page (URL name) and every GET parameter it reads (``request.GET``, the
fields of the forms and filter sets bound to it). Each parameter gets each of ``HOSTILE`` (the calendar's
edges, negative and overflowing numbers, a Unicode digit, a NUL byte, 5,000 characters, a repeated
parameter, empty), alone and all at once, from an anonymous visitor, a signed-in resident (who is also a
volunteer) and a member of the community staff. Runs on PostgreSQL in CI, where overflow and NUL bytes
break.

``test_the_table_covers_every_parameter_the_code_reads`` reads the source: a page that reads a GET
parameter not in the table (a new page of a service area, a new filter) fails it, so it gets tested here.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import SimpleNamespace

import django_filters
import pytest
from django import forms
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import translation

from events.models import AllocationMode, Checkpoint, RegistrationScope
from events.services import booking_create_on_behalf
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.community.factories import GridFactory, HouseholdFactory, PersonFactory
from tests.events.factories import ActivityFactory, SessionFactory, in_days
from tests.volunteers.factories import VolunteerProfileFactory
from tests.youth.factories import ChildFactory, DaycareProgrammeFactory, YouthActivityFactory, today_session
from tests.youth.factories import book as book_week

#: Every page that reads the query string: URL name -> (the parameters it reads, its URL argument: the key
#: of ``place.args``, or a tuple of keys for a URL with several).
PAGES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "events:list": (("q", "area", "audience", "date_from", "date_to", "place", "open_now", "page"), None),
    "events:detail": (("persons", "session"), "activity"),
    "events:staff_activities": (("page",), None),
    "events:roster": (("show", "page"), "session"),
    "events:roster_export": (("show",), "session"),
    "events:checkin": (("q",), "session"),
    "events:lottery_draw": (("session",), "lottery"),
    "events:station": (("session", "q"), "checkpoint"),
    "events:checkpoints": (("session",), "activity"),
    "events:onbehalf": (("q", "person"), "activity"),
    "community:workbench": (("q", "page"), None),
    "community:workbench_person": (("sensitive",), "person"),
    "community:claims": (("page",), None),
    "notify:inbox": (("page",), None),
    "reports:dashboard": (("start", "end", "grid"), None),
    "volunteers:hours_certificate": (("date_from", "date_to"), None),
    "volunteers:certificate_verify": (("code",), None),
    "holidays:year_add": (("year",), None),
    "elders:clinic": (("elder", "q", "page"), "session"),
    "elders:followups": (("show", "page"), None),
    "elders:index": (("q", "band", "group", "risk", "grid", "page"), None),
    # allauth's pages, served by the portal: where to go after signing in
    "account_login": (("next",), None),
    "account_signup": (("next",), None),
    # elders, partners piece: plans, flagged plans, the delivery round, the monthly ledger
    "elders:plans": (("organization", "service", "state", "page"), None),
    "elders:plans_flagged": (("page",), None),
    "elders:delivery_round": (("service",), None),
    "elders:ledger": (("month", "format"), None),
    # elders, the visit-and-call roster (outreach)
    "elders:overdue": (("grid", "page"), None),
    "elders:needs": (("status", "grid", "page"), None),
    # elders, classes and clinics (demo piece): the page of sessions held
    "elders:classes": (("page",), None),
    # elders, my visits and calls (paginated by the pager helper)
    "elders:my_contacts": (("page",), None),
    # youth: the figures page, the day-care's tablet roster and sign-out page, a class's attendance
    "youth:stats": (("start", "end", "grid", "format"), None),
    "youth:roster_session": (("state", "page"), "daycare_session"),
    "youth:sign_out": (("state", "page"), ("daycare_session", "child")),
    "youth:attendance": (("q",), "class_session"),
}
#: Parameters that are dates: a bad value must be a visible field error.
DATE_PARAMS = {"date_from", "date_to", "start", "end"}

HOSTILE = [
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-1",
    "99999999999999999999",
    "²",
    "\x00",
    "x" * 5000,
    ["1", "2"],  # ?a=1&a=2
    "",
]
WHO = ["anonymous", "resident", "staff"]


@pytest.fixture
def place(db):
    staff = UserFactory(role=Role.COMMUNITY_STAFF, name="社区工作人员")
    resident_user = UserFactory(name="朱晓燕")
    resident = PersonFactory(name="朱晓燕", user=resident_user, household=HouseholdFactory())
    VolunteerProfileFactory(person=resident)
    activity = ActivityFactory(organiser_user=staff, title="迷你马拉松")
    session = SessionFactory(activity=activity, capacity=20)
    booking_create_on_behalf(staff=staff, activity=activity, session=session, persons=[resident])
    checkpoint = Checkpoint.objects.create(activity=activity, name="补给站", position=1)
    lottery = ActivityFactory(
        organiser_user=staff,
        title="暑托班",
        allocation=AllocationMode.LOTTERY,
        registration_scope=RegistrationScope.COURSE,
        capacity=3,
        booking_opens_at=in_days(-3),
        booking_closes_at=in_days(-1),
    )
    SessionFactory(activity=lottery)
    GridFactory()
    daycare = DaycareProgrammeFactory(organiser=staff, weeks=1)
    child = ChildFactory(guardian=resident)
    book_week(child, daycare.weeks.get(), by=resident_user)
    holiday_class = YouthActivityFactory(activity__organiser_user=staff)
    class_session = SessionFactory(activity=holiday_class.activity)
    return SimpleNamespace(
        staff=staff,
        resident_user=resident_user,
        args={
            "session": session.pk,
            "activity": activity.pk,
            "lottery": lottery.pk,
            "checkpoint": checkpoint.pk,
            "person": resident.pk,
            "daycare_session": today_session(daycare).pk,
            "child": child.pk,
            "class_session": class_session.pk,
        },
    )


def url_of(place, name: str) -> str:
    arg = PAGES[name][1]
    keys = (arg,) if isinstance(arg, str) else (arg or ())
    return reverse(name, args=[place.args[key] for key in keys] or None)


def sign_in(client, place, who: str):
    if who == "resident":
        client.force_login(place.resident_user)
    elif who == "staff":
        client.force_login(place.staff)
    return client


def date_errors() -> tuple[str, ...]:
    """What a page says next to a bad date (the interface is Chinese by default)."""
    with translation.override("zh-hans"):
        return (
            translation.gettext("Enter a valid date."),
            translation.gettext("Enter a date between the years %(min)d and %(max)d.")
            % {"min": 1900, "max": 2100},
        )


def check(response, *, param: str | None, value) -> None:
    assert response.status_code < 500, (response.status_code, param, value)
    shown = response.status_code in (200, 400) and response.get("Content-Type", "").startswith("text/html")
    if param in DATE_PARAMS and value not in ("", None) and shown:
        html = response.content.decode()
        assert any(message in html for message in date_errors()), (
            response.request["PATH_INFO"],
            param,
            value,
        )


@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_hostile_values_in_every_parameter(client, place, name, who):
    sign_in(client, place, who)
    url = url_of(place, name)
    params = PAGES[name][0]
    for param in params:
        for value in HOSTILE:
            check(client.get(url, {param: value}), param=param, value=value)
    for value in HOSTILE:  # every parameter at once
        check(client.get(url, dict.fromkeys(params, value)), param=None, value=value)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "10000-01-01"])
def test_calendar_edges_are_field_errors_for_everyone_who_sees_the_page(client, place, value):
    """The date filters the anonymous visitor, the volunteer and the staff can reach, each at the edges."""
    seen = []
    for name, (params, _arg) in PAGES.items():
        for param in DATE_PARAMS.intersection(params):
            for who in WHO:
                client.logout()
                sign_in(client, place, who)
                response = client.get(url_of(place, name), {param: value})
                check(response, param=param, value=value)
                if response.status_code in (200, 400):
                    seen.append((name, param, who))
    assert {(n, p) for n, p, _who in seen} == {
        ("events:list", "date_from"),
        ("events:list", "date_to"),
        ("reports:dashboard", "start"),
        ("reports:dashboard", "end"),
        ("volunteers:hours_certificate", "date_from"),
        ("volunteers:hours_certificate", "date_to"),
        ("youth:stats", "start"),
        ("youth:stats", "end"),
    }


# --- the table is complete --------------------------------------------------------------------------------

_APPS = ("portal", "events", "elders", "youth", "deliberation", "employment")
_READ = re.compile(
    r"request\.GET(?:\.get|\.getlist|\.pop)?\(\s*[\"'](\w+)[\"']|request\.GET\[\s*[\"'](\w+)[\"']\s*\]"
)
_BOUND = re.compile(r"\b([A-Z]\w*)\(\s*request\.GET\b")
_ANY = re.compile(r"request\.GET\b")
_BARE_OK = re.compile(
    r"request\.GET(?:\.get|\.getlist|\.pop)?\(\s*[\"']|request\.GET\[|[A-Z]\w*\(\s*request\.GET\b|"
    r"request\.GET\.copy\(\)|(?:if|not|and|or)\s+request\.GET\b|request\.GET\s+(?:and|or)\b"
)


def _fields_of(module, class_name: str) -> set[str]:
    cls = getattr(module, class_name, None)
    if isinstance(cls, type) and issubclass(cls, django_filters.FilterSet):
        return set(cls.base_filters)
    if isinstance(cls, type) and issubclass(cls, forms.BaseForm):
        return set(cls.base_fields)
    return set()


def params_read_by(module) -> set[str]:
    """The GET parameters a module reads: ``request.GET.get("x")``, ``request.GET["x"]``, and the fields
    of each form or filter set bound to the query string (``Form(request.GET)``, or to
    ``data = request.GET.copy()``)."""
    source = inspect.getsource(module)
    found = {a or b for a, b in _READ.findall(source)}
    for class_name in _BOUND.findall(source):
        found |= _fields_of(module, class_name)
    if "request.GET.copy()" in source:
        for class_name in re.findall(r"\b([A-Z]\w*)\(\s*data\b", source):
            found |= _fields_of(module, class_name)
    unknown = len(_ANY.findall(source)) - len(_BARE_OK.findall(source))
    assert unknown <= 0, (
        f"{module.__name__} reads request.GET in a way this test cannot follow: name the parameters"
    )
    return found


def _view_modules() -> set[str]:
    """The modules of the portal's own views (every URL pattern of the project)."""
    out: set[str] = set()

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns)
            elif isinstance(p, URLPattern):
                module = inspect.unwrap(p.callback).__module__
                if module.split(".")[0] in _APPS:
                    out.add(module)

    walk(get_resolver().url_patterns)
    return out


def _source_modules() -> set[str]:
    """Every module of the portal's apps that mentions request.GET (views or their helpers)."""
    base = Path(settings.BASE_DIR)
    out = set()
    for app in _APPS:
        for path in (base / app).rglob("*.py"):
            if "migrations" in path.parts or "management" in path.parts:
                continue
            if _ANY.search(path.read_text(encoding="utf-8")):
                out.add(".".join(path.relative_to(base).with_suffix("").parts))
    return out


@pytest.mark.django_db
def test_the_table_covers_every_parameter_the_code_reads(place):
    import importlib

    table_by_module: dict[str, set[str]] = {}
    for name, (params, _arg) in PAGES.items():
        view = inspect.unwrap(resolve(url_of(place, name)).func)
        table_by_module.setdefault(view.__module__, set()).update(params)
    modules = _view_modules() | _source_modules()
    missing = {}
    for module_name in sorted(modules):
        read = params_read_by(importlib.import_module(module_name))
        not_in_table = read - table_by_module.get(module_name, set())
        if not_in_table:
            missing[module_name] = sorted(not_in_table)
    assert not missing, f"GET parameters read but not in PAGES (add the page and its parameters): {missing}"


def test_the_scan_finds_what_a_page_reads():
    """The scanner itself: it sees a direct read, a bound form's fields and a filter set's filters."""
    import events.views
    import portal.reports.views

    assert {"q", "date_from", "date_to", "page", "open_now"} <= params_read_by(events.views)
    assert {"start", "end", "grid"} <= params_read_by(portal.reports.views)
