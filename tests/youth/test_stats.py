"""The youth area's figures (youth.stats, youth.selectors.stats) and the staff figures page (youth:stats):
on small factory data each figure equals a count made directly from the records; the grid filter; the rows
by programme and month; the page, its exports and who may see it."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events import models as em
from portal.accounts.models import Role
from portal.reports.registry import figures_for
from tests.accounts.factories import UserFactory
from tests.community.factories import GridFactory, HouseholdFactory
from tests.events.factories import SessionFactory
from youth import stats
from youth.models import Audience, PickupAttempt, PickupOutcome, ProgrammeKind
from youth.selectors.stats import child_instances, child_instances_by_programme_month, youth_counts

from .factories import ChildFactory, DaycareProgrammeFactory, YouthActivityFactory, at

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 18)  # the suite's frozen Wednesday
NOV = (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))


def _values(**kw) -> dict[str, int]:
    return {f.key.removeprefix("youth."): f.value for f in stats.figures(**kw)}


def _book(activity, person, session=None) -> em.Registration:
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    booking = em.Booking.objects.create(activity=activity, session=session, booked_by=staff, on_behalf=True)
    return em.Registration.objects.create(
        booking=booking,
        activity=activity,
        session=session,
        person=person,
        status=em.RegistrationStatus.CONFIRMED,
    )


def _checkin(reg, session) -> em.CheckIn:
    return em.CheckIn.objects.create(
        registration=reg,
        session=session,
        checked_in_at=session.starts_at,
        method=em.CheckInMethod.STAFF_SEARCH,
    )


class World:
    """Two grids. A day-care week (Mon 16 to Fri 20 November; Mon-Wed held by now) with three children of
    grid A and one of grid B; a four-meeting class in October and November; a lecture with two guardians;
    a workshop of the youth area (no youth record); an elders' class (not youth)."""

    def __init__(self, extra_children: int = 0):
        self.grid_a, self.grid_b = GridFactory(), GridFactory()
        home_a = HouseholdFactory(building__grid=self.grid_a)
        home_b = HouseholdFactory(building__grid=self.grid_b)
        self.kids_a = [ChildFactory(household=HouseholdFactory(building__grid=self.grid_a)) for _ in range(3)]
        self.kid_b = ChildFactory(household=home_b)
        # 17 on Monday's session, 18 since Tuesday: a child on Monday, an adult from Tuesday on.
        self.turning = ChildFactory(household=home_a, birth_date=datetime.date(2008, 11, 17))
        self.programme = DaycareProgrammeFactory(weeks=1)
        self.week = self.programme.weeks.get(number=1)  # (the factory makes a second, empty week)
        days = list(self.week.activity.sessions.order_by("starts_at"))
        self.daycare_days = days
        held = [s for s in days if s.starts_at <= timezone.now()]
        assert len(held) == 3
        for kid in [*self.kids_a, self.kid_b, *self._extra(extra_children)]:
            reg = _book(self.week.activity, kid)
            for s in held:
                _checkin(reg, s)
        reg = _book(self.week.activity, self.turning)
        for s in held[:2]:  # Monday (17) and Tuesday (18)
            _checkin(reg, s)
        # The class: two meetings in October, two in November; two children of grid A, one of grid B.
        self.klass = YouthActivityFactory(activity__title="国学诵读班")
        starts = [
            at(datetime.date(2026, 10, 24), datetime.time(9)),
            at(datetime.date(2026, 10, 31), datetime.time(9)),
            at(datetime.date(2026, 11, 7), datetime.time(9)),
            at(datetime.date(2026, 11, 14), datetime.time(9)),
        ]
        self.class_sessions = [
            SessionFactory(activity=self.klass.activity, starts_at=s, ends_at=s + datetime.timedelta(hours=2))
            for s in starts
        ]
        for kid in (*self.kids_a[:2], self.kid_b):
            reg = _book(self.klass.activity, kid)
            for s in self.class_sessions:
                _checkin(reg, s)
        # A parenting lecture on 14 November: two guardians of grid A come.
        self.lecture = YouthActivityFactory(
            kind=ProgrammeKind.LECTURE,
            audience=Audience.GUARDIANS,
            activity__registration_scope=em.RegistrationScope.SESSION,
            activity__min_age=None,
            activity__max_age=None,
        )
        start = at(datetime.date(2026, 11, 14), datetime.time(14))
        self.lecture_session = SessionFactory(
            activity=self.lecture.activity, starts_at=start, ends_at=start + datetime.timedelta(hours=2)
        )
        for kid in self.kids_a[:2]:
            _checkin(
                _book(self.lecture.activity, kid.guardian_for_tests, self.lecture_session),
                self.lecture_session,
            )
        # A youth-area workshop without a youth record, and an elders' class a child came to (not counted).
        start = at(datetime.date(2026, 11, 8), datetime.time(14))
        workshop = SessionFactory(
            activity__area=em.Area.YOUTH, starts_at=start, ends_at=start + datetime.timedelta(hours=2)
        )
        _checkin(_book(workshop.activity, self.kid_b, workshop), workshop)
        elders = SessionFactory(
            activity__area=em.Area.ELDERS, starts_at=start, ends_at=start + datetime.timedelta(hours=1)
        )
        _checkin(_book(elders.activity, self.kids_a[0], elders), elders)
        # A cancelled class meeting with a check-in (typed by mistake): not counted.
        cancelled = SessionFactory(
            activity=self.klass.activity,
            starts_at=at(datetime.date(2026, 11, 10), datetime.time(9)),
            ends_at=at(datetime.date(2026, 11, 10), datetime.time(11)),
            cancelled=True,
        )
        _checkin(em.Registration.objects.filter(activity=self.klass.activity).first(), cancelled)
        # One refused pickup (grid A's child) on Tuesday.
        PickupAttempt.objects.create(
            session=days[1],
            child=self.kids_a[0],
            name="陌生人",
            outcome=PickupOutcome.REFUSED,
            reason="不在名单上",
            at=days[1].ends_at,
        )

    def _extra(self, n):
        return [ChildFactory(household=HouseholdFactory(building__grid=self.grid_b)) for _ in range(n)]


