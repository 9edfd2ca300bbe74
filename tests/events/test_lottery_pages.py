"""The lottery pages: staff draw once (refused before applications close, a second draw changes
nothing), the public result (seed, order, no names) with its JSON, and the stand-alone re-run script."""

import ast
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from events import lottery_verify
from events.models import (
    ActivityStatus,
    AllocationMode,
    LotteryDraw,
    PriorityTier,
    Registration,
    RegistrationScope,
)
from events.services import booking_create, lottery_draw, lottery_rerun
from events.services.lottery import lottery_allocate
from tests.community.factories import HouseholdFactory, PersonFactory, RelationFactory, UserFactory

from .factories import ActivityFactory, OrganizationFactory, SessionFactory, TargetGroupFactory, in_days

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def summer(world):
    """暑托班: 3 places; 6 families apply with one child each, the mother with both of hers; two
    families in the priority group."""
    activity = ActivityFactory(
        title="暑托班",
        organiser_user=world.staff,
        allocation=AllocationMode.LOTTERY,
        registration_scope=RegistrationScope.COURSE,
        capacity=3,
        min_age=6,
        max_age=12,
    )
    SessionFactory(activity=activity)
    priority = TargetGroupFactory(code="not-placed", name="尚未安排的家庭")
    PriorityTier.objects.create(activity=activity, rank=1, group=priority)
    bookings = []
    for i in range(5):
        parent_user = UserFactory()
        home = HouseholdFactory()
        parent = PersonFactory(user=parent_user, household=home, name=f"家长{i}")
        child = PersonFactory(name=f"孩子{i}", household=home, birth_date=world.son.birth_date)
        RelationFactory(subject=parent, relative=child)
        bookings.append(booking_create(actor=parent_user, activity=activity, persons=[child]))
        if i >= 3:
            priority.members.add(child)
    mums = booking_create(actor=world.mum_user, activity=activity, persons=[world.son, world.daughter])
    return activity, bookings, mums


def close(activity):
    activity.booking_opens_at = in_days(-3)
    activity.booking_closes_at = in_days(-1)
    activity.save()


def draw_url(activity):
    return reverse("events:lottery_draw", args=[activity.pk])


# --- who may draw ----------------------------------------------------------------------------------


def test_only_managers_see_the_draw_page(en, world, summer):
    activity, _, _ = summer
    assert en.get(draw_url(activity)).status_code == 302  # to sign in
    en.force_login(world.mum_user)
    assert en.get(draw_url(activity)).status_code == 404
    assert en.post(draw_url(activity), {"confirm": "on"}).status_code == 404
    partner = UserFactory(role="partner_staff", organization=OrganizationFactory())
    en.force_login(partner)
    assert en.get(draw_url(activity)).status_code == 404
    assert not LotteryDraw.objects.exists()


def test_not_a_lottery_is_404(en, world, fcfs):
    en.force_login(world.staff)
    assert en.get(draw_url(fcfs.activity)).status_code == 404


# --- before and after applications close --------------------------------------------------------------


def test_refused_before_applications_close(en, world, summer):
    activity, _, _ = summer
    en.force_login(world.staff)
    page = en.get(draw_url(activity))
    assert page.status_code == 200
    body = page.content.decode()
    assert "The lottery can be drawn only after applications close." in body
    assert 'data-testid="draw-form"' not in body
    response = en.post(draw_url(activity), {"confirm": "on", "seed": "x"})
    assert response.status_code == 400
    assert "The lottery can be drawn only after applications close." in response.content.decode()
    assert not LotteryDraw.objects.exists()
    assert set(Registration.objects.filter(activity=activity).values_list("status", flat=True)) == {"applied"}


def test_applications_are_shown_by_tier(en, world, summer):
    activity, bookings, mums = summer
    close(activity)
    en.force_login(world.staff)
    page = en.get(draw_url(activity))
    groups = page.context["groups"]
    assert [g["rank"] for g in groups] == [1, 2]
    assert {e["id"] for e in groups[0]["entries"]} == {bookings[3].pk, bookings[4].pk}
    assert page.context["entry_count"] == 6 and page.context["person_count"] == 7
    assert page.context["places"] == 3
    mine = next(e for e in groups[1]["entries"] if e["id"] == mums.pk)
    assert mine["size"] == 2 and "张小明" in mine["names"]
    body = page.content.decode()
    assert "尚未安排的家庭" in body and 'data-testid="draw-form"' in body


