"""The lottery in Chromium, in Chinese: the activity page publishes the seed's commitment, staff draw
(there is no seed to type), the public result (signed out, and on a phone) reveals the seed with the
commitment check, never names; the downloaded script re-runs the downloaded draw and says OK. axe on
every page."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from events.models import AllocationMode, LotteryCommitment, LotteryDraw, RegistrationScope
from events.services import booking_create, lottery_commitment_ensure, lottery_rerun
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
    lottery_commitment_ensure(activity=activity)  # as the activity pages do when a lottery is made
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


def test_staff_draws_and_anyone_can_verify_the_result(page, open_page, sign_in, world, summer, tmp_path):
    commitment = LotteryCommitment.objects.get(activity=summer)
    detail = reverse("events:detail", args=[summer.pk])

    # applications are open: anyone sees the commitment on the activity page, never the seed
    visitor = open_page()
    go(visitor, detail)
    published = visitor.locator("[data-testid=lottery-commitment]")
    assert published.count() == 1
    text = published.inner_text()
    assert "抽签种子的SHA-256承诺值：" in text and "开奖时公开种子，可自行核对" in text
    assert visitor.locator("[data-testid=commitment-sha256]").inner_text() == commitment.seed_sha256
    assert commitment.seed not in visitor.content()
    _check(visitor)

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
    go(page, detail)
    with page.expect_navigation():
        page.locator("[data-testid=lottery-draw-link]").click()
    _check(page)
    assert page.locator("[data-testid=tier-1] tbody tr").count() == 4
    assert page.locator("[data-testid=tier-1] thead th").nth(1).inner_text() == "报名人员"
    # no seed to type: the commitment is shown instead
    assert page.locator("input[name=seed]").count() == 0
    assert page.locator("[data-testid=commitment-sha256]").inner_text() == commitment.seed_sha256

    # forgetting the confirmation box: an error next to it, nothing drawn
    with page.expect_navigation():
        page.locator("#draw-form [type=submit]").click()
    assert error_for(page, "confirm") == zh("Tick the box to confirm the draw.")
    _check(page)
    assert not LotteryDraw.objects.exists()

    page.locator("input[name=confirm]").check()
    with page.expect_navigation():
        page.locator("#draw-form [type=submit]").click()
    draw = LotteryDraw.objects.get()
    assert draw.seed == commitment.seed and draw.order == lottery_rerun(draw.seed, draw.entries)
    assert page.url.endswith(reverse("events:lottery_result", args=[draw.pk]))
    _check(page)

    # signed out, on a desktop and on a phone: the seed, the commitment and its check
    result = reverse("events:lottery_result", args=[draw.pk])
    desktop = open_page()
    for visitor in (desktop, open_page(phone=True)):
        go(visitor, result)
        _check(visitor)
        assert visitor.locator("[data-testid=draw-seed]").inner_text().strip() == commitment.seed
        assert visitor.locator("[data-testid=draw-commitment]").inner_text().strip() == commitment.seed_sha256
        check = visitor.locator("[data-testid=commitment-check]").inner_text().strip()
        assert check == "SHA-256（种子）与报名开始前公布的承诺值一致"
        won = visitor.locator("[data-testid=won-label]").all_inner_texts()
        assert won == ["中签"] * len(draw.winners)
        cells = visitor.locator("[data-testid=draw-order] tbody tr td:nth-child(2)").all_inner_texts()
        assert [int(c.split()[0]) for c in cells] == draw.order
        text = visitor.locator("main, body").first.inner_text()
        assert "朱晓燕" not in text and "孩子0" not in text and "张小明" not in text
        assert_fits_width(visitor)

    # she downloads the draw and the script, and runs it on her own computer
    with desktop.expect_download() as json_download:
        desktop.locator("[data-testid=draw-json]").click()
    with desktop.expect_download() as script_download:
        desktop.locator("[data-testid=verify-script]").click()
    draw_file = tmp_path / json_download.value.suggested_filename
    script_file = tmp_path / script_download.value.suggested_filename
    json_download.value.save_as(draw_file)
    script_download.value.save_as(script_file)
    assert script_file.name == "lottery_verify.py"
    data = json.loads(Path(draw_file).read_text(encoding="utf-8"))
    assert data["seed_sha256"] == hashlib.sha256(data["seed"].encode()).hexdigest() == commitment.seed_sha256
    run = subprocess.run(
        [sys.executable, "-I", script_file.name, draw_file.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "OK: SHA-256(seed) matches the commitment" in run.stdout
    assert "OK: the draw is verified." in run.stdout

    # the activity page links the result
    go(page, detail)
    assert page.locator("[data-testid=lottery-drawn] a").get_attribute("href") == result
    _check(page)
