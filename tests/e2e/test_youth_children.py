"""Children and guardians in the browser, phone-sized and in Chinese: a guardian adds two children with
her consent (the first refused without the consent tick: the error at the field and in the summary,
nothing saved, what she typed kept), authorises grandma for today with a photo and sees her listed "today
only"; staff open the child's page. axe on every page (also in elder mode and in English: axe_check)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.community.models import Person
from tests.browser import E2E, axe_check, error_for, go
from tests.youth._f_children import image_upload, staff
from tests.youth.conftest import ensure_youth_data
from tests.youth.factories import ChildFactory, GuardianFactory, PickupPersonFactory
from youth.models import ChildProfile, PickupPerson

pytestmark = E2E


@pytest.fixture(autouse=True)
def _youth_data(transactional_db):
    ensure_youth_data()


def _fill_child(page, *, name, year, month, day, school=""):
    page.locator("[name=name]").fill(name)
    page.locator("[name=birth_date_year]").fill(str(year))
    page.locator("[name=birth_date_month]").fill(str(month))
    page.locator("[name=birth_date_day]").fill(str(day))
    if school:
        page.locator("[name=school_name]").fill(school)


def _submit(page):
    with page.expect_navigation():
        page.locator("form [type=submit]").last.click()


def test_guardian_adds_two_children_and_authorises_grandma_for_today(phone_page, sign_in, tmp_path):
    page = phone_page
    guardian = GuardianFactory(name="朱晓燕")
    sign_in(page, guardian.user)
    go(page, reverse("youth:children"))
    assert page.get_by_role("heading", level=1).inner_text() == "我的孩子"
    axe_check(page)

    go(page, reverse("youth:child_add"))
    assert "《个人信息保护法》第三十一条" in page.get_by_test_id("consent-notice").inner_text()
    axe_check(page)
    _fill_child(page, name="朱小雨", year=2018, month=6, day=1, school="永兴小学")
    page.locator("[name=grade]").select_option("p3")
    _submit(page)
    assert "监护人" in error_for(page, "minor_consent")
    assert "监护人" in page.get_by_test_id("error-summary").inner_text()
    assert page.locator("[name=name]").input_value() == "朱小雨"
    assert page.locator("[name=school_name]").input_value() == "永兴小学"
    assert page.locator("[name=grade]").input_value() == "p3"
    assert not Person.objects.filter(name="朱小雨").exists()
    axe_check(page)

    page.locator("[name=minor_consent]").check()
    _submit(page)
    first = Person.objects.get(name="朱小雨")
    assert page.url.endswith(reverse("youth:child", args=[first.pk]))
    assert "永兴小学" in page.get_by_test_id("details").inner_text()
    assert ChildProfile.objects.get(person=first).grade == "p3"
    axe_check(page)

    go(page, reverse("youth:child_add"))
    _fill_child(page, name="朱小川", year=2020, month=3, day=8)
    page.locator("[name=minor_consent]").check()
    _submit(page)
    second = Person.objects.get(name="朱小川")

    go(page, reverse("youth:children"))
    listing = page.get_by_test_id("children").inner_text()
    assert "朱小雨" in listing and "朱小川" in listing and "已同意" in listing
    axe_check(page)

    # Grandma collects 朱小雨 today, with her photo.
    go(page, reverse("youth:pickup_add", args=[first.pk]))
    axe_check(page)
    photo = tmp_path / "grandma.jpg"
    photo.write_bytes(image_upload().read())
    page.locator("[name=name]").fill("王秀英")
    page.locator("[name=relation]").select_option("grandmother_m")
    page.locator("[name=phone]").fill("13711112222")
    page.locator("input[name=validity][value=today]").check()
    page.locator("[name=photo]").set_input_files(str(photo))
    _submit(page)
    assert page.url.endswith(reverse("youth:child", args=[first.pk]))
    row = page.get_by_test_id("pickups").inner_text()
    assert "王秀英" in row and "外婆" in row and "仅限今天" in row
    grandma = PickupPerson.objects.get(child=first)
    assert grandma.photo and grandma.only_on is not None
    assert (
        page.locator(f"img[src='{reverse('youth:pickup_photo', args=[grandma.pk])}']").evaluate(
            "img => img.naturalWidth"
        )
        > 0
    )
    axe_check(page)

    go(page, reverse("youth:child_edit", args=[second.pk]))
    axe_check(page)


def test_staff_open_a_childs_page(page, sign_in):
    child = ChildFactory(name="朱小雨")
    PickupPersonFactory(child=child, name="王秀英")
    sign_in(page, staff())
    go(page, reverse("youth:staff_child", args=[child.pk]))
    assert "王秀英" in page.get_by_test_id("collectors").inner_text()
    axe_check(page)
