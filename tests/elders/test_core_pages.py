"""The elder list and the elder page: who sees whom (404 outside her scope), the filters, the residents'
page, the home card, and the query counts (constant in the number of elders)."""

import datetime

import pytest
from django.urls import reverse

from elders.models import ElderProfile, LivingSituation, RiskLevel
from elders.services.risk import elder_risk_refresh
from portal.accounts.models import Role
from portal.community.models import AdlLevel
from tests.accounts.factories import UserFactory
from tests.community.factories import BuildingFactory, GridFactory, HouseholdFactory, OrganizationFactory
from tests.elders._f_core import (
    ElderFactory,
    ElderProfileFactory,
    daughter_for,
    grid_worker,
    staff_user,
    with_sensitive,
)
from tests.elders.factories import ContactPlanFactory

pytestmark = pytest.mark.django_db


def _in_grid(grid, **kwargs):
    return ElderFactory(household=HouseholdFactory(building=BuildingFactory(grid=grid)), **kwargs)


def _names(response) -> str:
    return " ".join(response.context["rows"][i].person.name for i in range(len(response.context["rows"])))


# --- scope --------------------------------------------------------------------------------------------


def test_a_volunteer_sees_only_the_elders_she_is_paired_with(client):
    volunteer = UserFactory(role=Role.VOLUNTEER, name="李欣怡")
    mine = ElderProfileFactory(person=ElderFactory(name="王桂英"), helper=volunteer).person
    called = ElderFactory(name="张玉兰")
    ContactPlanFactory(elder=called, assigned_to=volunteer)
    other = ElderFactory(name="刘淑珍")
    client.force_login(volunteer)
    response = client.get(reverse("elders:index"))
    assert response.status_code == 200
    assert "我结对的老人" in response.content.decode()
    assert set(_names(response).split()) == {"王桂英", "张玉兰"}
    assert client.get(reverse("elders:elder", args=[mine.pk])).status_code == 200
    assert client.get(reverse("elders:elder", args=[other.pk])).status_code == 404
    # and she edits nothing
    assert client.get(reverse("elders:profile_edit", args=[mine.pk])).status_code == 404
    assert client.get(reverse("elders:risk_override", args=[mine.pk])).status_code == 404
    assert client.get(reverse("elders:desk_consent", args=[mine.pk])).status_code == 404


def test_partner_staff_see_their_organisations_clients_only(client):
    home, other_home = OrganizationFactory(name="南通申丞小海护理院"), OrganizationFactory(name="别家护理院")
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=home, name="顾春梅")
    client_elder, not_ours = ElderFactory(name="陈秀兰"), ElderFactory(name="赵凤英")
    client_elder.served_by.add(home)
    not_ours.served_by.add(other_home)
    client.force_login(partner)
    response = client.get(reverse("elders:index"))
    assert _names(response) == "陈秀兰"
    assert client.get(reverse("elders:elder", args=[client_elder.pk])).status_code == 200
    assert client.get(reverse("elders:elder", args=[not_ours.pk])).status_code == 404  # URL edited by hand
    assert client.get(reverse("elders:profile_edit", args=[client_elder.pk])).status_code == 404


