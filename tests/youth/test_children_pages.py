"""The children piece's pages: a guardian's children, adding a child, her page, the pickup photo, the staff
view; another family's child is 404 on every page; query counts constant in the number of children."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Activity
from portal.accounts.models import Role
from portal.community.models import AccessLog, Person, SensitiveProfile
from tests.accounts.factories import UserFactory
from youth.models import ChildProfile, PickupPerson

from ._f_children import image_upload, school, staff
from .factories import (
    ChildFactory,
    ChildProfileFactory,
    DaycareProgrammeFactory,
    GuardianFactory,
    OrganizationFactory,
    PickupPersonFactory,
    book,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_pages(client, settings):
    """The assertions read the English msgids: the pages are asked for in English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _dob(prefix, y, m, d):
    return {f"{prefix}_year": y, f"{prefix}_month": m, f"{prefix}_day": d}


def test_children_list_shows_age_school_consent_and_pickup_count(client):
    child = ChildFactory(name="朱小雨")
    ChildProfileFactory(person=child, school_name="永兴小学")
    PickupPersonFactory(child=child)
    PickupPersonFactory(child=child, only_on=timezone.localdate())
    PickupPersonFactory(child=child, revoked_at=timezone.now())
    no_consent = ChildFactory(guardian=child.guardian_for_tests, consent=False, name="朱小川")
    client.force_login(child.guardian_for_tests.user)
    body = client.get(reverse("youth:children")).content.decode()
    assert "朱小雨" in body and "永兴小学" in body and "8 years old" in body
    assert "2 pickup persons today" in body
    assert "朱小川" in body and "No consent" in body
    assert reverse("youth:child", args=[no_consent.pk]) in body


def test_children_list_queries_constant_at_2_and_20_children(client):
    guardian = GuardianFactory()
    client.force_login(guardian.user)

    def add(n):
        for _ in range(n):
            c = ChildFactory(guardian=guardian)
            ChildProfileFactory(person=c, school=school(name=f"学校{c.pk}"))
            PickupPersonFactory(child=c)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("youth:children"))
        assert response.status_code == 200
        return len(ctx), len(response.context["rows"])

    add(2)
    client.get(reverse("youth:children"))
    few = count()
    add(18)
    many = count()
    assert (few[1], many[1]) == (2, 20)
    assert few[0] == many[0]


