"""portal/reports: the staff dashboard, its period form, who may see it, and how it finds the figures."""

import datetime
import types

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from events.models import Area, CapacityUnit
from events.services import booking_create_on_behalf, checkin_ticket
from portal.accounts.models import Role
from portal.reports import registry
from portal.reports.forms import this_month
from tests.community.factories import HouseholdFactory, OrganizationFactory, PersonFactory, UserFactory
from tests.events.conftest import ensure_message_templates
from tests.events.factories import ActivityFactory, SessionFactory

URL = "/reports/"


@pytest.fixture
def scene(db):
    """A family marathon tomorrow: two families from grid A and one from grid B came."""
    ensure_message_templates()
    staff = UserFactory(role=Role.COMMUNITY_STAFF, name="陈善惠")
    home_a, home_b = HouseholdFactory(), HouseholdFactory()
    grid_a, grid_b = home_a.building.grid, home_b.building.grid
    activity = ActivityFactory(organiser_user=staff, capacity_unit=CapacityUnit.FAMILY, area=Area.COMMUNITY)
    session = SessionFactory(activity=activity, capacity=300)
    families = [[PersonFactory(household=home_a), PersonFactory(household=home_a)] for _ in range(2)]
    families.append(
        [PersonFactory(household=home_b), PersonFactory(household=home_b), PersonFactory(household=home_b)]
    )
    for persons in families:
        booking = booking_create_on_behalf(staff=staff, activity=activity, session=session, persons=persons)
        checkin_ticket(actor=staff, session=session, token=booking.token)
    day = session.local_date
    return types.SimpleNamespace(
        staff=staff,
        grid_a=grid_a,
        grid_b=grid_b,
        day=day,
        query={"start": day.isoformat(), "end": day.isoformat()},
        worker=UserFactory(role=Role.GRID_WORKER, grid=grid_a, name="周敏"),
    )


def _attendance(response, area=""):
    for group in response.context["groups"]:
        if group.area == area:
            return {f.key: f.value for f in group.figures}["events.attendance"]
    return None


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.VOLUNTEER, Role.PARTNER_STAFF])
def test_residents_volunteers_and_partners_may_not_see_it(client, db, role):
    extra = {"organization": OrganizationFactory()} if role == Role.PARTNER_STAFF else {}
    client.force_login(UserFactory(role=role, **extra))
    assert client.get(URL).status_code == 403


def test_staff_see_every_grid_and_may_choose_one(client, scene):
    client.force_login(scene.staff)
    response = client.get(URL, scene.query)
    assert response.status_code == 200
    assert _attendance(response) == 7 and _attendance(response, Area.COMMUNITY) == 7
    html = response.content.decode()
    assert html.count("<h1") == 1 and 'name="grid"' in html
    response = client.get(URL, {**scene.query, "grid": scene.grid_b.pk})
    assert _attendance(response) == 3
    assert response.context["grid"] == scene.grid_b


def test_a_grid_worker_sees_her_grid_only_whatever_she_asks(client, scene):
    client.force_login(scene.worker)
    response = client.get(URL, {**scene.query, "grid": scene.grid_b.pk})
    assert response.status_code == 200
    assert response.context["grid"] == scene.grid_a
    assert _attendance(response) == 4
    assert 'name="grid"' not in response.content.decode()


def test_the_default_period_is_this_month(client, scene):
    client.force_login(scene.staff)
    response = client.get(URL)
    assert response.status_code == 200
    start, end = this_month()
    assert (response.context["start"], response.context["end"]) == (start, end)
    assert start.day == 1 and (end + datetime.timedelta(days=1)).day == 1
    with translation.override("zh-hans"):
        expected = gettext("Figures from %(start)s to %(end)s") % {
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
    assert expected in response.content.decode()


def test_from_after_to_is_an_error_next_to_the_field(client, scene):
    client.force_login(scene.staff)
    response = client.get(URL, {"start": "2026-05-10", "end": "2026-05-01"})
    assert response.status_code == 200
    form = response.context["form"]
    with translation.override("zh-hans"):
        message = gettext("The end of the period cannot come before its start.")
    assert form.errors["end"] == [message]
    assert response.context["groups"] == []
    html = response.content.decode()
    assert 'id="error_1_id_end"' in html or "invalid-feedback" in html


@pytest.mark.parametrize(
    "query, field",
    [
        ({"start": "2026-02-30"}, "start"),
        ({"end": "not a date"}, "end"),
        ({"start": "2024-01-01", "end": "2026-01-01"}, "end"),
    ],
)
def test_bad_dates_are_errors_at_the_field_not_a_crash(client, scene, query, field):
    client.force_login(scene.staff)
    response = client.get(URL, query)
    assert response.status_code == 200
    assert field in response.context["form"].errors


def test_an_unknown_grid_is_an_error_not_a_crash(client, scene):
    client.force_login(scene.staff)
    response = client.get(URL, {"grid": "999999"})
    assert response.status_code == 200 and "grid" in response.context["form"].errors


def test_the_navbar_links_staff_and_grid_workers_to_the_dashboard(client, scene):
    client.force_login(scene.worker)
    assert f'href="{reverse("reports:dashboard")}"' in client.get("/").content.decode()
    client.force_login(UserFactory(role=Role.RESIDENT))
    assert f'href="{reverse("reports:dashboard")}"' not in client.get("/").content.decode()


def test_discovery_finds_each_installed_apps_stats_module(db):
    from events import stats

    providers = registry.discover(refresh=True)
    assert providers["events"] is stats.figures
    assert "reports" not in providers  # the registry itself is not a provider


def test_a_stats_module_without_figures_is_left_out_and_a_new_one_is_picked_up(db, monkeypatch):
    real_import = registry.import_module
    fake = types.SimpleNamespace(
        figures=lambda **kw: [registry.Figure(key="x.one", label="One", value=1, area="x", area_label="X")]
    )
    modules = {"events.stats": fake, "portal.volunteers.stats": types.SimpleNamespace(other=1)}

    def fake_import(name):
        return modules.get(name) or real_import(name)

    monkeypatch.setattr(registry, "import_module", fake_import)
    monkeypatch.setattr(
        registry,
        "module_has_submodule",
        lambda module, name: module.__name__ in {"events", "portal.volunteers"},
    )
    try:
        providers = registry.discover(refresh=True)
        assert list(providers) == ["events"] and providers["events"] is fake.figures
        figures = registry.figures_for(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31))
        groups = registry.grouped_by_area(figures)
        assert [g.area for g in groups] == ["x"] and groups[0].figures[0].value == 1
    finally:
        monkeypatch.undo()
        registry.discover(refresh=True)


def test_grouping_puts_the_whole_community_first_and_orders_figures():
    F = registry.Figure
    groups = registry.grouped_by_area(
        [
            F(key="b", label="b", value=1, area="elders", order=2),
            F(key="a", label="a", value=1, area="elders", order=1),
            F(key="t", label="t", value=2, area=""),
        ]
    )
    assert [g.area for g in groups] == ["", "elders"]
    assert [f.key for f in groups[1].figures] == ["a", "b"]