def test_a_grid_worker_sees_and_edits_her_grid_only(client):
    first, second = GridFactory(name="第一网格"), GridFactory(name="第二网格")
    worker = grid_worker(first)
    ours, theirs = _in_grid(first, name="孙美华"), _in_grid(second, name="周桂芳")
    client.force_login(worker)
    assert _names(client.get(reverse("elders:index"))) == "孙美华"
    assert client.get(reverse("elders:elder", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("elders:profile_edit", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("elders:profile_edit", args=[ours.pk])).status_code == 200
    assert client.get(reverse("elders:desk_consent", args=[ours.pk])).status_code == 200
    assert client.get(reverse("elders:risk_override", args=[ours.pk])).status_code == 404  # staff only
    assert client.get(reverse("elders:care_edit", args=[ours.pk])).status_code == 404  # staff only


def test_a_resident_gets_the_services_and_the_mother_she_acts_for(client):
    mother = ElderFactory(name="朱桂兰")
    ElderFactory(name="别人家的老人")
    user, _daughter = daughter_for(mother)
    client.force_login(user)
    response = client.get(reverse("elders:index"))
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("elders:elder", args=[mother.pk]) in html and "别人家的老人" not in html
    assert reverse("events:list") + "?audience=elders" in html  # the area's services
    page = client.get(reverse("elders:elder", args=[mother.pk]))
    assert page.status_code == 200
    family = page.content.decode()
    assert "老人没有手机和账号" in family and "朱晓燕" in family and "代她接收通知" in family
    assert reverse("elders:profile_edit", args=[mother.pk]) not in family  # she reads, staff edit


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("elders:index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_home_card_leads_into_the_area(client):
    client.force_login(staff_user())
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("elders:index")}"' in home
    assert client.get(reverse("elders:index")).status_code == 200


def test_the_nav_link_shows_for_staff_and_volunteers_not_residents(client):
    client.force_login(UserFactory(role=Role.VOLUNTEER))
    assert 'data-testid="nav-elders"' in client.get(reverse("home")).content.decode()
    client.force_login(UserFactory(role=Role.RESIDENT))
    assert 'data-testid="nav-elders"' not in client.get(reverse("home")).content.decode()


def test_the_workbench_links_an_elder_to_her_page(client):
    elder = ElderFactory()
    client.force_login(staff_user())
    html = client.get(reverse("community:workbench_person", args=[elder.pk])).content.decode()
    assert reverse("elders:elder", args=[elder.pk]) in html


# --- the list -----------------------------------------------------------------------------------------


def test_columns_and_filters(client):
    grid = GridFactory(name="第三网格")
    nonagenarian = _in_grid(grid, name="钱秀珍", birth_date=datetime.date(1934, 5, 1))
    alone = ElderProfileFactory(
        person=ElderFactory(name="吴玉珍"), living_situation=LivingSituation.ALONE
    ).person
    widowed = ElderProfileFactory(
        person=ElderFactory(name="郑桂香", birth_date=datetime.date(1955, 2, 1)),
        living_situation=LivingSituation.FAMILY,
        childless_widowed=True,
    ).person
    young_old = ElderFactory(name="冯丽华", birth_date=datetime.date(1962, 1, 1))
    elder_risk_refresh()
    client.force_login(staff_user())
    url = reverse("elders:index")
    response = client.get(url)
    html = response.content.decode()
    assert "92" in html and "90+" in html and "高龄" in html and "独居" in html and "孤寡" in html
    assert _names(client.get(url, {"band": "90"})) == "钱秀珍"
    assert _names(client.get(url, {"band": "60"})) == "冯丽华"
    assert _names(client.get(url, {"group": "widowed"})) == "郑桂香"
    assert _names(client.get(url, {"group": "alone"})) == "吴玉珍"
    assert set(_names(client.get(url, {"risk": "high"})).split()) == {"钱秀珍", "吴玉珍", "郑桂香"}
    assert _names(client.get(url, {"risk": "low"})) == "冯丽华"
    assert _names(client.get(url, {"grid": grid.pk})) == "钱秀珍"
    assert _names(client.get(url, {"q": "wuyu"})) == "吴玉珍"  # pinyin
    assert _names(client.get(url, {"q": "吴"})) == "吴玉珍"
    # An invalid filter is shown as an error and not applied: never a 500.
    bad = client.get(url, {"band": "999", "risk": "x" * 500, "grid": "-1"})
    assert bad.status_code == 200 and len(bad.context["rows"]) == 4
    assert {nonagenarian.pk, alone.pk, widowed.pk, young_old.pk} == {r.person.pk for r in bad.context["rows"]}


def test_sensitive_groups_are_shown_and_logged_for_staff_hidden_for_a_volunteer(client):
    from portal.community.models import AccessLog

    volunteer = UserFactory(role=Role.VOLUNTEER)
    elder = ElderProfileFactory(
        person=ElderFactory(name="何秀英"), helper=volunteer, living_situation=LivingSituation.FAMILY
    ).person
    with_sensitive(elder, adl_level=AdlLevel.SEVERE, disability="肢体残疾", receives_dibao=True)
    assert ElderProfile.objects.get(person=elder).risk_level == RiskLevel.HIGH
    staff = staff_user()
    client.force_login(staff)
    html = client.get(reverse("elders:index")).content.decode()
    assert "失能（重度）" in html and "残疾" in html and "低保" in html
    assert AccessLog.objects.filter(user=staff, person=elder, reason="elders:index").count() == 1
    # the filter by a sensitive group is there for staff
    assert _names(client.get(reverse("elders:index"), {"group": "adl"})) == "何秀英"

    client.force_login(volunteer)
    html = client.get(reverse("elders:index")).content.decode()
    assert "何秀英" in html and "有特殊照护需要" in html
    assert "失能" not in html and "低保" not in html and "残疾" not in html
    assert not AccessLog.objects.filter(user=volunteer).exists()
    assert _names(client.get(reverse("elders:index"), {"group": "adl"})) == "何秀英"  # not offered: ignored
    page = client.get(reverse("elders:elder", args=[elder.pk])).content.decode()
    assert "有特殊照护需要" in page and "失能" not in page and "低保" not in page
    assert not AccessLog.objects.filter(user=volunteer).exists()


@pytest.mark.parametrize("who", ["staff", "grid_worker"])
def test_the_list_costs_the_same_queries_for_3_and_30_elders(client, who):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    grid = GridFactory()
    staff = staff_user()
    client.force_login(staff if who == "staff" else grid_worker(grid))

    def make(n):
        for i in range(n):
            elder = ElderProfileFactory(person=_in_grid(grid), living_situation=LivingSituation.ALONE).person
            if i % 3 == 0:
                with_sensitive(elder, staff=staff, adl_level=AdlLevel.MILD)
        elder_risk_refresh()

    counts = []
    for n in (3, 27):
        make(n)
        client.get(reverse("elders:index"))  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("elders:index"), {"risk": "medium"})
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_elder_page_costs_the_same_queries_whatever_her_family(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff = staff_user()
    client.force_login(staff)
    counts = []
    for n in (1, 6):
        elder = ElderProfileFactory(person=ElderFactory(), helper=UserFactory(role=Role.VOLUNTEER)).person
        for i in range(n):
            daughter_for(elder, name=f"家属{i}")
        with_sensitive(elder, staff=staff, adl_level=AdlLevel.MILD)
        client.get(reverse("elders:elder", args=[elder.pk]))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("elders:elder", args=[elder.pk])).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


# --- the list's count and rows (issue 13) -------------------------------------------------------------


def test_the_list_count_and_rows_keep_the_elder_predicate(client):
    """ "N elders" is counted in two parts (by age, then the younger ones with a profile) and the rows probe
    the profile row by row: both give exactly the elders of ``elders_visible_to``, with any filter."""
    from elders.selectors import profiles as selectors
    from elders.selectors.access import elders_visible_to
    from tests.community.factories import PersonFactory

    grid = GridFactory()
    staff, worker = staff_user(), grid_worker(grid)
    volunteer = UserFactory(role=Role.VOLUNTEER)
    old = [_in_grid(grid, birth_date=datetime.date(1930 + i, 1, 1)) for i in range(5)]  # 60+, no profile
    ElderProfileFactory(person=old[0], helper=volunteer)
    young_on_roster = _in_grid(grid, birth_date=datetime.date(1970, 1, 1))
    ElderProfileFactory(person=young_on_roster, helper=volunteer)
    unknown_age = _in_grid(grid, birth_date=None)
    ElderProfileFactory(person=unknown_age)
    _in_grid(grid, birth_date=None)  # no age, no profile: not an elder
    _in_grid(grid, birth_date=datetime.date(1970, 1, 1))  # 56, no profile: not an elder
    gone = _in_grid(grid, birth_date=datetime.date(1935, 1, 1), is_active=False)
    ElderProfileFactory(person=gone)
    ElderFactory()  # another grid: not the grid worker's
    PersonFactory(birth_date=datetime.date(1990, 1, 1))
    filters = [{}, {"band": 90}, {"band": 60}, {"group": "aged"}, {"q": old[1].name}, {"grid": grid}]
    for viewer, assigned in ((staff, False), (worker, False), (volunteer, True)):
        for chosen in filters:
            kwargs = {"viewer": viewer, "assigned_only": assigned, **chosen}
            rows = selectors.elders_for_list(**kwargs)
            expected = elders_visible_to(viewer=viewer).filter(pk__in=rows.values("pk"))
            assert selectors.count_for_list(**kwargs) == len(list(rows)) == rows.count(), (viewer, chosen)
            assert set(rows.values_list("pk", flat=True)) == set(expected.values_list("pk", flat=True))
        everyone = {p.pk for p in selectors.elders_for_list(viewer=viewer, assigned_only=assigned)}
        assert everyone == set(
            elders_visible_to(viewer=viewer)
            .filter(**({"pk__in": [old[0].pk, young_on_roster.pk]} if assigned else {}))
            .values_list("pk", flat=True)
        )
    assert (
        selectors.count_for_list(viewer=staff) == 8
    )  # five old, the 56-year-old and the ageless on the roster
    assert selectors.count_for_list(viewer=volunteer, assigned_only=True) == 2
    client.force_login(staff)
    assert client.get(reverse("elders:index")).context["page"].paginator.count == 8


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_list_rows_built_in_python_are_the_templates_markup(client, language):
    """elders.views.core._list_rows_html writes what _rows.html's loop writes (the residents' page still
    renders the loop), whitespace between tags aside: groups, sensitive groups, a level set by staff with
    its reasons, no address, no birth date, a name to escape."""
    import re

    from django.template.loader import render_to_string
    from django.utils import translation

    staff = staff_user()
    grid = GridFactory()
    aged = _in_grid(grid, name="王<秀>英", birth_date=datetime.date(1935, 1, 1), lives_alone=True)
    ElderProfileFactory(
        person=aged, childless_widowed=True, risk_override=RiskLevel.HIGH, risk_override_reason="独居"
    )
    with_sensitive(aged, staff=staff, disability="肢体", receives_dibao=True, adl_level=AdlLevel.SEVERE)
    ElderFactory(household=None, birth_date=None)
    ElderProfileFactory(person=ElderFactory(household=None, birth_date=None))
    ElderFactory(birth_date=datetime.date(1960, 2, 1))
    client.force_login(staff)
    response = client.get(reverse("elders:index"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) >= 3 and any(r.groups for r in rows) and any(r.overridden for r in rows)

    def norm(html):
        return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()

    with translation.override(translation.get_language_from_request(response.wsgi_request)):
        loop = render_to_string("elders/core/_rows.html", {"rows": rows, "heading_id": "h"})
        built = render_to_string(
            "elders/core/_rows.html",
            {"rows": rows, "rows_html": response.context["rows_html"], "heading_id": "h"},
        )
    assert norm(built) == norm(loop)
    assert norm(response.context["rows_html"]) in norm(response.content.decode())


def test_the_elder_page_reads_her_family_once_and_her_plan_and_consent_with_her(client):
    """Issue 13: her account, contact plan and health consent come with her; her notices' recipients and
    whether the viewer acts for her from the family rows: 14 queries for a staff member where it was 19 (her
    account, the acting relations again, the viewer's own record, the consent and the plan, each apart); on
    PostgreSQL 13, her sensitive profile's access-log row and read being one statement there."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff = staff_user()
    client.force_login(staff)
    elder = ElderProfileFactory(person=ElderFactory(), helper=UserFactory(role=Role.VOLUNTEER)).person
    ContactPlanFactory(elder=elder)
    daughter_for(elder, name="家属")
    with_sensitive(elder, staff=staff, adl_level=AdlLevel.MILD)
    url = reverse("elders:elder", args=[elder.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["health_consent"] is True
    assert [m.person.name for m in response.context["family"]] == ["家属"]
    assert response.context["family"][0].receives_notices
    assert response.context["outreach"]["plan"].elder_id == elder.pk
    assert not response.context["acts_for"] and not response.context["is_me"]
    expected = 13 if connection.vendor == "postgresql" else 14
    assert len(ctx.captured_queries) == expected, [q["sql"][:80] for q in ctx.captured_queries]