def test_child_page_and_staff_page_queries_constant(client):
    child = ChildFactory()
    user = staff()
    client.force_login(user)
    url = reverse("youth:staff_child", args=[child.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(10):
        PickupPersonFactory(child=child)
        child.emergency_contacts.create(name="联系人", phone="+8613711112222")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few) == len(many)


def test_admin_lists_and_searches(admin_client):
    child = ChildFactory(name="朱小雨")
    ChildProfileFactory(person=child)
    grandma = PickupPersonFactory(child=child, name="王秀英")
    from youth.services.children import pickup_photo_prepare

    content = pickup_photo_prepare(image_upload())
    grandma.photo.save(content.name, content)
    admin_client.cookies["django_language"] = "en"
    r = admin_client.get(reverse("admin:youth_pickupperson_changelist"), {"q": "朱小雨"})
    body = r.content.decode()
    assert r.status_code == 200 and "王秀英" in body
    assert reverse("youth:pickup_photo", args=[grandma.pk]) in body and grandma.photo.name not in body
    assert admin_client.get(reverse("admin:youth_pickupperson_change", args=[grandma.pk])).status_code == 200
    r = admin_client.get(reverse("admin:youth_childprofile_changelist"), {"q": "朱小雨"})
    assert r.status_code == 200 and "朱小雨" in r.content.decode()
    assert (
        admin_client.get(
            reverse("admin:youth_childprofile_change", args=[child.child_profile.pk])
        ).status_code
        == 200
    )


def test_another_familys_child_is_404_on_every_page(client):
    child = ChildFactory()
    grandma = PickupPersonFactory(child=child, photo=image_upload())
    client.force_login(GuardianFactory().user)
    for name in ("child", "child_edit", "child_health", "pickup_add", "child_contact_add"):
        url = reverse(f"youth:{name}", args=[child.pk])
        assert client.get(url).status_code in (404, 405), name
        assert client.post(url, {"name": "x"}).status_code in (404, 405), name
    assert client.post(reverse("youth:pickup_revoke", args=[grandma.pk])).status_code == 404
    assert client.get(reverse("youth:pickup_photo", args=[grandma.pk])).status_code == 404
    assert client.get(reverse("youth:staff_child", args=[child.pk])).status_code == 404
    assert PickupPerson.objects.get(pk=grandma.pk).revoked_at is None
    assert not AccessLog.objects.exists()


def test_add_child_without_consent_refused_at_the_field_values_kept(client):
    guardian = GuardianFactory()
    client.force_login(guardian.user)
    before = Person.objects.count()
    data = {"name": "朱小雨", "gender": "F", **_dob("birth_date", 2018, 6, 1), "school_name": "永兴小学"}
    response = client.post(reverse("youth:child_add"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "consent as guardian" in form.errors["minor_consent"][0]
    body = response.content.decode()
    assert 'data-testid="error-summary"' in body and 'value="朱小雨"' in body and 'value="永兴小学"' in body
    assert Person.objects.count() == before
    data["minor_consent"] = "on"
    response = client.post(reverse("youth:child_add"), data)
    child = Person.objects.get(name="朱小雨")
    assert response.status_code == 302 and response["Location"] == reverse("youth:child", args=[child.pk])
    assert ChildProfile.objects.get(person=child).school_name == "永兴小学"


def test_child_page_health_contacts_and_pickups(client):
    child = ChildFactory(name="朱小雨")
    user = child.guardian_for_tests.user
    client.force_login(user)
    url = reverse("youth:child", args=[child.pk])
    assert client.get(url).status_code == 200
    assert AccessLog.objects.filter(user=user, person=child, reason="youth:child").count() == 1
    # health notes without the health consent: refused at the box, nothing kept
    r = client.post(reverse("youth:child_health", args=[child.pk]), {"allergies": "花生"})
    assert r.status_code == 400 and "tick the box" in r.context["health_form"].errors["health_consent"][0]
    assert not SensitiveProfile.objects.exists()
    r = client.post(
        reverse("youth:child_health", args=[child.pk]), {"allergies": "花生", "health_consent": "on"}
    )
    assert r.status_code == 302 and SensitiveProfile.objects.get(person=child).allergies == "花生"
    r = client.post(
        reverse("youth:child_contact_add", args=[child.pk]),
        {"contact-name": "王秀英", "contact-phone": "13711112222", "contact-relationship": "外婆"},
    )
    assert r.status_code == 302
    contact = child.emergency_contacts.get()
    r = client.post(
        reverse("youth:pickup_add", args=[child.pk]),
        {
            "name": "王秀英",
            "relation": "grandmother_m",
            "phone": "13711112222",
            "validity": "today",
            "photo": image_upload(),
        },
    )
    assert r.status_code == 302
    grandma = PickupPerson.objects.get(child=child)
    assert grandma.only_on == timezone.localdate() and grandma.photo
    body = client.get(url).content.decode()
    assert "花生" in body and "王秀英" in body and 'data-testid="today-only"' in body
    assert reverse("youth:pickup_photo", args=[grandma.pk]) in body
    # the duplicate is refused at the phone, typed values kept
    r = client.post(
        reverse("youth:pickup_add", args=[child.pk]),
        {"name": "王秀英二", "relation": "grandmother_m", "phone": "13711112222", "validity": "today"},
    )
    assert r.status_code == 200 and "already authorised" in r.context["form"].errors["phone"][0]
    assert 'value="王秀英二"' in r.content.decode()
    assert client.post(reverse("youth:pickup_revoke", args=[grandma.pk])).status_code == 302
    assert PickupPerson.objects.get(pk=grandma.pk).revoked_at is not None
    assert client.post(reverse("youth:child_contact_remove", args=[child.pk, contact.pk])).status_code == 302
    assert not child.emergency_contacts.exists()


def test_edit_child_school_and_birth_date(client):
    child = ChildFactory()
    s = school()
    client.force_login(child.guardian_for_tests.user)
    url = reverse("youth:child_edit", args=[child.pk])
    assert client.get(url).status_code == 200
    r = client.post(
        url, {"name": child.name, **_dob("birth_date", 2017, 9, 1), "school": s.pk, "grade": "p4"}
    )
    assert r.status_code == 302
    child.refresh_from_db()
    assert child.birth_date.year == 2017 and ChildProfile.objects.get(person=child).school == s


def test_photo_served_to_guardian_and_programme_staff_only(client):
    child = ChildFactory()
    grandma = PickupPersonFactory(child=child)
    from youth.services.children import pickup_photo_prepare

    content = pickup_photo_prepare(image_upload())
    grandma.photo.save(content.name, content)
    url = reverse("youth:pickup_photo", args=[grandma.pk])
    client.force_login(child.guardian_for_tests.user)
    r = client.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg" and "private" in r["Cache-Control"]
    b"".join(r.streaming_content)
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory())
    client.force_login(partner)
    assert client.get(url).status_code == 404
    programme = DaycareProgrammeFactory()
    Activity.objects.filter(daycare_week__programme=programme).update(organiser_user=partner)
    book(child, programme.weeks.first())
    assert client.get(url).status_code == 200
    client.force_login(UserFactory(role=Role.RESIDENT))
    assert client.get(url).status_code == 404
    no_photo = PickupPersonFactory(child=child)
    client.force_login(child.guardian_for_tests.user)
    assert client.get(reverse("youth:pickup_photo", args=[no_photo.pk])).status_code == 404


def test_staff_child_view_logs_every_view(client):
    child = ChildFactory(name="朱小雨")
    ChildProfileFactory(person=child, school_name="永兴小学")
    SensitiveProfile.objects.create(person=child, allergies="花生", medications="哮喘喷雾")
    child.emergency_contacts.create(name="王秀英", phone="+8613711112222", relationship="外婆")
    PickupPersonFactory(child=child, name="李桂兰", only_on=timezone.localdate())
    user = staff()
    client.force_login(user)
    url = reverse("youth:staff_child", args=[child.pk])
    body = client.get(url).content.decode()
    for text in ("朱小雨", "永兴小学", "花生", "哮喘喷雾", "王秀英", "李桂兰", child.guardian_for_tests.name):
        assert text in body, text
    client.get(url)
    assert AccessLog.objects.filter(user=user, person=child, reason="youth:staff_child").count() == 2


def test_staff_child_partner_staff_only_for_her_programme(client):
    child = ChildFactory()
    SensitiveProfile.objects.create(person=child, allergies="花生")
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory())
    client.force_login(partner)
    url = reverse("youth:staff_child", args=[child.pk])
    assert client.get(url).status_code == 404
    programme = DaycareProgrammeFactory()
    Activity.objects.filter(daycare_week__programme=programme).update(organiser_user=partner)
    book(child, programme.weeks.first())
    assert "花生" in client.get(url).content.decode()
    assert AccessLog.objects.filter(user=partner, person=child).count() == 1


def test_hostile_ids_are_404(client):
    client.force_login(GuardianFactory().user)
    for name in ("child", "staff_child", "pickup_photo"):
        assert client.get(reverse(f"youth:{name}", args=[2**31 + 5])).status_code == 404
