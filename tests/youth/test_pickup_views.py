"""Safe pickup, the pages: the staff tablet's day roster and sign-out page (only for staff running the
day-care: 404 otherwise), refusals shown in red with the page kept, the printable roster, children not
collected, and the guardian's day-by-day page (404 for another family's child). Query counts equal at
2 and 20 children."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import CheckIn, CheckOut
from portal.accounts.models import Role
from portal.community.models import AccessLog
from portal.notify.models import Message
from tests.accounts.factories import UserFactory
from tests.community.factories import OrganizationFactory
from youth.models import PickupAttempt
from youth.services.pickup import child_sign_out

from ._f_pickup import daycare_day, sign_in
from .factories import ChildFactory, PickupPersonFactory, at, book

pytestmark = pytest.mark.django_db


@pytest.fixture
def d(youth_data):
    return daycare_day()


@pytest.fixture(autouse=True)
def _english_pages(client):
    """The pages in English, so the assertions read the msgids (the Chinese is checked in the browser)."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _roster(d, **params):
    return reverse("youth:roster_session", args=[d.session.pk])


def test_roster_lists_todays_daycare_for_its_staff(client, d):
    client.force_login(d.staff)
    response = client.get(reverse("youth:roster"))
    assert response.status_code == 200
    assert "永兴暑托班" in response.content.decode()
    assert reverse("youth:roster_session", args=[d.session.pk]) in response.content.decode()


@pytest.mark.parametrize("who", ["resident", "partner_elsewhere"])
def test_staff_pages_are_404_for_anyone_else(client, d, who):
    user = (
        d.mum.user
        if who == "resident"
        else UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory())
    )
    client.force_login(user)
    for url in (
        reverse("youth:roster"),
        reverse("youth:roster_session", args=[d.session.pk]),
        reverse("youth:roster_print", args=[d.session.pk]),
        reverse("youth:sign_out", args=[d.session.pk, d.child.pk]),
        reverse("youth:not_collected"),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("youth:sign_in", args=[d.session.pk, d.child.pk])).status_code == 404
    assert not CheckIn.objects.exists()


def test_partner_staff_running_another_daycare_get_404_for_this_one(client, d):
    from tests.youth.factories import DaycareProgrammeFactory

    org = OrganizationFactory()
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=org)
    DaycareProgrammeFactory(organiser_org=org)
    from events.models import Activity

    Activity.objects.filter(daycare_week__programme__organiser_org=org).update(organiser_org=org)
    client.force_login(partner)
    assert client.get(reverse("youth:roster")).status_code == 200
    assert client.get(_roster(d)).status_code == 404
    assert client.get(reverse("youth:sign_out", args=[d.session.pk, d.child.pk])).status_code == 404


def test_day_roster_shows_children_with_allergies_and_logs_the_view(client, d):
    client.force_login(d.staff)
    response = client.get(_roster(d))
    body = response.content.decode()
    assert response.status_code == 200
    assert "张小明" in body and "花生" in body
    assert AccessLog.objects.filter(user=d.staff, person=d.child, reason="youth:roster_session").exists()


def test_sign_in_from_the_roster_keeps_its_filter_and_page(client, d):
    client.force_login(d.staff)
    url = reverse("youth:sign_in", args=[d.session.pk, d.child.pk])
    response = client.post(url, {"state": "waiting", "page": "1"})
    assert response.status_code == 302
    assert response["Location"] == _roster(d) + "?state=waiting&page=1"
    assert CheckIn.objects.get().registration.person == d.child
    response = client.post(url, {"state": "<script>"}, follow=True)
    assert "was already signed in at" in response.content.decode()
    assert CheckIn.objects.count() == 1


def test_roster_filter_by_state(client, youth_data):
    d = daycare_day(children=2)
    sign_in(d, d.kids[0])
    client.force_login(d.staff)
    here = client.get(_roster(d), {"state": "here"}).content.decode()
    waiting = client.get(_roster(d), {"state": "waiting"}).content.decode()
    assert "张小明" in here and "张小红" not in here
    assert "张小红" in waiting and "张小明" not in waiting
    assert client.get(_roster(d), {"state": "gone"}).status_code == 200
    assert client.get(_roster(d), {"state": "x" * 500, "page": "-1"}).status_code == 200


