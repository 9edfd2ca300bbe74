"""The lottery pages: staff draw once (refused before applications close, a second draw changes
nothing), the public result (seed, order, no names) with its JSON, and the stand-alone re-run script."""

import ast
import hashlib
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from events import lottery_verify
from events.models import (
    ActivityStatus,
    AllocationMode,
    LotteryCommitment,
    LotteryDraw,
    PriorityTier,
    Registration,
    RegistrationScope,
)
from events.services import booking_create, lottery_draw, lottery_rerun
from events.services.lottery import lottery_allocate, lottery_commitment_ensure
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


def test_the_box_must_be_ticked(en, world, summer):
    activity, _, _ = summer
    close(activity)
    en.force_login(world.staff)
    response = en.post(draw_url(activity), {"seed": "abc"})
    assert response.status_code == 400
    assert response.context["form"].errors["confirm"] == ["Tick the box to confirm the draw."]
    assert not LotteryDraw.objects.exists()


def test_the_draw_page_has_no_seed_field_and_a_posted_seed_is_ignored(en, world, summer):
    """Issue 10: nobody types the seed. The page shows the commitment; a seed in the POST changes nothing."""
    activity, _, _ = summer
    commitment = LotteryCommitment.objects.get(activity=activity)
    close(activity)
    en.force_login(world.staff)
    page = en.get(draw_url(activity))
    body = page.content.decode()
    assert 'name="seed"' not in body and "seed" not in page.context["form"].fields
    assert commitment.seed_sha256 in body and commitment.seed not in body  # the seed stays secret
    en.post(draw_url(activity), {"seed": "a seed that favours one family", "confirm": "on"})
    draw = LotteryDraw.objects.get()
    assert draw.seed == commitment.seed and draw.commitment == commitment


def test_draw_page_refuses_a_late_commitment(en, world, summer):
    activity, _, _ = summer
    LotteryCommitment.objects.filter(activity=activity).delete()
    lottery_commitment_ensure(activity=activity)  # after the applications: cannot be trusted
    close(activity)
    en.force_login(world.staff)
    page = en.get(draw_url(activity))
    body = page.content.decode()
    assert 'data-testid="commitment-refused"' in body and 'data-testid="draw-form"' not in body
    assert "committed after the first application" in body
    response = en.post(draw_url(activity), {"confirm": "on"})
    assert response.status_code == 400
    assert "after the first application" in " ".join(response.context["form"].non_field_errors())
    assert not LotteryDraw.objects.exists()
    assert set(Registration.objects.filter(activity=activity).values_list("status", flat=True)) == {"applied"}


def test_draw_page_refuses_a_missing_commitment(en, world, summer):
    activity, _, _ = summer
    LotteryCommitment.objects.filter(activity=activity).delete()
    close(activity)
    en.force_login(world.staff)
    assert 'data-testid="commitment-refused"' in en.get(draw_url(activity)).content.decode()
    response = en.post(draw_url(activity), {"confirm": "on"})
    assert response.status_code == 400 and not LotteryDraw.objects.exists()
    assert "no seed committed" in " ".join(response.context["form"].non_field_errors())


def test_draw_once_with_the_committed_seed_then_a_second_draw_changes_nothing(en, world, summer):
    activity, bookings, mums = summer
    close(activity)
    en.force_login(world.staff)
    response = en.post(draw_url(activity), {"confirm": "on"})
    draw = LotteryDraw.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "events:lottery_result", args=[draw.pk]
    )
    seed = LotteryCommitment.objects.get(activity=activity).seed
    assert draw.seed == seed and draw.drawn_by == world.staff
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
    assert LotteryDraw.objects.get().seed == seed
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
        first.append(real(actor=world.staff, activity=activity))
        return real(**kwargs)

    first = []

    monkeypatch.setattr(views_lottery, "lottery_draw", first_tap_wins_meanwhile)
    en.force_login(world.staff)
    response = en.post(draw_url(activity), {"seed": "second tap", "confirm": "on"}, follow=True)
    draw = LotteryDraw.objects.get()
    assert [draw] == first
    assert response.redirect_chain[-1][0] == reverse("events:lottery_result", args=[draw.pk])
    assert "This lottery has already been drawn. Nothing was changed." in response.content.decode()


