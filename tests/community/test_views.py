"""The pages: residents' family pages, the staff workbench, the privacy notice."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.community import services
from portal.community.models import AccessLog, ClaimStatus, Consent, HouseholdClaim, Person, SensitiveProfile
from tests.community.conftest import years_ago
from tests.community.factories import SensitiveProfileFactory
from tests.community.test_search import bulk_people


def html(response) -> str:
    return response.content.decode()


# --- residents ------------------------------------------------------------------------------------


def test_my_family_page(world, client):
    client.force_login(world.mum_user)
    response = client.get(reverse("community:my_family"))
    assert response.status_code == 200
    page = html(response)
    for name in ("张小明", "李秀英", "张伟"):
        assert name in page
    assert "赵敏" not in page and "张三" not in page
    family = response.context["family"]
    assert [p.name for p in family.members] == ["张伟"]  # her son is listed once, among her dependents
    assert {p.name for p in family.dependents} == {"张小明", "李秀英"}


def test_my_family_offers_a_user_without_a_record_to_start_one(world, client):
    client.force_login(world.other_resident_user)
    response = client.get(reverse("community:my_family"))
    assert response.status_code == 200
    assert 'data-testid="my-record-create"' in html(response)
    assert not Person.objects.filter(user=world.other_resident_user).exists()  # a GET writes nothing
    assert client.get(reverse("community:my_record_create")).status_code == 405
    response = client.post(reverse("community:my_record_create"))
    assert response.status_code == 302
    assert Person.objects.filter(user=world.other_resident_user).exists()


def test_my_family_needs_sign_in(client, db):
    response = client.get(reverse("community:my_family"))
    assert response.status_code == 302


def test_family_page_costs_the_same_at_10_and_1000_people(world, client, django_assert_num_queries):
    client.force_login(world.mum_user)
    url = reverse("community:my_family")
    services.consent_grant(actor=world.mum_user, person=world.granny, purpose="services")
    bulk_people(10, name="路人")
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    at_10 = len(ctx.captured_queries)
    bulk_people(990, name="路人", household=world.home)  # even in her own household
    bulk_people(1000, name="路人")
    with django_assert_num_queries(at_10):
        client.get(url)


def test_claim_household_form(world, client):
    client.force_login(world.other_resident_user)
    url = reverse("community:claim_household")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"estate": world.estate2.pk, "building_number": "7", "unit": "2", "room": "301"}
    )
    assert response.status_code == 302
    assert HouseholdClaim.objects.get().status == ClaimStatus.PENDING
    assert 'data-testid="pending-claim"' in html(client.get(reverse("community:my_family")))


def test_claim_for_unknown_room_shows_field_error(world, client):
    client.force_login(world.other_resident_user)
    response = client.post(
        reverse("community:claim_household"),
        {"estate": world.estate2.pk, "building_number": "7", "unit": "2", "room": "999"},
    )
    assert response.status_code == 200
    assert "room" in response.context["form"].errors
    assert not HouseholdClaim.objects.exists()


def test_add_dependent_form(world, client):
    client.force_login(world.mum_user)
    url = reverse("community:dependent_add")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"kind": "child", "name": "张小花", "birth_date": years_ago(6).isoformat(), "minor_consent": "on"},
    )
    assert response.status_code == 302
    child = Person.objects.get(name="张小花")
    assert Consent.objects.filter(person=child, purpose="minor", given_as_guardian=True).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "child", "name": "甲", "birth_date": "2999-01-01", "minor_consent": "on"}, "birth_date"),
        ({"kind": "child", "name": "乙", "birth_date": "1990-01-01"}, "birth_date"),
        ({"kind": "child", "name": "丙", "birth_date": "not a date"}, "birth_date"),
        ({"kind": "child", "name": "丁"}, "birth_date"),
        ({"kind": "parent", "name": "戊", "birth_date": "1950-01-01", "phone": "123"}, "phone"),
    ],
)
def test_add_dependent_bad_input(world, client, data, field):
    client.force_login(world.mum_user)
    response = client.post(reverse("community:dependent_add"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Person.objects.filter(name=data["name"]).exists()


def test_add_young_child_without_consent_shows_error(world, client):
    client.force_login(world.mum_user)
    response = client.post(
        reverse("community:dependent_add"),
        {"kind": "child", "name": "小小", "birth_date": years_ago(3).isoformat()},
    )
    assert "minor_consent" in response.context["form"].errors
    assert "is-invalid" in html(response)


def test_edit_dependent(world, client):
    client.force_login(world.mum_user)
    url = reverse("community:person_edit", args=[world.granny.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "李秀英", "gender": "F", "birth_date": "1944-04-04", "phone": ""})
    assert response.status_code == 302
    world.granny.refresh_from_db()
    assert world.granny.birth_date == datetime.date(1944, 4, 4)


@pytest.mark.parametrize("who", ["husband", "neighbour", "stranger"])
def test_resident_pages_404_for_people_she_does_not_act_for(world, client, who):
    client.force_login(world.mum_user)
    pk = getattr(world, who).pk
    for name in ("person_edit", "consents", "emergency_contacts", "sensitive_edit"):
        assert client.get(reverse(f"community:{name}", args=[pk])).status_code == 404
    assert (
        client.post(
            reverse("community:consents", args=[pk]), {"purpose": "health", "action": "grant"}
        ).status_code
        == 404
    )
    assert not Consent.objects.exists()
    assert not AccessLog.objects.exists()


def test_consents_page_grant_and_withdraw(world, client):
    client.force_login(world.mum_user)
    url = reverse("community:consents", args=[world.mum.pk])
    page = html(client.get(url))
    assert settings.PRIVACY_NOTICE_VERSION in page
    client.post(url, {"purpose": "photos", "action": "grant"})
    consent = Consent.objects.get(person=world.mum, purpose="photos")
    assert consent.withdrawn_at is None
    client.post(url, {"purpose": "photos", "action": "withdraw"})
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    # junk input: a message, nothing saved, no 500
    response = client.post(url, {"purpose": "everything", "action": "grant"})
    assert response.status_code == 302
    assert Consent.objects.count() == 1


def test_emergency_contacts_page(world, client):
    client.force_login(world.mum_user)
    url = reverse("community:emergency_contacts", args=[world.granny.pk])
    response = client.post(
        url, {"name": "朱晓燕", "phone": "13912345678", "relationship": "女儿", "priority": 1}
    )
    assert response.status_code == 302
    contact = world.granny.emergency_contacts.get()
    assert "朱晓燕" in html(client.get(url))
    response = client.post(url, {"name": "", "phone": "x", "priority": 1})
    assert {"name", "phone"} <= set(response.context["form"].errors)
    client.post(reverse("community:emergency_contact_delete", args=[world.granny.pk, contact.pk]))
    assert not world.granny.emergency_contacts.exists()


def test_health_page_is_logged_and_needs_consent(world, client):
    client.force_login(world.mum_user)
    url = reverse("community:sensitive_edit", args=[world.granny.pk])
    response = client.get(url)
    assert response.status_code == 200 and "form" in response.context
    assert AccessLog.objects.filter(user=world.mum_user, person=world.granny, reason="family").count() == 1
    response = client.post(url, {"health_conditions": "高血压"})
    assert response.status_code == 200  # no consent yet: an error, nothing saved
    assert response.context["form"].non_field_errors()
    assert not SensitiveProfile.objects.filter(person=world.granny).exists()
    services.consent_grant(actor=world.mum_user, person=world.granny, purpose="health")
    assert client.post(url, {"health_conditions": "高血压"}).status_code == 302
    assert SensitiveProfile.objects.get(person=world.granny).health_conditions == "高血压"


# --- staff workbench ------------------------------------------------------------------------------


def test_workbench_is_for_staff_only(world, client):
    client.force_login(world.mum_user)
    assert client.get(reverse("community:workbench")).status_code == 403
    assert client.get(reverse("community:workbench_person", args=[world.mum.pk])).status_code == 403


@pytest.mark.parametrize("who", ["staff", "grid1_worker", "grid2_worker", "partner"])
def test_workbench_search_page(world, client, who):
    client.force_login(getattr(world, who))
    response = client.get(reverse("community:workbench"), {"q": "zhang"})
    assert response.status_code == 200
    shown = {p.name for p in response.context["page"].object_list}
    expected = {
        "staff": {"张伟", "张小明", "张三"},
        "grid1_worker": {"张伟", "张小明"},
        "grid2_worker": {"张三"},
        "partner": {"张三"},
    }[who]
    assert shown == expected


def test_workbench_person_other_grid_is_404(world, client):
    client.force_login(world.grid2_worker)
    assert client.get(reverse("community:workbench_person", args=[world.mum.pk])).status_code == 404
    assert (
        client.get(reverse("community:workbench_person", args=[world.mum.pk]), {"sensitive": "1"}).status_code
        == 404
    )
    assert not AccessLog.objects.exists()


def test_workbench_person_sensitive_section_is_logged(world, client):
    SensitiveProfileFactory(person=world.granny, health_conditions="糖尿病")
    client.force_login(world.grid1_worker)
    url = reverse("community:workbench_person", args=[world.granny.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "糖尿病" not in html(response)
    assert not AccessLog.objects.exists()
    response = client.get(url, {"sensitive": "1"})
    assert "糖尿病" in html(response)
    log = AccessLog.objects.get()
    assert (log.user, log.person, log.reason, log.ip_address) == (
        world.grid1_worker,
        world.granny,
        "workbench",
        "127.0.0.1",
    )
    client.get(url, {"sensitive": "1"})
    assert AccessLog.objects.count() == 2


def test_claims_confirm_through_the_workbench(world, client):
    claim = services.household_claim_create(
        user=world.other_resident_user, estate=world.estate2, building_number="7", unit="2", room="301"
    )
    client.force_login(world.grid1_worker)
    assert str(claim.household) not in html(client.get(reverse("community:claims")))
    assert (
        client.post(reverse("community:claim_decide", args=[claim.pk]), {"decision": "confirm"}).status_code
        == 404
    )
    client.force_login(world.grid2_worker)
    assert "钱七" in html(client.get(reverse("community:claims")))
    response = client.post(
        reverse("community:claim_decide", args=[claim.pk]), {"decision": "confirm", "note": "欢迎"}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CONFIRMED
    assert Person.objects.get(user=world.other_resident_user).household == world.far_home
    # deciding again: 404, it is no longer pending
    assert (
        client.post(reverse("community:claim_decide", args=[claim.pk]), {"decision": "reject"}).status_code
        == 404
    )


def test_privacy_notice_shows_version(client, db):
    response = client.get(reverse("community:privacy_notice"))
    assert response.status_code == 200
    assert settings.PRIVACY_NOTICE_VERSION in html(response)


def test_pages_render_in_elder_mode(world, client):
    client.force_login(world.mum_user)
    client.cookies[settings.ELDER_MODE_COOKIE] = "1"
    assert 'class="elder-mode"' in html(client.get(reverse("community:my_family")))


def test_junk_input_never_500(world, client):
    client.force_login(world.staff)
    assert client.get(reverse("community:workbench"), {"page": "abc", "q": "x" * 500}).status_code == 200
    assert client.get(reverse("community:workbench_person", args=[999999])).status_code == 404
    claim = services.household_claim_create(
        user=world.other_resident_user, estate=world.estate2, building_number="7", unit="2", room="301"
    )
    response = client.post(reverse("community:claim_decide", args=[claim.pk]), {"decision": "maybe"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING
    client.force_login(world.mum_user)
    response = client.post(reverse("community:consents", args=[world.mum.pk]), {})
    assert response.status_code == 302
    response = client.post(
        reverse("community:emergency_contacts", args=[world.mum.pk]),
        {"name": "某人", "phone": "13912345678", "priority": 0},
    )
    assert "priority" in response.context["form"].errors
    response = client.post(
        reverse("community:claim_household"), {"estate": "999999", "building_number": "", "room": ""}
    )
    assert {"estate", "building_number", "room"} <= set(response.context["form"].errors)