def test_sign_out_page_shows_her_collectors_with_grandmas_one_day_pass(client, d):
    sign_in(d)
    client.force_login(d.staff)
    response = client.get(reverse("youth:sign_out", args=[d.session.pk, d.child.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "王秀英" in body and "朱晓燕" in body and "Today only" in body
    assert f'value="pickup:{d.grandma.pk}"' in body and 'value="other"' in body


def test_sign_out_to_grandma_goes_back_to_the_roster(client, d):
    sign_in(d)
    client.force_login(d.staff)
    url = reverse("youth:sign_out", args=[d.session.pk, d.child.pk])
    response = client.post(url, {"collector": f"pickup:{d.grandma.pk}", "state": "here"}, follow=True)
    assert response.redirect_chain[-1][0] == _roster(d) + "?state=here"
    assert "signed out at" in response.content.decode()
    assert CheckOut.objects.get().released_to.startswith("王秀英")


def test_an_unlisted_person_is_refused_in_red_the_typed_name_kept_and_guardians_told(client, d):
    sign_in(d)
    client.force_login(d.staff)
    url = reverse("youth:sign_out", args=[d.session.pk, d.child.pk])
    response = client.post(url, {"collector": "other", "other_name": "李四", "other_relation": "舅舅"})
    body = response.content.decode()
    assert response.status_code == 409
    assert 'data-testid="refusal"' in body and "alert-danger" in body
    assert "This person is not on the list of people authorised to collect 张小明." in body
    assert 'value="李四"' in body and 'value="舅舅"' in body
    assert not CheckOut.objects.exists()
    assert PickupAttempt.objects.get().outcome == "refused"
    assert Message.objects.filter(key__startswith="youth.pickup_refused", person=d.mum).count() == 2


def test_someone_else_without_a_name_is_a_form_error_and_saves_nothing(client, d):
    sign_in(d)
    client.force_login(d.staff)
    url = reverse("youth:sign_out", args=[d.session.pk, d.child.pk])
    response = client.post(url, {"collector": "other", "other_name": ""})
    assert response.status_code == 400
    assert "Type the name of the person at the door." in response.content.decode()
    response = client.post(url, {"collector": "pickup:notanumber"})
    assert response.status_code == 400
    assert not PickupAttempt.objects.exists()


def test_signed_out_twice_and_without_sign_in_are_refused_on_the_page(client, d):
    client.force_login(d.staff)
    url = reverse("youth:sign_out", args=[d.session.pk, d.child.pk])
    response = client.post(url, {"collector": f"guardian:{d.mum.pk}"})
    assert response.status_code == 409 and "张小明 was not signed in today." in response.content.decode()
    sign_in(d)
    client.post(url, {"collector": f"guardian:{d.mum.pk}"})
    response = client.post(url, {"collector": f"pickup:{d.grandma.pk}"})
    assert response.status_code == 409 and "was already signed out at" in response.content.decode()
    assert CheckOut.objects.count() == 1 and PickupAttempt.objects.count() == 1


def test_a_child_not_on_this_roster_is_404(client, d):
    client.force_login(d.staff)
    other = ChildFactory()
    assert client.get(reverse("youth:sign_out", args=[d.session.pk, other.pk])).status_code == 404
    assert client.post(reverse("youth:sign_in", args=[d.session.pk, other.pk])).status_code == 404


def test_printable_roster_has_guardians_phones_and_collectors(client, d):
    client.force_login(d.staff)
    body = client.get(reverse("youth:roster_print", args=[d.session.pk])).content.decode()
    assert "张小明" in body and "花生" in body and "王秀英" in body
    assert str(d.mum.user.phone.as_e164) in body or str(d.mum.user.phone) in body


def test_not_collected_lists_children_still_in_after_the_days_end(client, d):
    sign_in(d)
    client.force_login(d.staff)
    assert "张小明" not in client.get(reverse("youth:not_collected")).content.decode()
    with time_machine.travel(at(timezone.localdate(), datetime.time(17, 45)), tick=False):
        body = client.get(reverse("youth:not_collected")).content.decode()
    assert "张小明" in body


def test_guardian_sees_the_day_and_who_collected_and_the_refusal(client, d):
    sign_in(d)
    from youth.services.pickup import PickupRefused

    with pytest.raises(PickupRefused):
        child_sign_out(staff=d.staff, session=d.session, child=d.child, collector=None, other_name="李四")
    child_sign_out(staff=d.staff, session=d.session, child=d.child, collector=f"pickup:{d.grandma.pk}")
    client.force_login(d.mum.user)
    body = client.get(reverse("youth:child_days", args=[d.child.pk])).content.decode()
    assert "王秀英" in body and "李四" in body and 'data-testid="day-refused"' in body


def test_another_familys_child_is_404_for_a_guardian(client, d):
    other = ChildFactory()
    client.force_login(d.mum.user)
    assert client.get(reverse("youth:child_days", args=[other.pk])).status_code == 404
    client.force_login(other.guardian_for_tests.user)
    assert client.get(reverse("youth:child_days", args=[d.child.pk])).status_code == 404


# --- the same number of queries at 2 and 20 children ---------------------------------------------------


def _more_children(d, n):
    kids = [ChildFactory(guardian=d.mum) for _ in range(n)]
    book(kids, d.week, by=d.mum.user)
    for kid in kids:
        PickupPersonFactory(child=kid, added_by=d.mum.user)
        sign_in(d, kid)
    return kids


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["youth:roster_session", "youth:roster_print"])
def test_roster_pages_cost_the_same_at_2_and_20_children(client, youth_data, page):
    d = daycare_day(children=2)
    sign_in(d)
    client.force_login(d.staff)
    url = reverse(page, args=[d.session.pk])
    _count(client, url)
    few = _count(client, url)
    _more_children(d, 18)
    assert _count(client, url) == few


def test_sign_out_page_costs_the_same_at_2_and_20_children(client, youth_data):
    d = daycare_day(children=2)
    sign_in(d)
    client.force_login(d.staff)
    url = reverse("youth:sign_out", args=[d.session.pk, d.child.pk])
    _count(client, url)
    few = _count(client, url)
    _more_children(d, 18)
    for _ in range(3):
        PickupPersonFactory(child=d.child, added_by=d.mum.user)
    assert _count(client, url) == few
