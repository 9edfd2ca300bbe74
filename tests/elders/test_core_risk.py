"""The risk level: the rule (pure), its reasons in words, the batch refresh, and the age band on the day."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.utils import translation

from elders.models import ContactPlan, ElderProfile, LivingSituation, RiskLevel
from elders.selectors.access import age_band
from elders.services import risk
from elders.services.risk import elder_risk_refresh, reason_words, risk_assess
from portal.community.models import AdlLevel
from tests.elders._f_core import ElderFactory, ElderProfileFactory, with_sensitive
from tests.elders.factories import ContactPlanFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ALONE, SPOUSE, FAMILY = LivingSituation.ALONE, LivingSituation.SPOUSE, LivingSituation.FAMILY


@pytest.mark.parametrize(
    ("facts", "level", "reasons"),
    [
        ({"age": 86, "living_situation": ALONE}, RiskLevel.HIGH, ["lives_alone", "age_80"]),
        ({"age": 75, "living_situation": ALONE}, RiskLevel.MEDIUM, ["lives_alone"]),
        ({"age": 82, "living_situation": FAMILY}, RiskLevel.MEDIUM, ["age_80"]),
        ({"age": 91, "living_situation": FAMILY}, RiskLevel.HIGH, ["age_90"]),
        ({"age": 83, "living_situation": SPOUSE}, RiskLevel.MEDIUM, ["age_80", "spouse_only"]),
        ({"age": 70, "living_situation": SPOUSE}, RiskLevel.LOW, []),
        ({"age": 65, "living_situation": FAMILY}, RiskLevel.LOW, []),
        (
            {"age": 65, "living_situation": FAMILY, "childless_widowed": True},
            RiskLevel.HIGH,
            ["childless_widowed"],
        ),
        ({"age": 65, "living_situation": FAMILY, "unreached_in_row": 2}, RiskLevel.HIGH, ["unreached_twice"]),
        ({"age": 65, "living_situation": FAMILY, "unreached_in_row": 1}, RiskLevel.LOW, []),
        (
            {"age": 65, "living_situation": FAMILY, "adl_level": AdlLevel.MODERATE},
            RiskLevel.HIGH,
            ["adl_moderate"],
        ),
        (
            {"age": 65, "living_situation": FAMILY, "adl_level": AdlLevel.SEVERE},
            RiskLevel.HIGH,
            ["adl_severe"],
        ),
        ({"age": 65, "living_situation": FAMILY, "adl_level": AdlLevel.MILD}, RiskLevel.MEDIUM, ["adl_mild"]),
        ({"age": 65, "living_situation": FAMILY, "adl_level": AdlLevel.INDEPENDENT}, RiskLevel.LOW, []),
        ({"age": 65, "living_situation": FAMILY, "disabled": True}, RiskLevel.MEDIUM, ["disabled"]),
        ({"age": 65, "living_situation": FAMILY, "dibao": True}, RiskLevel.MEDIUM, ["dibao"]),
        ({"age": None, "living_situation": FAMILY}, RiskLevel.LOW, []),
        (
            {"age": 86, "living_situation": ALONE, "unreached_in_row": 3},
            RiskLevel.HIGH,
            ["lives_alone", "age_80", "unreached_twice"],
        ),
    ],
)
def test_the_rule(facts, level, reasons):
    assert risk_assess(**facts) == (level, reasons)


def test_reasons_in_words_in_chinese_and_english():
    codes = ["lives_alone", "age_80", "unreached_twice"]
    with translation.override("zh-hans"):
        assert (
            " · ".join(reason_words(codes, age=86, show_sensitive=False)) == "独居 · 86岁 · 连续两次未联系上"
        )
    with translation.override("en"):
        assert reason_words(codes, age=86, show_sensitive=False) == [
            "lives alone",
            "86 years old",
            "not reached twice in a row",
        ]


def test_sensitive_reasons_become_one_phrase_for_those_who_may_not_see_them():
    codes = ["age_80", "adl_severe", "dibao"]
    with translation.override("zh-hans"):
        assert reason_words(codes, age=84, show_sensitive=False) == ["84岁", "有特殊照护需要"]
        assert reason_words(codes, age=84, show_sensitive=True) == ["84岁", "重度失能", "低保"]


@pytest.mark.django_db
def test_refresh_creates_missing_profiles_and_reports_changed_levels():
    alone = ElderFactory(lives_alone=True)  # 82 on the suite's day, no profile yet
    family = ElderFactory()
    young = ElderFactory(birth_date=datetime.date(1990, 1, 1))  # not an elder
    changed = elder_risk_refresh()
    assert set(changed) >= {alone.pk, family.pk} and young.pk not in changed
    p = ElderProfile.objects.get(person=alone)
    assert (p.living_situation, p.risk_level, p.risk_reasons) == (
        ALONE,
        RiskLevel.HIGH,
        ["lives_alone", "age_80"],
    )
    assert ElderProfile.objects.get(person=family).risk_level == RiskLevel.MEDIUM
    assert not ElderProfile.objects.filter(person=young).exists()
    assert elder_risk_refresh() == []  # nothing changed: nothing reported, nothing rewritten


@pytest.mark.django_db
def test_refresh_reads_contacts_and_the_sensitive_profile():
    elder = ElderProfileFactory(
        living_situation=FAMILY, person=ElderFactory(birth_date=datetime.date(1960, 1, 1))
    ).person
    elder_risk_refresh(person_ids=[elder.pk])
    assert ElderProfile.objects.get(person=elder).risk_level == RiskLevel.LOW
    plan = ContactPlanFactory(elder=elder, unreached_in_row=2)
    assert elder_risk_refresh(person_ids=[elder.pk]) == [elder.pk]
    assert ElderProfile.objects.get(person=elder).risk_reasons == ["unreached_twice"]
    ContactPlan.objects.filter(pk=plan.pk).update(unreached_in_row=0)
    with_sensitive(elder, adl_level=AdlLevel.MILD, receives_dibao=True)  # the platform hook refreshes
    p = ElderProfile.objects.get(person=elder)
    assert (p.risk_level, p.risk_reasons) == (RiskLevel.MEDIUM, ["adl_mild", "dibao"])


@pytest.mark.django_db
def test_an_override_keeps_the_effective_level_while_the_derived_one_moves():
    elder = ElderProfileFactory(
        living_situation=FAMILY, risk_override=RiskLevel.HIGH, risk_override_reason="家中刚出事"
    ).person
    ElderProfile.objects.filter(person=elder).update(risk_level=RiskLevel.LOW)
    assert elder_risk_refresh(person_ids=[elder.pk]) == []  # derived LOW → MEDIUM, effective stays HIGH
    assert ElderProfile.objects.get(person=elder).risk_level == RiskLevel.MEDIUM


@pytest.mark.django_db
def test_refresh_costs_the_same_queries_for_3_and_for_30(django_assert_num_queries):
    def run(n):
        people = [ElderFactory(lives_alone=bool(i % 2)) for i in range(n)]
        ElderProfileFactory(person=people[0])
        return [p.pk for p in people]

    small, large = run(3), run(30)
    with django_assert_num_queries(8):
        elder_risk_refresh(person_ids=small)
    with django_assert_num_queries(8):
        elder_risk_refresh(person_ids=large)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "age", "band", "level"),
    [
        (datetime.date(2026, 3, 14), 79, 70, RiskLevel.MEDIUM),  # the day before her 80th birthday
        (datetime.date(2026, 3, 15), 80, 80, RiskLevel.HIGH),  # her 80th birthday: 高龄, alone → high
    ],
)
def test_age_band_and_level_on_the_day_around_a_birthday(client, day, age, band, level):
    elder = ElderFactory(birth_date=datetime.date(1946, 3, 15), lives_alone=True)
    with time_machine.travel(datetime.datetime.combine(day, datetime.time(9), tzinfo=SHANGHAI), tick=False):
        assert elder.age == age and age_band(elder.age) == band
        elder_risk_refresh(person_ids=[elder.pk])
        assert ElderProfile.objects.get(person=elder).risk_level == level


def test_sensitive_reason_codes_are_listed():
    assert {"adl_mild", "adl_moderate", "adl_severe", "disabled", "dibao"} == risk.SENSITIVE_REASONS
