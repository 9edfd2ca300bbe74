"""Bad input in the browser: a clear error next to the field, nothing saved, and the error state passes
the axe scan too (error messages tied to their fields, not colour alone)."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from portal.community import models as cm
from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, error_for, go, submit
from tests.community.factories import HouseholdFactory, PersonFactory

pytestmark = E2E


def test_adding_a_child_with_a_future_birth_date_or_without_consent_is_refused(page, sign_in):
    resident = UserFactory(phone="+8613912340061", name="朱晓燕")
    PersonFactory(name="朱晓燕", user=resident, household=HouseholdFactory())
    sign_in(page, resident)
    go(page, reverse("community:dependent_add"))

    page.check("input[name=kind][value=child]")
    page.fill("input[name=name]", "王小明")
    future = timezone.localdate() + datetime.timedelta(days=30)
    page.fill("input[name=birth_date_year]", str(future.year))
    page.fill("input[name=birth_date_month]", str(future.month))
    page.fill("input[name=birth_date_day]", str(future.day))
    submit(page, "birth_date_year")
    assert page.url.endswith(reverse("community:dependent_add")), page.url
    assert error_for(page, "birth_date_year")
    assert page.locator("input[name=name]").input_value() == "王小明", "what she typed is kept"
    axe_check(page)

    page.fill("input[name=birth_date_year]", "2016")
    page.fill("input[name=birth_date_month]", "7")
    page.fill("input[name=birth_date_day]", "1")
    submit(page, "birth_date_year")
    assert error_for(page, "minor_consent")
    axe_check(page)
    assert not cm.Person.objects.filter(name="王小明").exists()
    assert not cm.Relation.objects.exists()


def test_claiming_an_address_that_does_not_exist_is_refused_next_to_the_field(page, sign_in):
    HouseholdFactory(building__estate__name="炜建花苑", building__number="7", unit="2", room="502")
    resident = UserFactory(phone="+8613912340062", name="樊天英")
    sign_in(page, resident)
    go(page, reverse("community:claim_household"))
    page.select_option("select[name=estate]", label="炜建花苑")
    page.fill("input[name=building_number]", "7")
    page.fill("input[name=unit]", "2")
    page.fill("input[name=room]", "999")
    submit(page, "room")
    assert page.url.endswith(reverse("community:claim_household")), page.url
    assert error_for(page, "room")
    axe_check(page)
    assert not cm.HouseholdClaim.objects.exists()


import pytest  # noqa: E402


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize(
    ("url_name", "field"),
    [("account_login", "login"), ("account_signup", "phone"), ("account_reset_password", "email")],
)
def test_an_entrance_form_sent_empty_lists_each_problem_linked_to_its_field_with_focus_on_the_list(
    page, live_server, settings, url_name, field, lang
):
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": live_server.url}])
    go(page, reverse(url_name))
    page.eval_on_selector_all("main form", "forms => forms.forEach(f => { f.noValidate = true; })")
    submit(page, field)
    summary = page.get_by_test_id("error-summary")
    assert summary.is_visible()
    link = summary.locator(f'a[href="#id_{field}"]')
    assert link.count() == 1 and link.inner_text().strip()
    assert page.evaluate("document.activeElement.dataset.testid") == "error-summary"
    assert error_for(page, field) == link.inner_text().strip()
    if lang == "zh-hans":
        assert "这个字段是必填项" not in summary.inner_text()
    axe_check(page)
    link.click()
    assert page.evaluate("document.activeElement.name") == field
