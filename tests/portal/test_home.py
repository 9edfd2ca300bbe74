"""The home page: the community's face, for visitors and for signed-in residents."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal import views
from tests.community.factories import OrganizationFactory, UserFactory


@pytest.mark.django_db
def test_visitor_sees_services_partners_contact_and_sign_up(client):
    OrganizationFactory(name="南通申丞小海护理院", description="送餐、生活照料")
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "南通申丞小海护理院" in html
    assert 'href="/accounts/signup/"' in html
    for key in ("elders", "youth", "events", "deliberation", "employment"):
        assert f'data-testid="service-{key}"' in html
    assert "tel:" not in html  # no committee phone configured: none is made up


@pytest.mark.django_db
def test_the_committee_phone_comes_from_settings(client, settings):
    settings.COMMUNITY_PHONE = "0513-8359 1234"
    html = client.get("/").content.decode()
    assert 'href="tel:0513-83591234"' in html


@pytest.mark.django_db
def test_a_built_area_links_to_its_page_and_an_unbuilt_one_is_marked_coming(client, monkeypatch):
    built = {"key": "built", "icon": "bi-star", "title": "Built", "text": "t", "urls": ("nope:index", "home")}
    unbuilt = {"key": "unbuilt", "icon": "bi-star", "title": "Unbuilt", "text": "t", "urls": ("nope:index",)}
    monkeypatch.setattr(views, "HOME_SERVICE_AREAS", (built, unbuilt))
    response = client.get("/", headers={"accept-language": "en"})
    areas = {area["key"]: area["url"] for area in response.context["areas"]}
    assert areas == {"built": "/", "unbuilt": None}
    html = response.content.decode()
    built_tile = html.split('data-testid="service-built"')[1].split('data-testid="service-unbuilt"')[0]
    unbuilt_tile = html.split('data-testid="service-unbuilt"')[1]
    assert 'href="/"' in built_tile and "Coming soon" not in built_tile
    assert "Coming soon" in unbuilt_tile


@pytest.mark.django_db
def test_signed_in_resident_gets_quick_links_to_family_and_messages(client):
    client.force_login(UserFactory())
    html = client.get("/").content.decode()
    assert 'href="/community/family/"' in html
    assert 'href="/inbox/"' in html
    assert 'href="/accounts/signup/"' not in html


@pytest.mark.django_db
def test_home_costs_the_same_queries_with_many_partners(client):
    OrganizationFactory()
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    OrganizationFactory.create_batch(30)
    with CaptureQueriesContext(connection) as many:
        client.get("/")
    assert len(many) == len(few)


@pytest.mark.django_db
def test_partners_are_listed_nursing_home_first_and_inactive_ones_hidden(client):
    from portal.community.models import OrganizationKind

    OrganizationFactory(name="星湖101烘焙坊", kind=OrganizationKind.EMPLOYER)
    OrganizationFactory(name="南通申丞小海护理院", kind=OrganizationKind.NURSING_HOME)
    OrganizationFactory(name="已停止合作的单位", kind=OrganizationKind.SCHOOL, is_active=False)
    names = [org.name for org in client.get("/").context["partners"]]
    assert names == ["南通申丞小海护理院", "星湖101烘焙坊"]


# --- the elder home (长辈版, issue 9): a few large tiles of what elders do most ---------------------------


def _elder_home(client, **headers):
    from django.conf import settings as django_settings

    client.cookies[django_settings.ELDER_MODE_COOKIE] = "1"
    return client.get("/", headers={"accept-language": "en", **headers})


def _tile_hrefs(html: str) -> dict[str, str]:
    import re

    return dict(
        (testid, href)
        for href, testid in re.findall(
            r'class="elder-tile" href="([^"]*)" data-testid="elder-tile-([a-z-]+)"', html
        )
    )


@pytest.mark.django_db
def test_elder_home_signed_in_is_tiles_of_bookings_activities_messages_family_and_a_call(client, settings):
    from tests.notify.factories import InboxMessageFactory

    settings.COMMUNITY_PHONE = "0513-8359 1234"
    user = UserFactory()
    InboxMessageFactory.create_batch(2, user=user)
    client.force_login(user)
    response = _elder_home(client)
    html = response.content.decode()
    assert _tile_hrefs(html) == {
        "bookings": "/activities/mine/",
        "activities": "/activities/?audience=elders",
        "messages": "/inbox/",
        "family": "/community/family/",
        "call": "tel:0513-83591234",
    }
    assert "2 unread" in html
    assert html.count("<h1") == 1
    # Simpler, not only bigger: no service areas, no partners.
    assert 'data-testid="service-' not in html
    assert "areas" not in response.context and "partners" not in response.context


@pytest.mark.django_db
def test_elder_home_signed_out_offers_sign_in_sign_up_activities_and_no_call_without_a_phone(
    client, settings
):
    settings.COMMUNITY_PHONE = ""
    html = _elder_home(client).content.decode()
    assert _tile_hrefs(html) == {
        "sign-in": "/accounts/login/",
        "sign-up": "/accounts/signup/",
        "activities": "/activities/?audience=elders",
    }
    assert "tel:" not in html


@pytest.mark.django_db
def test_standard_home_has_no_elder_tiles(client):
    html = client.get("/").content.decode()
    assert "elder-tiles" not in html
    assert 'data-testid="service-events"' in html


@pytest.mark.django_db
def test_the_elder_switch_and_a_labelled_menu_toggle_are_outside_the_collapsed_menu(client):
    """Found at once: the 长辈版 switch sits in the top bar, not inside #mainNav; the toggle says "Menu"."""
    html = client.get("/", headers={"accept-language": "en"}).content.decode()
    topbar, rest = html.split('class="portal-topbar"')[1].split('id="mainNav"', 1)
    assert 'data-testid="elder-mode-toggle"' in topbar and "Elder mode" in topbar
    assert 'data-testid="elder-mode-toggle"' not in rest
    assert '<span class="navbar-toggler-label">Menu</span>' in html
    # Without JavaScript: a plain POST form to the elder-mode view.
    assert '<form action="/elder-mode/" method="post"' in topbar
