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
