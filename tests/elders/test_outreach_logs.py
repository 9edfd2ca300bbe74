"""Contact logs move the plan on: reached → due again after the plan's interval, from the contact's day;
not reached → counted, still due. Needs raised on a visit get an owner who is told; a volunteer outside
her assignment gets a 404; bad input is refused at the field with nothing saved."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from elders.models import ContactLog, Need, NeedStatus, Wellbeing
from elders.services.outreach import contact_log_create, need_create, need_update
from portal.accounts.models import Role
from portal.notify.models import Message
from tests.accounts.factories import UserFactory

from ._f_outreach import DAY, community, elder_in, plan_for

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SH)


@pytest.fixture
def c(elders_data):
    c = community()
    c.elder = elder_in(c.one, name="王秀兰")
    c.plan = plan_for(c.elder, assigned_to=c.volunteer, due_on=DAY, every_days=7)
    return c


def test_a_reached_contact_sets_the_next_due_date_from_its_day(c):
    with time_machine.travel(at(datetime.date(2026, 11, 20), 15), tick=False):
        log = contact_log_create(
            actor=c.volunteer,
            elder=c.elder,
            method="visit",
            reached=True,
            wellbeing=Wellbeing.GOOD,
            contacted_at=at(datetime.date(2026, 11, 20), 9),
        )
    c.plan.refresh_from_db()
    assert c.plan.due_on == datetime.date(2026, 11, 27)
    assert c.plan.last_contact_at == c.plan.last_reached_at == log.contacted_at
    assert c.plan.unreached_in_row == 0
    assert log.by == c.volunteer and not log.entered_on_behalf


def test_unreached_contacts_count_up_keep_the_due_date_and_a_reached_one_resets(c):
    for day in (18, 19):
        contact_log_create(
            actor=c.volunteer,
            elder=c.elder,
            method="call",
            reached=False,
            contacted_at=at(datetime.date(2026, 11, day)),
            now=at(datetime.date(2026, 11, day), 12),
        )
    c.plan.refresh_from_db()
    assert (c.plan.unreached_in_row, c.plan.due_on) == (2, DAY)
    assert c.plan.last_reached_at is None
    contact_log_create(
        actor=c.volunteer,
        elder=c.elder,
        method="visit",
        reached=True,
        contacted_at=at(datetime.date(2026, 11, 21)),
        now=at(datetime.date(2026, 11, 21), 12),
    )
    c.plan.refresh_from_db()
    assert (c.plan.unreached_in_row, c.plan.due_on) == (0, datetime.date(2026, 11, 28))


def test_a_late_entry_for_an_earlier_day_does_not_move_the_plan_back(c):
    contact_log_create(
        actor=c.volunteer, elder=c.elder, method="visit", reached=True, contacted_at=at(DAY, 9)
    )
    contact_log_create(
        actor=c.volunteer,
        elder=c.elder,
        method="call",
        reached=True,
        contacted_at=at(DAY - datetime.timedelta(days=5)),
    )
    c.plan.refresh_from_db()
    assert c.plan.due_on == DAY + datetime.timedelta(days=7)
    assert c.plan.last_contact_at == at(DAY, 9)


def test_refusals_save_nothing(c):
    cases = [
        ({"reached": False, "wellbeing": Wellbeing.GOOD}, "wellbeing"),
        ({"contacted_at": at(DAY + datetime.timedelta(days=1))}, "contacted_at"),
        ({"notes": "长" * 10_000}, "notes"),
        ({"method": "letter"}, "method"),
    ]
    for extra, field in cases:
        kwargs = {"actor": c.volunteer, "elder": c.elder, "method": "visit", "reached": True, **extra}
        with pytest.raises(ValidationError) as exc:
            contact_log_create(**kwargs)
        assert field in exc.value.error_dict
    with pytest.raises(ValidationError):
        contact_log_create(
            actor=c.volunteer, elder=c.elder, method="visit", reached=True, needs=[("meals", "")]
        )
    assert not ContactLog.objects.exists() and not Need.objects.exists()


def test_only_those_responsible_may_log(c):
    stranger = UserFactory(role=Role.VOLUNTEER)
    with pytest.raises(PermissionDenied):
        contact_log_create(actor=stranger, elder=c.elder, method="visit", reached=True)
    with pytest.raises(PermissionDenied):
        contact_log_create(actor=c.two.worker, elder=c.elder, method="visit", reached=True)
    contact_log_create(actor=c.one.worker, elder=c.elder, method="visit", reached=True)
    assert ContactLog.objects.count() == 1


def test_staff_log_for_the_volunteer_who_phoned_in(c):
    log = contact_log_create(actor=c.staff, elder=c.elder, method="call", reached=True, on_behalf=True)
    assert log.by == c.volunteer and log.entered_on_behalf
    with pytest.raises(PermissionDenied):
        contact_log_create(actor=c.volunteer, elder=c.elder, method="call", reached=True, on_behalf=True)


def test_needs_raised_on_a_visit_go_to_the_grid_leader_who_is_told(c):
    log = contact_log_create(
        actor=c.volunteer,
        elder=c.elder,
        method="visit",
        reached=True,
        wellbeing=Wellbeing.FAIR,
        needs=[("household", "厨房水龙头漏水"), ("meals", "想订助餐")],
    )
    needs = list(Need.objects.order_by("pk"))
    assert [(n.category, n.owner, n.raised_in, n.created_by, n.status) for n in needs] == [
        ("household", c.one.leader, log, c.volunteer, NeedStatus.OPEN),
        ("meals", c.one.leader, log, c.volunteer, NeedStatus.OPEN),
    ]
    told = Message.objects.filter(key__startswith="elders.need:", user=c.one.leader, channel="inbox")
    assert told.count() == 2
    assert "厨房水龙头漏水" in told.order_by("pk").first().body


def test_a_need_is_handled_then_closed_with_what_was_done_never_lost(c):
    need = need_create(actor=c.volunteer, elder=c.elder, category="medical", description="配药困难")
    assert need.owner == c.one.leader
    with pytest.raises(PermissionDenied):
        need_update(actor=c.volunteer, need=need, status=NeedStatus.IN_PROGRESS)
    need_update(actor=c.one.leader, need=need, status=NeedStatus.IN_PROGRESS)
    with pytest.raises(ValidationError) as exc:
        need_update(actor=c.one.leader, need=need, status=NeedStatus.CLOSED, resolution="  ")
    assert "resolution" in exc.value.error_dict
    need.refresh_from_db()
    assert need.status == NeedStatus.IN_PROGRESS and need.closed_at is None
    need_update(actor=c.one.leader, need=need, status=NeedStatus.CLOSED, resolution="家庭医生上门送药")
    need.refresh_from_db()
    assert (need.status, need.resolution, need.closed_by) == (
        NeedStatus.CLOSED,
        "家庭医生上门送药",
        c.one.leader,
    )
    # the owner cannot reopen it; staff can, and hand it to someone else, who is told
    with pytest.raises(ValidationError):
        need_update(actor=c.one.leader, need=need, status=NeedStatus.IN_PROGRESS)
    need_update(actor=c.staff, need=need, status=NeedStatus.IN_PROGRESS, owner_phone=str(c.one.worker.phone))
    need.refresh_from_db()
    assert (need.status, need.owner, need.closed_at) == (NeedStatus.IN_PROGRESS, c.one.worker, None)
    assert Message.objects.filter(key__startswith=f"elders.need:{need.pk}:owner:{c.one.worker.pk}").exists()


def test_needs_help_now_tells_the_grid_leader_at_once(c):
    contact_log_create(
        actor=c.volunteer,
        elder=c.elder,
        method="visit",
        reached=True,
        wellbeing=Wellbeing.URGENT,
        notes="摔倒了",
    )
    assert Message.objects.filter(key__startswith="elders.contact_urgent:", user=c.one.leader).exists()


# --- the pages --------------------------------------------------------------------------------------------


def test_a_volunteer_opening_an_elder_outside_her_assignment_gets_a_404(client, c):
    other = elder_in(c.two, name="赵大爷")
    plan_for(other, assigned_to=c.two.worker)
    client.force_login(c.volunteer)
    assert client.get(reverse("elders:contact_log", args=[other.pk])).status_code == 404
    assert client.post(reverse("elders:contact_log", args=[other.pk]), {"method": "visit"}).status_code == 404
    assert client.get(reverse("elders:contact_plan_edit", args=[c.elder.pk])).status_code == 404
    assert client.get(reverse("elders:contact_log", args=[c.elder.pk])).status_code == 200
    assert not ContactLog.objects.exists()


def _post(client, elder, **data):
    form = {
        "method": "visit",
        "reached": "yes",
        "wellbeing": "good",
        "notes": "",
        "contacted_at": "2026-11-18T09:30",
        "needs-TOTAL_FORMS": "1",
        "needs-INITIAL_FORMS": "0",
        "needs-MIN_NUM_FORMS": "0",
        "needs-MAX_NUM_FORMS": "5",
        "needs-0-category": "",
        "needs-0-description": "",
        "save": "1",
        **data,
    }
    return client.post(reverse("elders:contact_log", args=[elder.pk]), form)


def test_the_log_form_saves_and_raises_a_need(client, c):
    client.force_login(c.volunteer)
    response = _post(
        client, c.elder, **{"needs-0-category": "company", "needs-0-description": "想有人陪聊天"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("elders:my_contacts")
    log = ContactLog.objects.get()
    assert (log.method, log.reached, log.wellbeing) == ("visit", True, "good")
    assert Need.objects.get().description == "想有人陪聊天"


def test_the_log_form_refuses_at_the_field_with_nothing_saved(client, c):
    client.force_login(c.volunteer)
    for data, field in [
        ({"notes": "x" * 10_000}, "notes"),
        ({"contacted_at": "2026-11-19T09:30"}, "contacted_at"),
        ({"contacted_at": "9999-12-31T23:59"}, "contacted_at"),
        ({"reached": "no"}, "wellbeing"),
        ({"needs-0-description": "缺米"}, "needs-0-category"),
        ({"reached": ""}, "reached"),
    ]:
        response = _post(client, c.elder, **data)
        assert response.status_code == 200, field
        html = response.content.decode()
        assert 'data-testid="error-summary"' in html
        assert f'id="id_{field}"' in html or f'name="{field}"' in html
        assert 'aria-invalid="true"' in html
    assert not ContactLog.objects.exists() and not Need.objects.exists()


def test_add_another_need_keeps_what_was_typed_and_saves_nothing(client, c):
    client.force_login(c.volunteer)
    response = _post(
        client, c.elder, add_need="1", save="", **{"needs-0-category": "meals", "needs-0-description": "助餐"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="needs-1-category"' in html and "助餐" in html
    assert not ContactLog.objects.exists()


def test_hostile_management_form_is_no_500(client, c):
    client.force_login(c.volunteer)
    response = _post(client, c.elder, **{"needs-TOTAL_FORMS": "99999999999999999999"})
    assert response.status_code in (200, 302)
    response = _post(client, c.elder, **{"needs-TOTAL_FORMS": "abc"})
    assert response.status_code == 200
    assert ContactLog.objects.count() <= 1
