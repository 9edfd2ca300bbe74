"""The roster's pages: my visits and calls (due first), the overdue list by grid (a grid worker sees only
hers), the needs list and a need's page, the section on the elder page, the dashboard figures; query
counts constant in the number of rows."""

import datetime

import pytest
from django.urls import reverse

from elders.models import ContactLog, ContactPlan, Need, NeedStatus
from elders.selectors import section_outreach, stats_outreach
from elders.services.outreach import contact_log_create
from portal.accounts.models import Role
from tests.accounts.factories import UserFactory

from ._f_outreach import DAY, community, elder_in, plan_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def c(elders_data):
    return community()


def _roster(c, n, *, grid=None, due_on=None):
    grid = grid or c.one
    return [
        plan_for(
            elder_in(grid), assigned_to=c.volunteer, due_on=due_on or DAY - datetime.timedelta(days=i % 5)
        )
        for i in range(n)
    ]


def test_my_contacts_lists_her_elders_due_first(client, c):
    later = plan_for(
        elder_in(c.one, name="晚些"), assigned_to=c.volunteer, due_on=DAY + datetime.timedelta(days=6)
    )
    late = plan_for(
        elder_in(c.one, name="逾期"), assigned_to=c.volunteer, due_on=DAY - datetime.timedelta(days=4)
    )
    plan_for(elder_in(c.one, name="别人的"), assigned_to=c.one.worker, due_on=DAY)
    client.force_login(c.volunteer)
    response = client.get(reverse("elders:my_contacts"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("逾期") < html.index("晚些") and "别人的" not in html
    assert [r.plan for r in response.context["rows"]] == [late, later]
    assert reverse("elders:contact_log", args=[late.elder_id]) in html


@pytest.mark.parametrize("name", ["elders:my_contacts", "elders:overdue"])
def test_roster_pages_cost_the_same_queries_at_3_and_30(client, c, name, django_assert_num_queries):
    user = c.volunteer if name == "elders:my_contacts" else c.staff
    client.force_login(user)
    _roster(c, 3)
    client.get(reverse(name))  # warm the session and the caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse(name)).status_code == 200
    _roster(c, 27, grid=c.two)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse(name))
    if name == "elders:my_contacts":  # a page of 25, not every plan
        assert response.content.decode().count("data-plan=") == 25
        assert response.context["counts"]["total"] == 30


def test_my_contacts_is_paginated_due_first_with_a_count_summary(client, c):
    _roster(c, 28)  # due today (6) or 1-4 days late (22)
    later = [
        plan_for(
            elder_in(c.one, name=f"晚些{i}"), assigned_to=c.volunteer, due_on=DAY + datetime.timedelta(days=3)
        )
        for i in range(2)
    ]
    client.force_login(c.volunteer)
    url = reverse("elders:my_contacts")
    first = client.get(url)
    assert first.status_code == 200
    assert len(first.context["rows"]) == 25 and all(r.due for r in first.context["rows"])
    assert first.context["counts"] == {"total": 30, "due": 28, "overdue": 22}
    html = first.content.decode()
    assert html.count("data-plan=") == 25 and "晚些" not in html
    assert 'href="?page=2"' in html and 'data-testid="page-range"' in html
    second = client.get(url + "?page=2")
    rows = second.context["rows"]
    assert second.context["page"].number == 2 and len(rows) == 5
    assert [r.plan for r in rows][-2:] == later  # not yet due: last
    html = second.content.decode()
    assert 'href="?page=1"' in html and "晚些0" in html and html.count("data-plan=") == 5
    # a page out of range or not a number: the last / the first page, never an error
    assert client.get(url + "?page=99").context["page"].number == 2
    assert client.get(url + "?page=x").context["page"].number == 1


def test_overdue_list_by_grid_for_staff_and_only_her_grid_for_a_grid_worker(client, c):
    plan_for(
        elder_in(c.one, name="一号老人"), assigned_to=c.volunteer, due_on=DAY - datetime.timedelta(days=9)
    )
    plan_for(
        elder_in(c.two, name="二号老人"), assigned_to=c.volunteer, due_on=DAY - datetime.timedelta(days=2)
    )
    plan_for(elder_in(c.two, name="不逾期"), assigned_to=c.volunteer, due_on=DAY)
    client.force_login(c.staff)
    html = client.get(reverse("elders:overdue")).content.decode()
    assert "一号老人" in html and "二号老人" in html and "不逾期" not in html
    counts = {r["grid"]: r["overdue"] for r in client.get(reverse("elders:overdue")).context["counts"]}
    assert counts == {"第一网格": 1, "第二网格": 1}
    html = client.get(reverse("elders:overdue"), {"grid": c.two.grid.pk}).content.decode()
    assert "二号老人" in html and "一号老人" not in html
    rows = client.get(reverse("elders:overdue"), {"grid": c.one.grid.pk}).context["rows"]
    assert [r.days_late for r in rows] == [9]

    client.force_login(c.two.worker)
    response = client.get(reverse("elders:overdue"), {"grid": c.one.grid.pk})  # the filter is not hers
    html = response.content.decode()
    assert "二号老人" in html and "一号老人" not in html

    client.force_login(c.volunteer)
    assert client.get(reverse("elders:overdue")).status_code == 403


def test_needs_list_staff_all_grid_worker_hers_owner_hers(client, c):
    a, b = elder_in(c.one, name="甲老人"), elder_in(c.two, name="乙老人")
    plan_for(a, assigned_to=c.volunteer)
    plan_for(b, assigned_to=c.volunteer)
    contact_log_create(actor=c.volunteer, elder=a, method="visit", reached=True, needs=[("meals", "送餐甲")])
    contact_log_create(actor=c.volunteer, elder=b, method="visit", reached=True, needs=[("meals", "送餐乙")])
    page = reverse("elders:needs")
    client.force_login(c.staff)
    html = client.get(page).content.decode()
    assert "送餐甲" in html and "送餐乙" in html
    assert "送餐乙" not in client.get(page, {"grid": c.one.grid.pk}).content.decode()
    client.force_login(c.one.worker)
    html = client.get(page).content.decode()
    assert "送餐甲" in html and "送餐乙" not in html
    client.force_login(c.two.leader)  # the owner of b's need
    html = client.get(page).content.decode()
    assert "送餐乙" in html and "送餐甲" not in html
    stranger = UserFactory(role=Role.VOLUNTEER)
    client.force_login(stranger)
    need = Need.objects.get(description="送餐甲")
    assert client.get(reverse("elders:need", args=[need.pk])).status_code == 404


def test_a_need_closed_from_its_page_needs_what_was_done(client, c):
    elder = elder_in(c.one)
    plan_for(elder, assigned_to=c.volunteer)
    contact_log_create(
        actor=c.volunteer, elder=elder, method="visit", reached=True, needs=[("household", "灯坏了")]
    )
    need = Need.objects.get()
    url = reverse("elders:need", args=[need.pk])
    client.force_login(c.one.leader)
    response = client.post(url, {"status": "closed", "resolution": ""})
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    need.refresh_from_db()
    assert need.status == NeedStatus.OPEN
    response = client.post(url, {"status": "closed", "resolution": "x" * 10_000})
    assert response.status_code == 200
    assert client.post(url, {"status": "closed", "resolution": "已换灯泡"}).status_code == 302
    need.refresh_from_db()
    assert need.status == NeedStatus.CLOSED and need.resolution == "已换灯泡"
    client.force_login(c.volunteer)  # she raised it: she sees it, but may not change it
    assert client.get(url).status_code == 200
    assert client.post(url, {"status": "open"}).status_code == 403


def test_the_plan_page_for_staff(client, c):
    elder = elder_in(c.one)
    client.force_login(c.staff)
    url = reverse("elders:contact_plan_edit", args=[elder.pk])
    assert client.get(url).status_code == 200  # the plan is made from the risk level on first open
    response = client.post(url, {"every_days": "100000", "method": "call"})
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    response = client.post(
        url, {"every_days": "14", "method": "call", "responsible_phone": str(c.volunteer.phone)}
    )
    assert response.status_code == 302
    plan = ContactPlan.objects.get(elder=elder)
    assert (plan.every_days, plan.method, plan.assigned_to, plan.custom) == (14, "call", c.volunteer, True)
    # back to the risk level, then a number typed in while "follow" is still ticked: set by hand
    assert client.post(url, {"follow_risk": "on", "every_days": "14", "method": "visit"}).status_code == 302
    plan.refresh_from_db()
    assert plan.custom is False
    response = client.post(url, {"follow_risk": "on", "every_days": "5", "method": "visit"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.every_days, plan.custom) == (5, True)


def test_the_elder_page_section(c, django_assert_max_num_queries):
    elder = elder_in(c.one)
    plan_for(elder, assigned_to=c.volunteer)
    contact_log_create(
        actor=c.volunteer, elder=elder, method="call", reached=False, needs=[("company", "孤单")]
    )
    with django_assert_max_num_queries(4):
        ctx = section_outreach.elder_section(viewer=c.volunteer, elder=elder)
    assert ctx["outreach"]["plan"].unreached_in_row == 1
    assert len(ctx["outreach"]["logs"]) == 1 and len(ctx["outreach"]["needs"]) == 1
    assert ctx["outreach"]["can_log"] and not ctx["outreach"]["can_plan"]
    assert section_outreach.elder_section(viewer=c.staff, elder=elder)["outreach"]["can_plan"]
    assert section_outreach.elder_section(viewer=UserFactory(role=Role.VOLUNTEER), elder=elder) == {}
    from django.template.loader import render_to_string

    html = render_to_string("elders/outreach/_elder_section.html", ctx)
    assert reverse("elders:contact_log", args=[elder.pk]) in html and "孤单" in html


def test_dashboard_figures(c, django_assert_max_num_queries):
    a, b = elder_in(c.one), elder_in(c.two)
    plan_for(a, assigned_to=c.volunteer, due_on=DAY - datetime.timedelta(days=3))
    plan_for(b, assigned_to=c.volunteer, due_on=DAY + datetime.timedelta(days=3))
    contact_log_create(actor=c.volunteer, elder=b, method="call", reached=True, needs=[("meals", "送餐")])
    contact_log_create(actor=c.volunteer, elder=b, method="visit", reached=False)
    with django_assert_max_num_queries(3):
        figures = {f.key: f.value for f in stats_outreach.figures(start=DAY, end=DAY)}
    assert figures["elders.outreach_contacts"] == 2
    assert figures["elders.outreach_visits"] == 1 and figures["elders.outreach_calls"] == 1
    assert figures["elders.outreach_reached"] == 1
    assert figures["elders.outreach_overdue"] == 1
    assert figures["elders.outreach_needs_raised"] == 1 and figures["elders.outreach_needs_closed"] == 0
    one = {f.key: f.value for f in stats_outreach.figures(start=DAY, end=DAY, grid=c.one.grid)}
    assert one["elders.outreach_contacts"] == 0 and one["elders.outreach_overdue"] == 1
    assert ContactLog.objects.count() == 2