def _direct_child_instances(start, end, grid=None) -> int:
    """Counted one check-in at a time in Python: the person's age on the session's local day."""
    lo = at(start, datetime.time.min)
    hi = at(end + datetime.timedelta(days=1), datetime.time.min)
    n = 0
    rows = em.CheckIn.objects.filter(
        session__activity__area=em.Area.YOUTH,
        session__cancelled=False,
        session__starts_at__gte=lo,
        session__starts_at__lt=hi,
    ).select_related("registration__person__household__building", "session")
    for c in rows:
        person = c.registration.person
        if grid is not None and (person.household is None or person.household.building.grid_id != grid.pk):
            continue
        if person.age_on(timezone.localtime(c.session.starts_at).date()) < 18:
            n += 1
    return n


def test_figures_equal_counts_made_directly_from_the_records():
    w = World()
    values = _values(start=NOV[0], end=NOV[1])
    direct = _direct_child_instances(*NOV)
    # day-care: 4 children x 3 days + the one turning 18 on Monday only; class: 3 x 2 November meetings;
    # the workshop: 1. The lecture's guardians and the elders' class are not child service instances.
    assert direct == 4 * 3 + 1 + 3 * 2 + 1
    assert values["child_instances"] == direct
    assert values["daycare_instances"] == 13
    assert values["class_instances"] == 6
    assert values["other_instances"] == 1
    assert values["children"] == 5
    assert values["daycare_children"] == 5
    assert values["daycare_places"] == em.Registration.objects.filter(activity=w.week.activity).count() == 5
    assert values["daycare_days"] == 3  # Thursday and Friday are still to come
    assert values["pickups_refused"] == 1
    assert values["classes_held"] == 1
    assert values["lectures_held"] == 1
    assert values["lecture_attendance"] == 2
    # October: only the class's first two meetings.
    october = _values(start=datetime.date(2026, 10, 1), end=datetime.date(2026, 10, 31))
    assert (
        october["child_instances"]
        == _direct_child_instances(datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
        == 6
    )
    assert october["classes_held"] == 1 and october["lectures_held"] == 0 and october["daycare_days"] == 0


def test_the_dashboard_shows_the_youth_figures():
    World()
    keys = {f.key: f for f in figures_for(start=NOV[0], end=NOV[1])}
    assert keys["youth.child_instances"].value == 20
    assert keys["youth.child_instances"].area == "youth"


def test_grid_filter_counts_only_that_grids_children():
    w = World()
    a = _values(start=NOV[0], end=NOV[1], grid=w.grid_a)
    b = _values(start=NOV[0], end=NOV[1], grid=w.grid_b)
    assert a["child_instances"] == _direct_child_instances(*NOV, grid=w.grid_a) == 3 * 3 + 1 + 2 * 2
    assert b["child_instances"] == _direct_child_instances(*NOV, grid=w.grid_b) == 3 + 2 + 1
    assert a["child_instances"] + b["child_instances"] == _values(start=NOV[0], end=NOV[1])["child_instances"]
    assert a["pickups_refused"] == 1 and b["pickups_refused"] == 0
    assert a["lecture_attendance"] == 2 and b["lecture_attendance"] == 0
    assert a["lectures_held"] == 1 and b["lectures_held"] == 0  # nobody of grid B came
    assert a["daycare_places"] == 4 and b["daycare_places"] == 1
    empty = GridFactory()
    assert set(_values(start=NOV[0], end=NOV[1], grid=empty).values()) == {0}


def test_rows_by_programme_and_month():
    w = World()
    rows = child_instances_by_programme_month(start=datetime.date(2026, 10, 1), end=NOV[1])
    got = {(r["month"], r["kind"], r["programme"]): (r["children"], r["adults"]) for r in rows}
    oct1, nov1 = datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)
    workshop_title = em.Activity.objects.get(
        area=em.Area.YOUTH, youth__isnull=True, daycare_week__isnull=True
    ).title
    assert got == {
        (oct1, "class", "国学诵读班"): (6, 0),
        (nov1, "daycare", w.programme.title): (13, 1),  # the 18-year-old on Tuesday
        (nov1, "class", "国学诵读班"): (6, 0),
        (nov1, "lectures", ""): (0, 2),
        (nov1, "other", workshop_title): (1, 0),
    }
    # Ordered by month, then day-care, classes, lectures, others.
    assert [(r["month"], r["kind"]) for r in rows] == [
        (oct1, "class"),
        (nov1, "daycare"),
        (nov1, "class"),
        (nov1, "lectures"),
        (nov1, "other"),
    ]
    assert sum(r["children"] for r in rows) == child_instances(start=datetime.date(2026, 10, 1), end=NOV[1])
    only_b = child_instances_by_programme_month(start=datetime.date(2026, 10, 1), end=NOV[1], grid=w.grid_b)
    assert sum(r["children"] for r in only_b) == _direct_child_instances(
        datetime.date(2026, 10, 1), NOV[1], w.grid_b
    )


