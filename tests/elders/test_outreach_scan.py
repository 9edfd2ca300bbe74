"""The daily scan tells the person responsible once per due contact, escalates to the grid leader once
when a contact is overdue past the grace period or she was not reached twice in a row, and never twice,
however often it runs; at a constant number of queries. The daily job runs every step, each on its own."""

import datetime

import pytest

from elders import tasks
from elders.models import NoticeKind, OutreachNotice
from elders.services import outreach
from elders.services.outreach import GRACE_DAYS, outreach_daily_run, outreach_scan
from portal.notify.models import Message

from ._f_outreach import DAY, community, elder_in, plan_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def c(elders_data):
    return community()


def _messages(prefix="elders.outreach."):
    return Message.objects.filter(key__startswith=prefix, channel="inbox")


def test_a_due_contact_is_told_once_however_often_the_scan_runs(c):
    a, b = elder_in(c.one, name="王秀兰"), elder_in(c.one, name="周桂英")
    plan_for(a, assigned_to=c.volunteer, due_on=DAY)
    plan_for(b, assigned_to=c.volunteer, due_on=DAY - datetime.timedelta(days=1))
    plan_for(elder_in(c.one), assigned_to=c.volunteer, due_on=DAY + datetime.timedelta(days=1))  # not yet

    first = outreach_scan(today=DAY)
    assert first == {"due": 2, "overdue": 0, "unreached": 0, "messages": 1}
    [message] = _messages()
    assert message.user == c.volunteer
    assert "王秀兰" in message.body and "周桂英" in message.body and "2" in message.subject

    assert outreach_scan(today=DAY) == {"due": 0, "overdue": 0, "unreached": 0, "messages": 0}
    assert outreach_scan(today=DAY + datetime.timedelta(days=1)) == {
        "due": 1,
        "overdue": 0,
        "unreached": 0,
        "messages": 1,
    }  # the third one is due the next day; the two already told are not told again
    assert _messages().count() == 2
    assert OutreachNotice.objects.filter(kind=NoticeKind.DUE).count() == 3


def test_a_plan_due_again_after_a_contact_is_told_again_for_its_new_due_date(c):
    plan = plan_for(elder_in(c.one), assigned_to=c.volunteer, due_on=DAY)
    outreach_scan(today=DAY)
    plan.due_on = DAY + datetime.timedelta(days=7)
    plan.save()
    assert outreach_scan(today=DAY + datetime.timedelta(days=7))["due"] == 1
    assert _messages().count() == 2


def test_overdue_past_the_grace_period_goes_to_the_grid_leader_once(c):
    due = DAY - datetime.timedelta(days=GRACE_DAYS)  # late by exactly the grace period: not yet
    plan = plan_for(elder_in(c.one, name="孙玉珍"), assigned_to=c.volunteer, due_on=due)
    assert outreach_scan(today=DAY)["overdue"] == 0
    after = DAY + datetime.timedelta(days=1)
    result = outreach_scan(today=after)
    assert result["overdue"] == 1 and result["due"] == 0  # the responsible person was told already
    [message] = _messages("elders.outreach.overdue:")
    assert message.user == c.one.leader and "孙玉珍" in message.body
    assert outreach_scan(today=after + datetime.timedelta(days=5))["overdue"] == 0
    assert OutreachNotice.objects.filter(plan=plan, kind=NoticeKind.OVERDUE).count() == 1


def test_not_reached_twice_goes_to_the_grid_leader_once(c):
    plan = plan_for(
        elder_in(c.two, name="钱大爷"), assigned_to=c.volunteer, due_on=DAY + datetime.timedelta(days=3)
    )
    plan.unreached_in_row = 1
    plan.save()
    assert outreach_scan(today=DAY)["unreached"] == 0
    plan.unreached_in_row = 2
    plan.save()
    assert outreach_scan(today=DAY)["unreached"] == 1
    [message] = _messages("elders.outreach.unreached:")
    assert message.user == c.two.leader and "钱大爷" in message.body
    plan.unreached_in_row = 3
    plan.save()
    assert outreach_scan(today=DAY)["unreached"] == 0


def test_a_plan_without_a_responsible_person_is_told_to_the_grid_leader(c):
    plan_for(elder_in(c.one), assigned_to=None, due_on=DAY)
    assert outreach_scan(today=DAY)["due"] == 1
    assert _messages().get().user == c.one.leader


def test_inactive_elders_and_plans_are_left_alone(c):
    gone = elder_in(c.one)
    gone.is_active = False
    gone.save()
    plan_for(gone, assigned_to=c.volunteer, due_on=DAY)
    plan_for(elder_in(c.one), assigned_to=c.volunteer, due_on=DAY, is_active=False)
    assert outreach_scan(today=DAY)["due"] == 0


def test_one_message_per_person_lists_at_most_ten_names(c):
    for i in range(12):
        plan_for(elder_in(c.one, name=f"老人甲{i:02d}"), assigned_to=c.volunteer, due_on=DAY)
    assert outreach_scan(today=DAY)["messages"] == 1
    body = _messages().get().body
    assert body.count("老人甲") == 10 and "12" in body


def test_the_scan_costs_the_same_queries_at_3_and_30_elders(c, django_assert_max_num_queries):
    def build(n, grid):
        for _ in range(n):
            plan = plan_for(elder_in(grid), assigned_to=None, due_on=DAY - datetime.timedelta(days=10))
            plan.unreached_in_row = 2
            plan.save()

    build(3, c.one)
    with django_assert_max_num_queries(20) as small:
        assert outreach_scan(today=DAY)["due"] == 3
    build(30, c.two)
    with django_assert_max_num_queries(20) as large:
        assert outreach_scan(today=DAY)["due"] == 30
    assert len(small.captured_queries) == len(large.captured_queries)


def test_the_daily_job_runs_every_step_even_when_one_fails(c, monkeypatch):
    elder = elder_in(c.one)  # no plan yet: the job makes one, due today, and the scan tells of it
    calls = []

    def broken(**kwargs):
        calls.append("missed")
        raise RuntimeError("boom")

    monkeypatch.setattr("elders.services.partners.plans_check_missed", broken)
    monkeypatch.setattr(
        "elders.services.birthdays.birthday_greetings_send", lambda **kw: calls.append("birthdays") or 0
    )
    result = outreach_daily_run(today=DAY)
    assert result["missed_deliveries"] == "error"
    assert result["birthdays"] == 0 and calls == ["missed", "birthdays"]
    assert result["scan"]["due"] == 1, result
    from elders.models import ContactPlan

    assert ContactPlan.objects.get(elder=elder).assigned_to == c.one.worker, result
    again = tasks.daily_outreach.apply(args=[DAY.isoformat()]).get()
    assert again["scan"] == {"due": 0, "overdue": 0, "unreached": 0, "messages": 0}


def test_the_task_is_on_the_beat_schedule():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["elders-daily-outreach"]
    assert entry["task"] == "elders.tasks.daily_outreach"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({7}, {30})
    assert outreach.GRACE_DAYS == settings.ELDERS_CONTACT_GRACE_DAYS