def test_the_seed_is_the_portals_unpredictable_one(en, world, summer):
    activity, _, _ = summer
    close(activity)
    en.force_login(world.staff)
    en.post(draw_url(activity), {"confirm": "on"})
    draw = LotteryDraw.objects.get()
    assert len(draw.seed) == 64 and int(draw.seed, 16) >= 0
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
    return lottery_draw(actor=world.staff, activity=activity), bookings, mums


def test_public_result_shows_seed_order_winners_but_no_names(client, world, drawn):
    draw, bookings, mums = drawn
    response = client.get(reverse("events:lottery_result", args=[draw.pk]))  # anonymous, Chinese
    assert response.status_code == 200
    body = response.content.decode()
    assert draw.seed in body and draw.commitment.seed_sha256 in body
    assert 'data-testid="commitment-check"' in body
    assert "SHA-256（种子）与报名开始前公布的承诺值一致" in body
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
    assert data["seed"] == draw.seed and data["places"] == 3
    assert (
        data["seed_sha256"] == hashlib.sha256(draw.seed.encode()).hexdigest() == draw.commitment.seed_sha256
    )
    assert data["committed_at"] == timezone.localtime(draw.commitment.committed_at).isoformat()
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
    assert (
        "OK: SHA-256(seed) matches the commitment" in run.stdout and "OK: the draw is verified." in run.stdout
    )
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

    def verify_tampered(**changes):
        (tmp_path / "tampered.json").write_text(json.dumps({**data, **changes}))
        return subprocess.run(
            [sys.executable, "-I", "lottery_verify.py", "tampered.json"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )

    # a tampered order: the commitment holds, the order does not (exit 1)
    run = verify_tampered(order=list(reversed(data["order"])))
    assert run.returncode == 1 and "MISMATCH (order): the published draw differs" in run.stdout
    assert "OK: SHA-256(seed) matches" in run.stdout
    # a tampered seed (one that favours a family, with the order it gives): the commitment fails (exit 3)
    other = "a seed searched for afterwards"
    order = lottery_verify.draw_order(other, data["entries"])
    sizes = {e["id"]: e["size"] for e in data["entries"]}
    run = verify_tampered(
        seed=other, order=order, winners=lottery_verify.allocate(order, sizes, data["places"])
    )
    assert run.returncode == 3 and "COMMITMENT MISMATCH" in run.stdout
    assert "OK: the published order and winners are reproduced." in run.stdout
    # a tampered commitment (exit 3), a missing one (exit 3)
    run = verify_tampered(seed_sha256=hashlib.sha256(b"another").hexdigest())
    assert run.returncode == 3 and "COMMITMENT MISMATCH" in run.stdout
    run = verify_tampered(seed_sha256=None)
    assert run.returncode == 3 and "COMMITMENT MISSING" in run.stdout
    # a file it cannot read (exit 2)
    (tmp_path / "broken.json").write_text("{not json")
    run = subprocess.run(
        [sys.executable, "-I", "lottery_verify.py", "broken.json"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert run.returncode == 2


def test_the_service_and_the_script_share_their_functions():
    from events.services import lottery as service

    assert service.lottery_verify is lottery_verify
    assert lottery_verify.seed_commitment("abc") == hashlib.sha256(b"abc").hexdigest()


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
    draw = lottery_draw(actor=world.staff, activity=activity)
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
    tiny_draw = lottery_draw(actor=world.staff, activity=tiny)
    # the result reads the stored draw: its cost does not depend on the number of entries
    for user in (None, world.mum_user):
        en.logout()
        if user:
            en.force_login(user)
        assert cost(reverse("events:lottery_result", args=[draw.pk])) == cost(
            reverse("events:lottery_result", args=[tiny_draw.pk])
        )


# --- one word, two senses: the headings in Chinese (issue 10) ---------------------------------------------


def test_draw_page_heads_the_names_column_as_applicants_in_chinese(client, world, summer):
    """The column lists the names of an entry: "报名人员", not "人数" (a number of people)."""
    activity, _, _ = summer
    close(activity)
    client.force_login(world.staff)
    body = client.get(draw_url(activity)).content.decode()  # the default language: Chinese
    heads = re.findall(r'<th scope="col">([^<]*)</th>', body)
    assert heads[:3] == ["报名编号", "报名人员", "所需名额"]
    assert "人数" not in heads and 'data-label="报名人员">张小明、张小红' in body


def test_public_result_labels_winners_as_won_not_as_a_venue(client, world, drawn):
    """A winner's badge is "中签"; "地点" is the venue of the activity page, not a place in the result."""
    draw, _, _ = drawn
    body = client.get(reverse("events:lottery_result", args=[draw.pk])).content.decode()
    labels = re.findall(r'data-testid="won-label">([^<]*)<', body)
    assert labels == ["中签"] * len(draw.winners)
    assert "地点" not in body
    detail = client.get(reverse("events:detail", args=[draw.activity_id])).content.decode()
    assert "<dt>地点</dt>" in detail  # the venue keeps its word


# --- the activity page publishes the commitment ------------------------------------------------------------


def test_activity_page_publishes_the_commitment_once_applications_open(client, world):
    activity = ActivityFactory(
        title="暑托班",
        organiser_user=world.staff,
        allocation=AllocationMode.LOTTERY,
        registration_scope=RegistrationScope.COURSE,
        capacity=3,
        booking_opens_at=in_days(2),
        booking_closes_at=in_days(5),
    )
    SessionFactory(activity=activity)
    commitment = lottery_commitment_ensure(activity=activity)
    url = reverse("events:detail", args=[activity.pk])
    body = client.get(url).content.decode()
    assert commitment.seed_sha256 not in body  # not yet open: nothing published yet
    activity.booking_opens_at = in_days(-1)
    activity.save()
    body = client.get(url).content.decode()  # anonymous, Chinese
    assert (
        f'抽签种子的SHA-256承诺值：<code class="text-break text-body" data-testid="commitment-sha256">'
        f"{commitment.seed_sha256}</code>，开奖时公开种子，可自行核对。"
    ) in body
    assert "承诺时间：" + timezone.localtime(commitment.committed_at).strftime("%Y-%m-%d %H:%M:%S") in body
    assert commitment.seed not in body


def test_each_session_of_a_session_lottery_publishes_its_own(client, world):
    activity = ActivityFactory(organiser_user=world.staff, allocation=AllocationMode.LOTTERY)
    first, second = SessionFactory(activity=activity), SessionFactory(activity=activity)
    shas = [lottery_commitment_ensure(activity=activity, session=s).seed_sha256 for s in (second, first)]
    body = client.get(reverse("events:detail", args=[activity.pk])).content.decode()
    assert body.count('data-testid="lottery-commitment"') == 2
    assert body.index(shas[1]) < body.index(shas[0])  # in the order of the sessions


def test_a_draw_made_before_commitments_says_so_and_the_script_refuses_it(client, world, summer, tmp_path):
    """Draws of the old code (a typed seed, no commitment) stay public, marked as unverifiable."""
    activity, _, _ = summer
    close(activity)
    draw = lottery_draw(actor=world.staff, activity=activity)
    LotteryDraw.objects.filter(pk=draw.pk).update(commitment=None, seed="typed by a person")
    body = client.get(reverse("events:lottery_result", args=[draw.pk])).content.decode()
    assert "本次抽签早于种子预先承诺机制，没有可核对的承诺值" in body
    assert "SHA-256（种子）与报名开始前公布的承诺值一致" not in body
    data = json.loads(client.get(reverse("events:lottery_result_json", args=[draw.pk])).content)
    assert data["seed_sha256"] is None and data["committed_at"] is None
    ok, _order, _winners = lottery_verify.verify(data)
    assert not ok