def test_figures_and_rows_cost_the_same_queries_at_two_sizes():
    small = World()
    with CaptureQueriesContext(connection) as few:
        youth_counts(start=NOV[0], end=NOV[1])
        child_instances_by_programme_month(start=NOV[0], end=NOV[1], grid=small.grid_a)
    World(extra_children=25)
    with CaptureQueriesContext(connection) as many:
        youth_counts(start=NOV[0], end=NOV[1])
        child_instances_by_programme_month(start=NOV[0], end=NOV[1], grid=small.grid_a)
    assert len(few.captured_queries) == len(many.captured_queries) == 5


# --- the page --------------------------------------------------------------------------------------------


@pytest.fixture
def en(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_staff_see_figures_and_rows_for_the_last_twelve_months(en):
    w = World()
    en.force_login(UserFactory(role=Role.COMMUNITY_STAFF))
    page = en.get(reverse("youth:stats"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Figures from 2025-12-01 to 2026-11-18" in html
    tile = html[html.index('data-testid="figure-youth.child_instances"') :][:600]
    assert '<span class="report-value" data-testid="value">26</span>' in tile  # 20 in November, 6 in October
    assert f'data-testid="row-daycare-{w.programme.pk}-2026-11"' in html
    assert f'data-testid="row-class-{w.klass.activity_id}-2026-10"' in html
    assert "Parenting lectures" in html
    assert re.search(r'data-testid="total-children">26</td>', html)


def test_a_grid_worker_sees_her_grid_only(en):
    w = World()
    worker = UserFactory(role=Role.GRID_WORKER, grid=w.grid_b)
    en.force_login(worker)
    # Asking for another grid changes nothing: hers is fixed.
    page = en.get(reverse("youth:stats"), {"start": "2026-11-01", "end": "2026-11-30", "grid": w.grid_a.pk})
    assert page.status_code == 200
    html = page.content.decode()
    tile = html[html.index('data-testid="figure-youth.child_instances"') :][:600]
    assert '<span class="report-value" data-testid="value">6</span>' in tile
    assert w.grid_b.name in html


def test_residents_may_not_see_the_figures(en):
    World()
    en.force_login(UserFactory(role=Role.RESIDENT))
    assert en.get(reverse("youth:stats")).status_code == 403
    en.logout()
    assert en.get(reverse("youth:stats")).status_code == 302  # to the sign-in page


def test_csv_and_excel_exports_of_the_rows(en):
    w = World()
    en.force_login(UserFactory(role=Role.COMMUNITY_STAFF))
    query = {"start": "2026-10-01", "end": "2026-11-30", "format": "csv"}
    response = en.get(reverse("youth:stats"), query)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "Month,Kind,Programme,Child service instances,Attendance of parents and other adults"
    assert f"2026-11,Holiday day-care,{w.programme.title},13,1" in lines
    assert "2026-11,Parenting lectures,Parenting lectures,0,2" in lines
    assert "2026-10,Holiday class,国学诵读班,6,0" in lines
    response = en.get(reverse("youth:stats"), {**query, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [c.value for c in sheet[1]][:3] == ["Month", "Kind", "Programme"]
    assert sheet.max_row == 1 + 5


def test_the_page_costs_the_same_queries_at_two_sizes(en):
    World()
    en.force_login(UserFactory(role=Role.COMMUNITY_STAFF))
    url = reverse("youth:stats")
    en.get(url)  # warm the session and the user's caches
    with CaptureQueriesContext(connection) as few:
        assert en.get(url).status_code == 200
    World(extra_children=30)
    with CaptureQueriesContext(connection) as many:
        assert en.get(url).status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries)


def test_staff_running_youth_activities_see_the_figures_and_other_partner_staff_do_not(en):
    w = World()
    from tests.community.factories import OrganizationFactory

    org = OrganizationFactory()
    w.week.activity.organiser_org = org
    w.week.activity.save(update_fields=["organiser_org"])
    en.force_login(UserFactory(role=Role.PARTNER_STAFF, organization=org))
    assert en.get(reverse("youth:stats")).status_code == 200
    en.force_login(UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory()))
    assert en.get(reverse("youth:stats")).status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"start": "nonsense", "end": "2026-11-30"},
        {"start": "2026-11-30", "end": "2026-11-01"},
        {"start": "2020-01-01", "end": "2026-11-30"},
        {"start": "2026-11-01", "end": "2026-11-30", "grid": "x'; drop"},
        {"start": "2026-11-01", "end": "2026-11-30", "format": "pdf"},
        {"start": "99999-01-01"},
    ],
)
def test_bad_parameters_show_the_form_with_its_error_and_never_fail(en, params):
    World()
    en.force_login(UserFactory(role=Role.COMMUNITY_STAFF))
    response = en.get(reverse("youth:stats"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    if params.get("format") == "pdf":
        assert 'data-testid="by-month"' in html
    else:
        assert "Correct the period to see the figures." in html or 'data-testid="error-summary"' in html


def test_today_is_the_suites_day():
    assert timezone.localdate() == TODAY


# --- in the browser (Chinese; axe also in elder mode and English) --------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_figures_page_in_the_browser_on_a_tablet(page, sign_in):
    from tests.browser import axe_check, go

    w = World()
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    sign_in(page, staff)
    page.set_viewport_size({"width": 820, "height": 1180})  # a staff tablet
    go(page, reverse("youth:stats"))
    assert page.get_by_role("heading", level=1).inner_text() == "儿童与青少年：统计数据"
    tile = page.get_by_test_id("figure-youth.child_instances")
    assert "青少年服务人次" in tile.inner_text() and tile.get_by_test_id("value").inner_text() == "26"
    table = page.get_by_test_id("by-month")
    assert w.programme.title in table.inner_text() and "家庭教育讲座" in table.inner_text()
    axe_check(page)
    # A grid chosen in the form: the page shows that grid's figures only.
    page.select_option("#id_grid", str(w.grid_b.pk))
    page.locator("#period-form [type=submit]").click()
    page.wait_for_load_state()
    assert (
        page.get_by_test_id("figure-youth.child_instances").get_by_test_id("value").inner_text() == "8"
    )  # 6 in November, 2 in October
    axe_check(page)