def test_the_box_must_be_ticked_and_the_seed_not_too_long(en, world, summer):
    activity, _, _ = summer
    close(activity)
    en.force_login(world.staff)
    response = en.post(draw_url(activity), {"seed": "abc"})
    assert response.status_code == 400
    assert response.context["form"].errors["confirm"] == ["Tick the box to confirm the draw."]
    response = en.post(draw_url(activity), {"seed": "x" * 101, "confirm": "on"})
    assert response.status_code == 400 and "seed" in response.context["form"].errors
    assert not LotteryDraw.objects.exists()


def test_draw_once_with_the_given_seed_then_a_second_draw_changes_nothing(en, world, summer):
    activity, bookings, mums = summer
    close(activity)
    en.force_login(world.staff)
    response = en.post(draw_url(activity), {"seed": " 永兴2026 ", "confirm": "on"})
    draw = LotteryDraw.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "events:lottery_result", args=[draw.pk]
    )
    assert draw.seed == "永兴2026" and draw.drawn_by == world.staff
    assert draw.order == lottery_rerun(draw.seed, draw.entries)
    assert set(draw.order[:2]) == {bookings[3].pk, bookings[4].pk}  # the priority tier first
    statuses = dict(
        Registration.objects.filter(activity=activity).values_list("booking_id", "status").distinct()
    )
    before = sorted(Registration.objects.filter(activity=activity).values_list("pk", "status", "queue_no"))
    assert {statuses[b] for b in draw.winners} == {"confirmed"}

    # a double tap, or a second draw with another seed: a clear message, nothing changed
    again = en.post(draw_url(activity), {"seed": "another", "confirm": "on"}, follow=True)
    assert again.redirect_chain[-1][0] == reverse("events:lottery_result", args=[draw.pk])
    assert "This lottery has already been drawn. Nothing was changed." in again.content.decode()
    assert LotteryDraw.objects.get().seed == "永兴2026"
    assert (
        sorted(Registration.objects.filter(activity=activity).values_list("pk", "status", "queue_no"))
        == before
    )
    page = en.get(draw_url(activity))
    assert 'data-testid="already-drawn"' in page.content.decode() and page.context["form"] is None


def test_double_tap_refused_by_the_service_changes_nothing(en, world, summer, monkeypatch):
    """Two taps: the second request read "not drawn yet" before the first committed. The service,
    under the pool's lock, refuses; the page says so and shows the first result."""
    activity, _, _ = summer
    close(activity)
    from events import views_lottery

    real = views_lottery.lottery_draw

    def first_tap_wins_meanwhile(**kwargs):
        real(actor=world.staff, activity=activity, seed="first tap")
        return real(**kwargs)

    monkeypatch.setattr(views_lottery, "lottery_draw", first_tap_wins_meanwhile)
    en.force_login(world.staff)
    response = en.post(draw_url(activity), {"seed": "second tap", "confirm": "on"}, follow=True)
    draw = LotteryDraw.objects.get()
    assert draw.seed == "first tap"
    assert response.redirect_chain[-1][0] == reverse("events:lottery_result", args=[draw.pk])
    assert "This lottery has already been drawn. Nothing was changed." in response.content.decode()


def test_empty_seed_gets_an_unpredictable_one(en, world, summer):
    activity, _, _ = summer
    close(activity)
    en.force_login(world.staff)
    en.post(draw_url(activity), {"seed": "", "confirm": "on"})
    draw = LotteryDraw.objects.get()
    assert len(draw.seed) == 32 and int(draw.seed, 16) >= 0
    assert draw.order == lottery_rerun(draw.seed, draw.entries)


