"""The partners pages: who may open them, errors at the field with nothing saved, forged requests (another
organisation's plan in a round, an edited URL), the round page on a phone, the elder page's section, the
ledger downloads, and query counts constant in the number of plans."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from elders.models import Delivery, PlanPeriod, Service, ServicePlan
from elders.selectors.section_partners import elder_section
from portal.accounts.models import Role
from portal.community.models import OrganizationKind
from tests.accounts.factories import UserFactory
from tests.community.factories import BuildingFactory, GridFactory, HouseholdFactory, OrganizationFactory
from tests.elders._f_partners import (
    DeliveryFactory,
    ElderFactory,
    at,
    community_staff,
    grid_worker,
    nursing_home,
    partner_staff,
    plans_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def meals(elders_data):
    return Service.objects.get(code="meal-delivery")


@pytest.fixture
def two_homes(meals):
    ours, theirs = nursing_home(), nursing_home("另一家护理站")
    return ours, theirs, partner_staff(ours), partner_staff(theirs, name="王芳")


def _round_key(response) -> str:
    return response.context["form"]["round_key"].value()


# --- the catalogue -----------------------------------------------------------------------------------------


def test_staff_add_a_service_and_partners_may_not(client, meals):
    staff = community_staff()
    client.force_login(staff)
    assert client.get(reverse("elders:services")).status_code == 200
    response = client.post(
        reverse("elders:service_add"), {"name": "上门理发", "description": "", "order": 60}
    )
    assert response.status_code == 302
    assert Service.objects.filter(name="上门理发", is_active=True).exists()
    service = Service.objects.get(name="上门理发")
    client.post(reverse("elders:service_toggle", args=[service.pk]), {"active": "0"})
    service.refresh_from_db()
    assert service.is_active is False

    client.force_login(partner_staff(nursing_home()))
    assert client.get(reverse("elders:services")).status_code == 403
    assert client.post(reverse("elders:service_add"), {"name": "理发", "order": 1}).status_code == 403
    assert not Service.objects.filter(name="理发").exists()


def test_a_duplicate_service_name_is_an_error_at_the_field(client, meals):
    client.force_login(community_staff())
    response = client.post(reverse("elders:service_add"), {"name": "助餐送餐", "order": 1})
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert Service.objects.filter(name="助餐送餐").count() == 1


# --- plans -------------------------------------------------------------------------------------------------


def _plan_post(meals, home, **over):
    data = {
        "service": meals.pk,
        "organization": home.pk,
        "times": 1,
        "period": PlanPeriod.DAY,
        "starts_on": "2026-11-18",
        "ends_on": "",
        "notes": "软食，少盐",
    }
    data.update(over)
    return data


def test_staff_create_a_plan_from_the_elder_page(client, meals):
    staff, org, elder = community_staff(), nursing_home(), ElderFactory()
    client.force_login(staff)
    page = client.get(reverse("elders:elder", args=[elder.pk]))
    assert reverse("elders:plan_add", args=[elder.pk]) in page.content.decode()
    response = client.post(reverse("elders:plan_add", args=[elder.pk]), _plan_post(meals, org))
    assert response.status_code == 302 and response["Location"] == reverse("elders:elder", args=[elder.pk])
    plan = ServicePlan.objects.get()
    assert (plan.elder, plan.organization, plan.notes, plan.created_by) == (elder, org, "软食，少盐", staff)
    assert list(elder.served_by.all()) == [org]
    page = client.get(reverse("elders:elder", args=[elder.pk]))
    assert "助餐送餐" in page.content.decode() and org.name in page.content.decode()


@pytest.mark.parametrize(
    "over, field",
    [
        ({"starts_on": "2026-11-18", "ends_on": "2026-11-01"}, "ends_on"),
        ({"service": "inactive"}, "service"),
        ({"organization": "school"}, "organization"),
        ({"notes": "长" * 10_000}, "notes"),
        ({"times": "abc"}, "times"),
        ({"starts_on": "10000-01-01"}, "starts_on"),
    ],
)
def test_plan_form_errors_are_at_the_field_and_nothing_is_saved(client, meals, over, field):
    org, elder = nursing_home(), ElderFactory()
    if over.get("service") == "inactive":
        over = {"service": Service.objects.create(code="gone", name="停办服务", is_active=False).pk}
    elif over.get("organization") == "school":
        over = {"organization": OrganizationFactory(name="永兴小学", kind=OrganizationKind.SCHOOL).pk}
    client.force_login(community_staff())
    response = client.post(reverse("elders:plan_add", args=[elder.pk]), _plan_post(meals, org, **over))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert 'data-testid="error-summary"' in response.content.decode()
    assert not ServicePlan.objects.exists() and not elder.served_by.exists()


def test_staff_change_and_end_a_plan(client, meals):
    org = nursing_home()
    (plan,) = plans_for(org, 1)
    client.force_login(community_staff())
    response = client.post(
        reverse("elders:plan_edit", args=[plan.pk]), _plan_post(meals, org, times=2, starts_on="2026-10-01")
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.times == 2
    response = client.post(reverse("elders:plan_end", args=[plan.pk]), {"ends_on": "2026-09-30"})
    assert response.status_code == 400 and response.context["form"].errors["ends_on"]
    response = client.post(reverse("elders:plan_end", args=[plan.pk]), {"ends_on": "2026-11-30"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.ends_on == datetime.date(2026, 11, 30)


def test_partner_staff_read_only_their_own_plans(client, two_homes):
    ours, theirs, worker, _other = two_homes
    mine = plans_for(ours, 2)
    other = plans_for(theirs, 1)
    client.force_login(worker)
    response = client.get(reverse("elders:plans"))
    assert response.status_code == 200
    assert {p.pk for p in response.context["plans"]} == {p.pk for p in mine}
    assert "organization" not in response.context["form"].fields
    # read-only: no edit, no end, no new plan, for her own plans too
    assert client.get(reverse("elders:plan_edit", args=[mine[0].pk])).status_code == 403
    assert (
        client.post(reverse("elders:plan_end", args=[mine[0].pk]), {"ends_on": "2026-11-30"}).status_code
        == 403
    )
    assert client.get(reverse("elders:plan_add", args=[other[0].elder_id])).status_code == 403
    mine[0].refresh_from_db()
    assert mine[0].ends_on is None


def test_the_plans_list_filters_by_organisation_and_service(client, two_homes):
    ours, theirs, _w, _o = two_homes
    care = Service.objects.get(code="daily-care")
    plans_for(ours, 2)
    (their_care,) = plans_for(theirs, 1, service=care)
    client.force_login(community_staff())
    response = client.get(reverse("elders:plans"), {"organization": theirs.pk})
    assert [p.pk for p in response.context["plans"]] == [their_care.pk]
    response = client.get(reverse("elders:plans"), {"service": care.pk})
    assert [p.pk for p in response.context["plans"]] == [their_care.pk]
    response = client.get(reverse("elders:plans"), {"service": "99999999999999999999"})
    assert response.status_code == 200 and len(response.context["plans"]) == 3


def test_residents_and_volunteers_do_not_see_the_partner_pages(client, meals):
    plans_for(nursing_home(), 1)
    for role in (Role.RESIDENT, Role.VOLUNTEER):
        client.force_login(UserFactory(role=role))
        for name in ("elders:plans", "elders:plans_flagged", "elders:ledger", "elders:delivery_round"):
            assert client.get(reverse(name)).status_code == 403, (role, name)


def test_a_grid_worker_sees_the_plans_of_her_grid_only(client, meals):
    org = nursing_home()
    grid, other_grid = GridFactory(), GridFactory()
    (ours,) = plans_for(org, 1, household=HouseholdFactory(building=BuildingFactory(grid=grid)))
    plans_for(org, 1, household=HouseholdFactory(building=BuildingFactory(grid=other_grid)))
    client.force_login(grid_worker(grid))
    response = client.get(reverse("elders:plans"))
    assert [p.pk for p in response.context["plans"]] == [ours.pk]


# --- the round ---------------------------------------------------------------------------------------------


def test_the_round_lists_only_her_organisations_plans_due_today(client, two_homes):
    ours, theirs, worker, _other = two_homes
    due, done = plans_for(ours, 2)
    plans_for(theirs, 2)
    DeliveryFactory(plan=done, delivered_at=timezone.now(), delivered_by=worker)
    client.force_login(worker)
    response = client.get(reverse("elders:delivery_round"))
    assert response.status_code == 200
    plans = response.context["plans"]
    assert [p.pk for p in plans] == [due.pk, done.pk]  # due first, then done for today
    assert [p.due for p in plans] == [1, 0]
    assert response.context["due_count"] == 1
    html = response.content.decode()
    assert due.elder.name in html and "另一家护理站" not in html


def test_a_round_logs_several_elders_in_one_submit_and_a_double_submit_logs_nothing_twice(client, two_homes):
    ours, _theirs, worker, _other = two_homes
    plans = plans_for(ours, 3)
    client.force_login(worker)
    key = _round_key(client.get(reverse("elders:delivery_round")))
    data = {"plans": [p.pk for p in plans], "time": "", "what": "午餐", "notes": "", "round_key": key}
    response = client.post(reverse("elders:delivery_round"), data)
    assert response.status_code == 302
    assert Delivery.objects.filter(round_key=key).count() == 3
    response = client.post(reverse("elders:delivery_round"), data, follow=True)
    assert Delivery.objects.count() == 3
    assert (
        "没有重复记录" in response.content.decode() or "nothing was logged twice" in response.content.decode()
    )


def test_a_round_with_a_chosen_time_today(client, two_homes):
    ours, _theirs, worker, _other = two_homes
    (plan,) = plans_for(ours, 1)
    client.force_login(worker)
    key = _round_key(client.get(reverse("elders:delivery_round")))
    client.post(reverse("elders:delivery_round"), {"plans": [plan.pk], "time": "08:15", "round_key": key})
    delivery = Delivery.objects.get()
    local = timezone.localtime(delivery.delivered_at)
    assert (local.date(), local.hour, local.minute) == (timezone.localdate(), 8, 15)


@time_machine.travel("2026-11-18T10:00:00+08:00", tick=True)
def test_a_time_later_today_is_an_error_at_the_field(client, two_homes):
    ours, _theirs, worker, _other = two_homes
    (plan,) = plans_for(ours, 1)
    client.force_login(worker)
    response = client.post(reverse("elders:delivery_round"), {"plans": [plan.pk], "time": "23:59"})
    assert response.status_code == 400 and response.context["form"].errors["time"]
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("forged", ["other_org", "nonsense", "huge", "none"])
def test_a_forged_round_is_refused_at_the_field_and_nothing_is_saved(client, two_homes, forged):
    ours, theirs, worker, _other = two_homes
    mine = plans_for(ours, 2)
    (other,) = plans_for(theirs, 1)
    ids = {
        "other_org": [mine[0].pk, other.pk],
        "nonsense": [mine[0].pk, "1;DROP"],
        "huge": [mine[0].pk, "99999999999999999999"],
        "none": [],
    }[forged]
    client.force_login(worker)
    response = client.post(reverse("elders:delivery_round"), {"plans": ids, "what": "午餐"})
    assert response.status_code == 400
    assert response.context["form"].errors["plans"]
    assert not Delivery.objects.exists()
    assert other.elder.name not in response.content.decode()


def test_one_delivery_for_one_elder_and_an_edited_url_is_a_404(client, two_homes):
    ours, theirs, worker, _other = two_homes
    (plan,) = plans_for(ours, 1)
    (other,) = plans_for(theirs, 1)
    client.force_login(worker)
    url = reverse("elders:delivery_add", args=[plan.pk])
    key = _round_key(client.get(url))
    response = client.post(url, {"what": "晚餐", "notes": "老人不在家，放门口", "round_key": key})
    assert response.status_code == 302
    assert Delivery.objects.get().notes == "老人不在家，放门口"
    client.post(url, {"what": "晚餐", "round_key": key})
    assert Delivery.objects.count() == 1
    for method in (client.get, client.post):
        assert method(reverse("elders:delivery_add", args=[other.pk])).status_code == 404
    assert client.get(reverse("elders:delivery_add", args=[999999])).status_code == 404
    assert Delivery.objects.count() == 1


def test_a_ten_thousand_character_note_is_an_error_at_the_field(client, two_homes):
    ours, _theirs, worker, _other = two_homes
    (plan,) = plans_for(ours, 1)
    client.force_login(worker)
    response = client.post(reverse("elders:delivery_add", args=[plan.pk]), {"notes": "长" * 10_000})
    assert response.status_code == 400 and response.context["form"].errors["notes"]
    assert not Delivery.objects.exists()


def test_community_staff_land_on_the_running_plans_from_the_round_link(client, meals):
    client.force_login(community_staff())
    response = client.get(reverse("elders:delivery_round"))
    assert response.status_code == 302 and response["Location"].endswith("?state=running")


# --- the elder page's section ------------------------------------------------------------------------------


def test_the_section_shows_plans_and_deliveries_to_staff_her_grid_worker_and_her_organisation(two_homes):
    ours, theirs, worker, other_worker = two_homes
    grid = GridFactory()
    elder = ElderFactory(household=HouseholdFactory(building=BuildingFactory(grid=grid)))
    (plan,) = plans_for(ours, 1, household=elder.household)
    plan.elder = elder
    ServicePlan.objects.filter(pk=plan.pk).update(elder=elder)
    elder.served_by.add(ours)
    DeliveryFactory(
        plan=ServicePlan.objects.get(pk=plan.pk),
        delivered_at=at(datetime.date(2026, 11, 17)),
        delivered_by=worker,
    )

    staff_ctx = elder_section(viewer=community_staff(), elder=elder)
    assert [p.pk for p in staff_ctx["partners_plans"]] == [plan.pk] and staff_ctx["partners_may_manage"]
    assert len(staff_ctx["partners_deliveries"]) == 1
    assert elder_section(viewer=grid_worker(grid), elder=elder)["partners_plans"]
    assert elder_section(viewer=grid_worker(GridFactory(), name="别的网格员"), elder=elder) == {}
    ours_ctx = elder_section(viewer=worker, elder=elder)
    assert ours_ctx["partners_plans"] and ours_ctx["partners_may_log"] and not ours_ctx["partners_may_manage"]
    assert elder_section(viewer=other_worker, elder=elder) == {}
    assert elder_section(viewer=UserFactory(role=Role.VOLUNTEER), elder=elder) == {}


@pytest.mark.parametrize("n", [3, 30])
def test_the_section_costs_two_queries_whatever_the_history(two_homes, n, django_assert_num_queries):
    ours, _theirs, worker, _other = two_homes
    (plan,) = plans_for(ours, 1)
    for i in range(n):
        DeliveryFactory(
            plan=plan,
            delivered_at=at(datetime.date(2026, 10, 1) + datetime.timedelta(days=i)),
            delivered_by=worker,
        )
    staff = community_staff()
    elder = plan.elder
    with django_assert_num_queries(2):
        ctx = elder_section(viewer=staff, elder=elder)
    assert len(ctx["partners_deliveries"]) == min(n, 10)


# --- flagged plans and the ledger --------------------------------------------------------------------------


def test_flagged_plans_for_staff_all_and_for_partners_their_own(client, two_homes):
    from elders.services.partners import plans_check_missed

    ours, theirs, worker, _other = two_homes
    (mine,) = plans_for(ours, 1)
    (other,) = plans_for(theirs, 1)
    plans_check_missed(today=timezone.localdate())
    client.force_login(community_staff())
    assert {p.pk for p in client.get(reverse("elders:plans_flagged")).context["plans"]} == {mine.pk, other.pk}
    client.force_login(worker)
    assert [p.pk for p in client.get(reverse("elders:plans_flagged")).context["plans"]] == [mine.pk]


def _ledger_data(two_homes):
    ours, theirs, worker, other_worker = two_homes
    care = Service.objects.get(code="daily-care")
    a, b = plans_for(ours, 2)
    (c,) = plans_for(theirs, 1, service=care)
    nov = datetime.date(2026, 11, 3)
    for plan, who, days in ((a, worker, 3), (b, worker, 1), (c, other_worker, 2)):
        for d in range(days):
            DeliveryFactory(plan=plan, delivered_at=at(nov + datetime.timedelta(days=d)), delivered_by=who)
    DeliveryFactory(plan=a, delivered_at=at(datetime.date(2026, 10, 30)), delivered_by=worker)  # October


def test_the_ledger_counts_person_times_by_service_and_organisation(client, two_homes):
    _ledger_data(two_homes)
    client.force_login(community_staff())
    response = client.get(reverse("elders:ledger"), {"month": "2026-11"})
    rows = [
        (r["service__name"], r["organization__name"], r["times"], r["elders"])
        for r in response.context["rows"]
    ]
    assert rows == [("助餐送餐", "南通申丞小海护理院", 4, 2), ("生活照料", "另一家护理站", 2, 1)]
    assert response.context["totals"] == {"times": 6, "elders": 3}
    client.force_login(two_homes[2])
    rows = client.get(reverse("elders:ledger"), {"month": "2026-11"}).context["rows"]
    assert [r["organization__name"] for r in rows] == ["南通申丞小海护理院"]


def test_the_ledger_downloads_as_csv_and_excel(client, two_homes):
    from openpyxl import load_workbook

    _ledger_data(two_homes)
    client.force_login(community_staff())
    csv = client.get(reverse("elders:ledger"), {"month": "2026-11", "format": "csv"})
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "2026-11,助餐送餐,南通申丞小海护理院,4,2" in text.replace("\r", "")
    xlsx = client.get(reverse("elders:ledger"), {"month": "2026-11", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert [c.value for c in sheet[2]] == ["2026-11", "助餐送餐", "南通申丞小海护理院", 4, 2]


@pytest.mark.parametrize("month", ["2026-13", "abc", "0001-01", "9999-12", "2026-1" + "1" * 4000])
def test_a_bad_month_is_an_error_at_the_field(client, meals, month):
    client.force_login(community_staff())
    response = client.get(reverse("elders:ledger"), {"month": month})
    assert response.status_code == 400 and response.context["form"].errors["month"]


# --- query counts ------------------------------------------------------------------------------------------


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["elders:delivery_round", "elders:plans", "elders:plans_flagged"])
def test_pages_cost_the_same_queries_at_3_and_30_plans(client, two_homes, name):
    ours, _theirs, worker, _other = two_homes
    client.force_login(worker)
    counts = []
    for n in (3, 27):  # 3, then 30 plans
        plans_for(ours, n)
        ServicePlan.objects.update(missed_flagged_on=timezone.localdate(), missed_count=1)  # all flagged
        counts.append(_count_queries(client, reverse(name)))
    assert counts[0] == counts[1], counts


def test_the_staff_plans_list_costs_the_same_at_3_and_30_plans(client, two_homes):
    ours, theirs, _w, _o = two_homes
    client.force_login(community_staff())
    counts = []
    for n in (3, 27):
        plans_for(ours, n)
        plans_for(theirs, 1)
        counts.append(_count_queries(client, reverse("elders:plans")))
    assert counts[0] == counts[1], counts


# --- the admin ---------------------------------------------------------------------------------------------


def test_the_admin_lists_and_scopes_plans_and_deliveries(client, two_homes, admin_user):
    ours, theirs, worker, other_worker = two_homes
    (mine,) = plans_for(ours, 1)
    (other,) = plans_for(theirs, 1)
    DeliveryFactory(plan=mine, delivered_by=worker)
    DeliveryFactory(plan=other, delivered_by=other_worker)
    client.force_login(admin_user)
    for model in ("service", "serviceplan", "delivery"):
        assert client.get(reverse(f"admin:elders_{model}_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:elders_delivery_change", args=[Delivery.objects.first().pk])).status_code
        == 200
    )

    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from elders.models import Delivery as D

    request = RequestFactory().get("/")
    request.user = worker
    assert list(site._registry[D].get_queryset(request).values_list("organization_id", flat=True)) == [
        ours.pk
    ]
    assert list(site._registry[ServicePlan].get_queryset(request)) == [mine]
    assert not site._registry[D].has_change_permission(request)
