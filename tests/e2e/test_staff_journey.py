"""Staff journeys: a household claim confirmed on the workbench, and a grid worker who finds a resident by
pinyin initials and opens her health details (which the access log records)."""

from __future__ import annotations

from django.urls import reverse

from portal.accounts.models import Role
from portal.community import models as cm
from tests.accounts.factories import UserFactory
from tests.browser import E2E, axe_check, go, submit
from tests.community.factories import GridFactory, HouseholdFactory, PersonFactory

pytestmark = E2E


def test_resident_claims_her_flat_and_staff_confirm_it(page, open_page, sign_in):
    household = HouseholdFactory(
        building__estate__name="炜建花苑", building__number="7", unit="2", room="502"
    )
    resident = UserFactory(phone="+8613912340041", name="朱晓燕")
    staff = UserFactory(phone="+8613912340042", name="陈善惠", role=Role.COMMUNITY_STAFF, is_staff=True)

    # The resident tells where she lives.
    sign_in(page, resident)
    go(page, reverse("community:claim_household"))
    page.select_option("select[name=estate]", label="炜建花苑")
    page.fill("input[name=building_number]", "7")
    page.fill("input[name=unit]", "2")
    page.fill("input[name=room]", "502")
    submit(page, "room")
    assert page.url.endswith(reverse("community:my_family")), page.url
    axe_check(page)
    claim = cm.HouseholdClaim.objects.get(user=resident)
    assert claim.household == household and claim.status == cm.ClaimStatus.PENDING

    # Staff confirm it, in a browser of their own.
    staff_page = open_page()
    sign_in(staff_page, staff)
    go(staff_page, reverse("community:claims"))
    row = staff_page.get_by_test_id("claims").locator("li").filter(has_text="朱晓燕")
    with staff_page.expect_navigation():
        row.locator("button[value=confirm]").click()
    axe_check(staff_page)
    claim.refresh_from_db()
    assert claim.status == cm.ClaimStatus.CONFIRMED
    assert cm.Person.objects.get(user=resident).household == household

    # Her family page now shows the address.
    go(page, reverse("community:my_family"))
    assert page.locator("main").get_by_text("502").first.is_visible()


def test_grid_worker_finds_a_resident_by_initials_and_her_health_view_is_logged(page, sign_in):
    grid = GridFactory(name="第二网格")
    household = HouseholdFactory(building__grid=grid, building__estate__name="炜建花苑")
    elder = PersonFactory(name="郭玲", household=household, phone="+8613912340051")
    cm.SensitiveProfile.objects.create(person=elder, allergies="青霉素")
    PersonFactory(name="郭玉", household=HouseholdFactory())  # same initials, another grid: not hers
    worker = UserFactory(phone="+8613912340052", name="陈网格", role=Role.GRID_WORKER, grid=grid)

    sign_in(page, worker)
    go(page, reverse("community:workbench"))
    page.fill("input[name=q]", "gl")
    submit(page, "q")
    results = page.get_by_test_id("people-results")
    assert results.locator("tbody tr").count() == 1
    axe_check(page)

    with page.expect_navigation():
        results.get_by_role("link", name="郭玲").click()
    assert page.get_by_test_id("sensitive").count() == 0
    assert not cm.AccessLog.objects.filter(person=elder).exists()
    with page.expect_navigation():
        page.locator("main a[href='?sensitive=1']").click()
    assert "青霉素" in page.get_by_test_id("sensitive").inner_text()
    log = cm.AccessLog.objects.get(person=elder)
    assert log.user == worker
    # After the log is read: axe_check opens the page again in elder mode (each opening is logged too).
    axe_check(page)
