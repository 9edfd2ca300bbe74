"""The lottery in Chromium: staff draw it; the public result (signed out, and on a phone) shows the
seed and the draw order, never names; axe on every page."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from events.models import AllocationMode, LotteryDraw, RegistrationScope
from events.services import booking_create, lottery_rerun
from tests.browser import E2E, assert_fits_width, axe_check, error_for, go
from tests.community.factories import HouseholdFactory, PersonFactory, RelationFactory, UserFactory

from .factories import ActivityFactory, SessionFactory, in_days

pytestmark = E2E


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid)


@pytest.fixture
def summer(world):
    activity = ActivityFactory(
        title="暑托班",
        organiser_user=world.staff,
        allocation=AllocationMode.LOTTERY,
        registration_scope=RegistrationScope.COURSE,
        capacity=2,
        min_age=6,
        max_age=12,
    )
    SessionFactory(activity=activity)
    for i in range(3):
        parent_user = UserFactory()
        home = HouseholdFactory()
        parent = PersonFactory(user=parent_user, household=home, name=f"家长{i}")
        child = PersonFactory(name=f"孩子{i}", household=home, birth_date=world.son.birth_date)
        RelationFactory(subject=parent, relative=child)
        booking_create(actor=parent_user, activity=activity, persons=[child])
    booking_create(actor=world.mum_user, activity=activity, persons=[world.son, world.daughter])
    return activity


def _check(page):
    assert page.locator("h1").count() == 1, page.url
    axe_check(page)


def test_staff_draws_and_anyone_can_read_the_result(page, open_page, sign_in, world, summer):
    sign_in(page, world.staff)
    draw_page = reverse("events:lottery_draw", args=[summer.pk])

    # before applications close: the reason, no form
    go(page, draw_page)
    _check(page)
    assert page.locator("[data-testid=draw-refused]").is_visible()
    assert page.locator("[data-testid=draw-form]").count() == 0

    summer.booking_opens_at = in_days(-3)
    summer.booking_closes_at = in_days(-1)
    summer.save()
    go(page, reverse("events:detail", args=[summer.pk]))
    with page.expect_navigation():
        page.locator("[data-testid=lottery-draw-link]").click()
    _check(page)
    assert page.locator("[data-testid=tier-1] tbody tr").count() == 4

    # forgetting the confirmation box: an error next to it, nothing drawn
    page.locator("input[name=seed]").fill("永兴2026")
    with page.expect_navigation():
        page.locator("#draw-form [type=submit]").click()
    assert error_for(page, "confirm") == zh("Tick the box to confirm the draw.")
    _check(page)
    assert not LotteryDraw.objects.exists()

    page.locator("input[name=confirm]").check()
    with page.expect_navigation():
        page.locator("#draw-form [type=submit]").click()
    draw = LotteryDraw.objects.get()
    assert draw.seed == "永兴2026" and draw.order == lottery_rerun(draw.seed, draw.entries)
    assert page.url.endswith(reverse("events:lottery_result", args=[draw.pk]))
    _check(page)

    # signed out, on a desktop and on a phone
    result = reverse("events:lottery_result", args=[draw.pk])
    for visitor in (open_page(), open_page(phone=True)):
        go(visitor, result)
        _check(visitor)
        assert visitor.locator("[data-testid=draw-seed]").inner_text().strip() == "永兴2026"
        cells = visitor.locator("[data-testid=draw-order] tbody tr td:nth-child(2)").all_inner_texts()
        assert [int(c.split()[0]) for c in cells] == draw.order
        text = visitor.locator("main, body").first.inner_text()
        assert "朱晓燕" not in text and "孩子0" not in text and "张小明" not in text
        assert visitor.locator("[data-testid=draw-json]").get_attribute("href") == reverse(
            "events:lottery_result_json", args=[draw.pk]
        )
        assert_fits_width(visitor)

    # the activity page links the result
    go(page, reverse("events:detail", args=[summer.pk]))
    assert page.locator("[data-testid=lottery-drawn] a").get_attribute("href") == result
    _check(page)