def test_session_lotteries_are_drawn_one_session_at_a_time(en, world):
    activity = ActivityFactory(
        organiser_user=world.staff, allocation=AllocationMode.LOTTERY, title="义诊抽签"
    )
    first = SessionFactory(activity=activity, capacity=1)
    second = SessionFactory(activity=activity, capacity=1)
    booking_create(actor=world.mum_user, activity=activity, session=first, persons=[world.mum])
    booking_create(actor=world.dad_user, activity=activity, session=first, persons=[world.dad])
    close(activity)
    en.force_login(world.staff)
    page = en.get(draw_url(activity))
    assert page.context["choose_session"] and [s.pk for s in page.context["sessions"]] == [
        first.pk,
        second.pk,
    ]
    url = draw_url(activity) + f"?session={first.pk}"
    assert en.get(url).context["entry_count"] == 2
    en.post(url, {"seed": "s1", "confirm": "on"})
    draw = LotteryDraw.objects.get()
    assert draw.session == first and len(draw.winners) == 1
    assert en.get(draw_url(activity)).context["sessions"][0].draw_id == draw.pk
    assert en.get(draw_url(activity) + "?session=999999").status_code == 404


# --- the public result --------------------------------------------------------------------------------


@pytest.fixture
def drawn(world, summer):
    activity, bookings, mums = summer
    close(activity)
    return lottery_draw(actor=world.staff, activity=activity, seed="永兴2026"), bookings, mums


def test_public_result_shows_seed_order_winners_but_no_names(client, world, drawn):
    draw, bookings, mums = drawn
    response = client.get(reverse("events:lottery_result", args=[draw.pk]))  # anonymous, Chinese
    assert response.status_code == 200
    body = response.content.decode()
    assert "永兴2026" in body
    rows = response.context["rows"]
    assert [r["id"] for r in rows] == draw.order
    assert [r["id"] for r in rows if r["won"]] == draw.winners
    assert next(r for r in rows if r["id"] == mums.pk)["size"] == 2
    for name in ("朱晓燕", "张小明", "张小红", "孩子0", "家长0", "家长4"):
        assert name not in body
    for b in bookings:
        assert f'id="entry-{b.pk}"' in body
    assert not response.context["mine"]


def test_her_own_entry_is_marked_for_her(en, world, drawn):
    draw, _, mums = drawn
    en.force_login(world.mum_user)
    response = en.get(reverse("events:lottery_result", args=[draw.pk]))
    assert [r["id"] for r in response.context["rows"] if r["mine"]] == [mums.pk]
    entry = en.get(reverse("events:lottery_entry", args=[mums.pk]))
    assert entry["Location"] == reverse("events:lottery_result", args=[draw.pk]) + f"#entry-{mums.pk}"
    mine = en.get(reverse("events:my_bookings")).content.decode()
    assert reverse("events:lottery_entry", args=[mums.pk]) in mine
    en.force_login(world.dad_user)
    assert en.get(reverse("events:lottery_entry", args=[mums.pk])).status_code == 404


def test_no_result_link_before_the_draw(en, world, summer):
    activity, _, mums = summer
    en.force_login(world.mum_user)
    assert (
        reverse("events:lottery_entry", args=[mums.pk])
        not in en.get(reverse("events:my_bookings")).content.decode()
    )
    assert en.get(reverse("events:lottery_entry", args=[mums.pk])).status_code == 404


def test_activity_page_links_the_result(en, world, drawn):
    draw, _, _ = drawn
    body = en.get(reverse("events:detail", args=[draw.activity_id])).content.decode()
    assert reverse("events:lottery_result", args=[draw.pk]) in body


def test_result_of_an_unpublished_activity_is_not_public(client, world, drawn):
    draw, _, _ = drawn
    draw.activity.status = ActivityStatus.DRAFT
    draw.activity.save()
    assert client.get(reverse("events:lottery_result", args=[draw.pk])).status_code == 404
    assert client.get(reverse("events:lottery_result_json", args=[draw.pk])).status_code == 404
    assert client.get(reverse("events:lottery_result", args=[999999])).status_code == 404


