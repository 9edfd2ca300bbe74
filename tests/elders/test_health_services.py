"""The health station's services: flagging against the shipped thresholds, recording a visit (all or none,
attendance once, consent required), the follow-up and its one message, closing it, editing thresholds, and
the dashboard figures."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from elders.models import (
    FlagLevel,
    FollowUp,
    FollowUpStatus,
    GlucoseTiming,
    Measure,
    Reading,
    ReadingKind,
    Threshold,
)
from elders.selectors import stats_health
from elders.services.health import (
    ReadingInput,
    followup_assignee,
    followup_close,
    reading_flag,
    readings_record,
    threshold_update,
    thresholds_active,
)
from events.models import CheckIn, Registration
from portal.accounts.models import Role
from portal.community.models import Consent
from portal.notify.models import Message
from tests.accounts.factories import UserFactory
from tests.community.factories import OrganizationFactory

from ._f_health import health_world, more_elder

pytestmark = pytest.mark.django_db
D = Decimal
BP = ReadingKind.BLOOD_PRESSURE


@pytest.fixture
def world(elders_data):
    return health_world()


def flag(kind, value, value2=None, timing=""):
    return reading_flag(
        kind=kind,
        value=D(value),
        value2=D(value2) if value2 else None,
        glucose_timing=timing,
        thresholds=thresholds_active(),
    )


# --- flagging ----------------------------------------------------------------------------------------


def test_the_shipped_thresholds_have_sources_and_one_active_row_per_level(elders_data):
    rows = list(Threshold.objects.filter(is_active=True))
    assert len(rows) == 21
    assert all(t.source and t.label for t in rows)
    assert {t.measure for t in rows} == set(Measure.values)
    hypertension = Threshold.objects.get(measure=Measure.SYSTOLIC, direction="high", level=FlagLevel.ABNORMAL)
    assert hypertension.limit == 140 and "中国高血压防治指南（2018年修订版）" in hypertension.source
    fasting = Threshold.objects.get(
        measure=Measure.GLUCOSE_FASTING, direction="high", level=FlagLevel.ABNORMAL
    )
    assert fasting.limit == D("7.0") and "中国2型糖尿病防治指南（2020年版）" in fasting.source


@pytest.mark.parametrize(
    ("kind", "value", "value2", "timing", "level"),
    [
        (BP, "120", "80", "", FlagLevel.NORMAL),
        (BP, "139", "89", "", FlagLevel.NORMAL),
        (BP, "140", "80", "", FlagLevel.ABNORMAL),
        (BP, "130", "90", "", FlagLevel.ABNORMAL),
        (BP, "179", "109", "", FlagLevel.ABNORMAL),
        (BP, "180", "80", "", FlagLevel.URGENT),
        (BP, "150", "110", "", FlagLevel.URGENT),
        (BP, "89", "60", "", FlagLevel.ABNORMAL),
        (BP, "90", "60", "", FlagLevel.NORMAL),
        (ReadingKind.GLUCOSE, "6.9", None, GlucoseTiming.FASTING, FlagLevel.NORMAL),
        (ReadingKind.GLUCOSE, "7.0", None, GlucoseTiming.FASTING, FlagLevel.ABNORMAL),
        (ReadingKind.GLUCOSE, "7.0", None, GlucoseTiming.AFTER_MEAL, FlagLevel.NORMAL),
        (ReadingKind.GLUCOSE, "11.1", None, GlucoseTiming.AFTER_MEAL, FlagLevel.ABNORMAL),
        (ReadingKind.GLUCOSE, "11.1", None, GlucoseTiming.RANDOM, FlagLevel.ABNORMAL),
        (ReadingKind.GLUCOSE, "16.7", None, GlucoseTiming.RANDOM, FlagLevel.URGENT),
        (ReadingKind.GLUCOSE, "3.8", None, GlucoseTiming.FASTING, FlagLevel.ABNORMAL),
        (ReadingKind.GLUCOSE, "3.9", None, GlucoseTiming.FASTING, FlagLevel.NORMAL),
        (ReadingKind.GLUCOSE, "2.9", None, GlucoseTiming.RANDOM, FlagLevel.URGENT),
        (ReadingKind.HEART_RATE, "59", None, "", FlagLevel.ABNORMAL),
        (ReadingKind.HEART_RATE, "72", None, "", FlagLevel.NORMAL),
        (ReadingKind.HEART_RATE, "100", None, "", FlagLevel.ABNORMAL),
        (ReadingKind.HEART_RATE, "39", None, "", FlagLevel.URGENT),
        (ReadingKind.HEART_RATE, "130", None, "", FlagLevel.URGENT),
        (ReadingKind.WEIGHT, "58.5", None, "", FlagLevel.NORMAL),
    ],
)
def test_flagging_against_the_shipped_cut_offs(elders_data, kind, value, value2, timing, level):
    assert flag(kind, value, value2, timing)[0] == level


def test_the_most_severe_threshold_of_a_measure_is_the_one_flagged(elders_data):
    level, flags = flag(BP, "186", "95")
    assert level == FlagLevel.URGENT
    assert [(f["measure"], f["level"], f["limit"], f["value"]) for f in flags] == [
        (Measure.SYSTOLIC, FlagLevel.URGENT, "180", "186"),
        (Measure.DIASTOLIC, FlagLevel.ABNORMAL, "90", "95"),
    ]
    assert flags[0]["label"] == "收缩压≥180 mmHg（3级高血压）"


def test_an_inactive_threshold_flags_nothing(elders_data):
    Threshold.objects.filter(measure=Measure.SYSTOLIC, level=FlagLevel.URGENT).update(is_active=False)
    assert flag(BP, "186", "80")[0] == FlagLevel.ABNORMAL


# --- recording ----------------------------------------------------------------------------------------


def test_a_visit_records_every_reading_with_units_and_counts_attendance_once(world):
    rows = readings_record(
        actor=world.nurse,
        elder=world.elder,
        session=world.session,
        readings=[
            ReadingInput(BP, D(128), D(82)),
            ReadingInput(ReadingKind.GLUCOSE, D("5.6"), glucose_timing=GlucoseTiming.FASTING),
            ReadingInput(ReadingKind.HEART_RATE, D(72)),
            ReadingInput(ReadingKind.WEIGHT, D("58.5")),
        ],
        note="早上已服药",
    )
    assert [r.unit for r in rows] == ["mmHg", "mmol/L", "bpm", "kg"]
    assert all(r.level == FlagLevel.NORMAL and r.session == world.session for r in rows)
    readings_record(
        actor=world.nurse,
        elder=world.elder,
        session=world.session,
        readings=[ReadingInput(BP, D(126), D(80))],
    )
    assert Reading.objects.filter(elder=world.elder).count() == 5
    assert CheckIn.objects.filter(session=world.session).count() == 1
    assert Registration.objects.filter(session=world.session, person=world.elder).count() == 1
    assert not FollowUp.objects.exists() and not Message.objects.exists()


def test_without_health_consent_nothing_is_recorded(world):
    Consent.objects.filter(person=world.elder).update(withdrawn_at=timezone.now())
    with pytest.raises(ValidationError) as exc:
        readings_record(
            actor=world.nurse,
            elder=world.elder,
            session=world.session,
            readings=[ReadingInput(BP, D(128), D(82))],
        )
    assert exc.value.code == "no_consent"
    assert not Reading.objects.exists() and not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"readings": []}, "__all__"),
        ({"taken_at": timezone.now() + datetime.timedelta(hours=2)}, "taken_at"),
        ({"note": "长" * 301}, "note"),
    ],
)
def test_refusals_save_nothing(world, kwargs, field):
    args = {"readings": [ReadingInput(BP, D(128), D(82))], **kwargs}
    with pytest.raises(ValidationError) as exc:
        readings_record(actor=world.nurse, elder=world.elder, session=world.session, **args)
    assert field in exc.value.message_dict
    assert not Reading.objects.exists() and not CheckIn.objects.exists()


def test_a_value_the_database_refuses_saves_nothing_of_the_visit(world):
    with pytest.raises(ValidationError):
        readings_record(
            actor=world.nurse,
            elder=world.elder,
            session=world.session,
            readings=[ReadingInput(ReadingKind.HEART_RATE, D(72)), ReadingInput(BP, D(80), D(120))],
        )
    assert not Reading.objects.exists() and not CheckIn.objects.exists()


def test_only_the_clinics_staff_record_there(world):
    other = UserFactory(role=Role.PARTNER_STAFF, organization=OrganizationFactory(name="南通申丞小海护理院"))
    for actor in (other, UserFactory(), UserFactory(role=Role.VOLUNTEER)):
        with pytest.raises(PermissionDenied):
            readings_record(
                actor=actor,
                elder=world.elder,
                session=world.session,
                readings=[ReadingInput(BP, D(120), D(80))],
            )
    assert not Reading.objects.exists()


# --- follow-ups ---------------------------------------------------------------------------------------


def test_an_urgent_visit_creates_one_follow_up_for_the_grid_leader_due_tomorrow_told_once(world):
    rows = readings_record(
        actor=world.nurse,
        elder=world.elder,
        session=world.session,
        readings=[ReadingInput(BP, D(186), D(95)), ReadingInput(ReadingKind.HEART_RATE, D(102))],
    )
    assert rows[0].level == FlagLevel.URGENT and rows[1].level == FlagLevel.ABNORMAL
    followup = FollowUp.objects.get()
    assert followup.reading == rows[0] and followup.level == FlagLevel.URGENT
    assert followup.assigned_to == world.leader
    assert followup.due_on == timezone.localdate() + datetime.timedelta(days=1)
    messages = Message.objects.filter(key__startswith=f"elders.health_followup:{followup.pk}:")
    assert messages.count() >= 1 and {m.user_id for m in messages} == {world.leader.pk}
    assert all("186" not in m.body for m in messages)  # no reading in an SMS
    assert "王秀英" in messages.first().body
    # Telling again with the same key sends nothing new.
    from portal.notify.services import message_enqueue

    before = Message.objects.count()
    message_enqueue(
        key=f"elders.health_followup:{followup.pk}",
        template="elders.health_followup",
        user=world.leader,
        context={"elder": "x", "level": "x", "clinic": "x", "due": "x"},
    )
    assert Message.objects.count() == before


def test_the_family_doctor_comes_first_and_an_abnormal_reading_is_due_in_a_week(world):
    elder = more_elder(world, "李桂兰", doctor=world.doctor)
    readings_record(
        actor=world.nurse,
        elder=elder,
        session=world.session,
        readings=[ReadingInput(ReadingKind.GLUCOSE, D("7.8"), glucose_timing=GlucoseTiming.FASTING)],
    )
    followup = FollowUp.objects.get(elder=elder)
    assert followup.assigned_to == world.doctor and followup.level == FlagLevel.ABNORMAL
    assert followup.due_on == timezone.localdate() + datetime.timedelta(days=7)
    assert Message.objects.filter(user=world.doctor).exists()


def test_without_a_leader_a_grid_worker_of_her_grid_and_else_nobody(world):
    world.grid.leader = None
    world.grid.save()
    worker = UserFactory(role=Role.GRID_WORKER, grid=world.grid)
    assert followup_assignee(elder=world.elder) in (worker, world.leader)  # both grid workers of the grid
    world.leader.grid = None
    world.leader.role = Role.VOLUNTEER
    world.leader.save()
    assert followup_assignee(elder=world.elder) == worker
    worker.is_active = False
    worker.save()
    assert followup_assignee(elder=world.elder) is None


def test_closing_needs_an_outcome_and_happens_once(world):
    readings_record(
        actor=world.nurse,
        elder=world.elder,
        session=world.session,
        readings=[ReadingInput(BP, D(150), D(92))],
    )
    followup = FollowUp.objects.get()
    with pytest.raises(ValidationError) as exc:
        followup_close(actor=world.leader, followup=followup, outcome="   ")
    assert "outcome" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        followup_close(actor=UserFactory(role=Role.VOLUNTEER), followup=followup, outcome="已电话随访")
    followup.refresh_from_db()
    assert followup.status == FollowUpStatus.OPEN
    done = followup_close(actor=world.leader, followup=followup, outcome="已电话随访，家中复测135/85")
    assert done.status == FollowUpStatus.CLOSED and done.closed_by == world.leader and done.closed_at
    with pytest.raises(ValidationError):
        followup_close(actor=world.staff, followup=followup, outcome="再次关闭")


# --- thresholds ---------------------------------------------------------------------------------------


def test_staff_edit_a_threshold_with_who_and_when_and_a_duplicate_active_level_is_refused(world):
    t = Threshold.objects.get(measure=Measure.SYSTOLIC, direction="high", level=FlagLevel.ABNORMAL)
    with pytest.raises(PermissionDenied):
        threshold_update(
            actor=world.nurse,
            threshold=t,
            limit=D(135),
            level="abnormal",
            label="x",
            source="y",
            is_active=True,
        )
    saved = threshold_update(
        actor=world.staff,
        threshold=t,
        limit=D(135),
        level="abnormal",
        label="收缩压≥135",
        source="站内约定",
        is_active=True,
    )
    assert saved.limit == 135 and saved.updated_by == world.staff
    with pytest.raises(ValidationError) as exc:
        threshold_update(
            actor=world.staff,
            threshold=t,
            limit=D(135),
            level="urgent",
            label="x",
            source="y",
            is_active=True,
        )
    assert "level" in exc.value.message_dict
    t.refresh_from_db()
    assert t.level == FlagLevel.ABNORMAL and t.limit == 135
    with pytest.raises(ValidationError) as exc:
        threshold_update(
            actor=world.staff, threshold=t, limit=D(0), level="normal", label="", source="", is_active=True
        )
    assert set(exc.value.message_dict) == {"limit", "level", "label", "source"}


# --- figures ------------------------------------------------------------------------------------------


def test_dashboard_figures_count_visits_once_and_flags(world):
    other = more_elder(world, "李桂兰")
    readings_record(
        actor=world.nurse,
        elder=world.elder,
        session=world.session,
        readings=[ReadingInput(BP, D(186), D(95)), ReadingInput(ReadingKind.HEART_RATE, D(72))],
    )
    readings_record(
        actor=world.nurse,
        elder=world.elder,
        session=world.session,
        readings=[ReadingInput(BP, D(150), D(80))],
    )
    readings_record(
        actor=world.nurse, elder=other, session=world.session, readings=[ReadingInput(BP, D(120), D(80))]
    )
    followup_close(
        actor=world.leader, followup=FollowUp.objects.filter(level="urgent").get(), outcome="已处置"
    )
    today = timezone.localdate()
    figures = {f.key: f.value for f in stats_health.figures(start=today, end=today)}
    assert figures["elders.clinic_visits"] == 2
    assert figures["elders.clinics_held"] == 1
    assert figures["elders.readings"] == 4
    assert figures["elders.readings_urgent"] == 1 and figures["elders.readings_abnormal"] == 1
    assert figures["elders.followups_created"] == 2
    assert figures["elders.followups_open"] == 1 and figures["elders.followups_closed"] == 1
    yesterday = today - datetime.timedelta(days=1)
    assert stats_health.figures(start=yesterday, end=yesterday)[0].value == 0
    from tests.community.factories import GridFactory

    assert stats_health.figures(start=today, end=today, grid=GridFactory(name="第四网格"))[2].value == 0