def test_json_has_the_inputs_and_the_script_reproduces_the_order(client, world, drawn, tmp_path):
    draw, _, _ = drawn
    response = client.get(reverse("events:lottery_result_json", args=[draw.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["seed"] == "永兴2026" and data["places"] == 3
    assert data["order"] == draw.order and data["winners"] == draw.winners
    assert {e["id"] for e in data["entries"]} == set(draw.order)
    assert set(data["entries"][0]) == {"id", "tier", "size"}
    assert "朱晓燕" not in response.content.decode()

    ok, order, winners = lottery_verify.verify(data)
    assert ok and order == draw.order and winners == draw.winners

    # run as a program, without Django, from the downloaded files
    script = client.get(reverse("events:lottery_verify_script"))
    (tmp_path / "lottery_verify.py").write_bytes(script.content)
    (tmp_path / "draw.json").write_bytes(response.content)
    run = subprocess.run(
        [sys.executable, "-I", "lottery_verify.py", "draw.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "draw order: " + " ".join(map(str, draw.order)) in run.stdout
    # and with python -m inside the source tree
    run = subprocess.run(
        [sys.executable, "-m", "events.lottery_verify", str(tmp_path / "draw.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    # a tampered order is caught
    data["order"] = list(reversed(data["order"]))
    (tmp_path / "tampered.json").write_text(json.dumps(data))
    run = subprocess.run(
        [sys.executable, "-I", "lottery_verify.py", "tampered.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1 and "MISMATCH" in run.stdout


def test_the_script_is_the_same_algorithm_as_the_service():
    rng = random.Random(7)
    for n in range(40):
        entries = [
            {"id": i, "tier": rng.randint(1, 3), "size": rng.randint(1, 3)}
            for i in rng.sample(range(1, 500), n)
        ]
        seed = f"seed-{n}"
        order = lottery_verify.draw_order(seed, entries)
        assert order == lottery_rerun(seed, entries)
        sizes = {e["id"]: e["size"] for e in entries}
        assert lottery_verify.allocate(order, sizes, 7) == lottery_allocate(
            order=order, sizes=sizes, places=7
        )


def test_the_script_needs_only_the_standard_library():
    tree = ast.parse((ROOT / "events" / "lottery_verify.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


# --- a double tap on real PostgreSQL ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_draw_requests_draw_once(world, summer):
    """Eight taps on "Draw" at the same moment: one draw, every request answered with the result."""
    import threading

    from django.db import connections
    from django.test import Client

    activity, _, _ = summer
    close(activity)
    n = 8
    barrier = threading.Barrier(n)
    answers, guard = [], threading.Lock()

    def tap(i):
        try:
            client = Client()
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
            client.force_login(world.staff)
            barrier.wait()
            response = client.post(draw_url(activity), {"seed": f"tap-{i}", "confirm": "on"})
            with guard:
                answers.append((response.status_code, response.get("Location", "")))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    draw = LotteryDraw.objects.get()
    assert answers == [(302, reverse("events:lottery_result", args=[draw.pk]))] * n
    regs = list(Registration.objects.filter(activity=activity).values_list("status", "queue_no"))
    assert sorted(s for s, _ in regs).count("confirmed") == sum(
        e["size"] for e in draw.entries if e["id"] in draw.winners
    )
    queue = [q for s, q in regs if s == "waitlisted"]
    assert len(queue) == len(set(queue))  # everyone waitlisted once, in one order
    assert draw.order == lottery_rerun(draw.seed, draw.entries)


def test_pages_cost_the_same_queries_at_any_number_of_entries(en, world, summer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    activity, _, _ = summer
    en.force_login(world.staff)

    def cost(url):
        with CaptureQueriesContext(connection) as ctx:
            assert en.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = cost(draw_url(activity))
    for _ in range(6):
        parent_user = UserFactory()
        home = HouseholdFactory()
        parent = PersonFactory(user=parent_user, household=home)
        kids = [PersonFactory(household=home, birth_date=world.son.birth_date) for _ in range(2)]
        for kid in kids:
            RelationFactory(subject=parent, relative=kid)
        booking_create(actor=parent_user, activity=activity, persons=kids)
    assert cost(draw_url(activity)) == before
    close(activity)
    draw = lottery_draw(actor=world.staff, activity=activity, seed="s")
    assert len(draw.order) == 12
    tiny = ActivityFactory(
        organiser_user=world.staff,
        allocation=AllocationMode.LOTTERY,
        registration_scope=RegistrationScope.COURSE,
        capacity=1,
    )
    SessionFactory(activity=tiny)
    booking_create(actor=world.dad_user, activity=tiny, persons=[world.dad])
    close(tiny)
    tiny_draw = lottery_draw(actor=world.staff, activity=tiny, seed="t")
    # the result reads the stored draw: its cost does not depend on the number of entries
    for user in (None, world.mum_user):
        en.logout()
        if user:
            en.force_login(user)
        assert cost(reverse("events:lottery_result", args=[draw.pk])) == cost(
            reverse("events:lottery_result", args=[tiny_draw.pk])
        )
