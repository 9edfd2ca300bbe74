"""The elder's risk level: derived from what the community knows of her, shown with its reasons in words,
and overridable by staff with a written reason (``elders.services.profiles.elder_risk_override``).

The rule (:func:`risk_assess`, pure; the pages say the reasons, :func:`reason_words`):

* HIGH when any of: 80 or over and living alone; moderately or severely dependent in daily living (失能);
  widowed without children (孤寡); not reached on the last two contacts in a row; 90 or over;
* MEDIUM when any of: living alone; 80 or over; mildly dependent; a disability (残疾); the minimum living
  allowance (低保); 80 or over and living with her spouse only;
* LOW otherwise.

Every factor that counts is a reason, whatever level it leads to, so "独居 · 86岁 · 连续两次未联系上"
says everything that made her high. The codes of the sensitive facts (失能, 残疾, 低保) are listed in
``SENSITIVE_REASONS``: a viewer who may not see sensitive data reads "有特殊照护需要" instead.

:func:`elder_risk_refresh` recomputes the stored level in batch (the daily job, and every service that
changes an input), at a constant number of queries whatever the number of elders; an elder without a
profile yet gets one (her living situation from ``Person.lives_alone``), so every elder has a level and a
contact plan follows it.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from elders.models import ElderProfile, LivingSituation, RiskLevel
from elders.selectors.access import elder_q
from portal.community.models import AdlLevel, Person, SensitiveProfile

# Reason codes, in the order the pages list them.
LIVES_ALONE = "lives_alone"
AGE_90 = "age_90"
AGE_80 = "age_80"
SPOUSE_ONLY = "spouse_only"
CHILDLESS_WIDOWED = "childless_widowed"
UNREACHED_TWICE = "unreached_twice"
ADL_SEVERE = "adl_severe"
ADL_MODERATE = "adl_moderate"
ADL_MILD = "adl_mild"
DISABLED = "disabled"
DIBAO = "dibao"

REASON_ORDER = (
    LIVES_ALONE,
    AGE_90,
    AGE_80,
    SPOUSE_ONLY,
    CHILDLESS_WIDOWED,
    UNREACHED_TWICE,
    ADL_SEVERE,
    ADL_MODERATE,
    ADL_MILD,
    DISABLED,
    DIBAO,
)
#: The reasons that come from the sensitive profile: shown only to viewers who may see sensitive data.
SENSITIVE_REASONS = frozenset({ADL_SEVERE, ADL_MODERATE, ADL_MILD, DISABLED, DIBAO})
#: How many contacts in a row not reaching her make her high.
UNREACHED_LIMIT = 2


def risk_assess(
    *,
    age: int | None,
    living_situation: str,
    childless_widowed: bool = False,
    adl_level: str = "",
    disabled: bool = False,
    dibao: bool = False,
    unreached_in_row: int = 0,
) -> tuple[str, list[str]]:
    """The level and the reason codes for these facts (pure: no database)."""
    high: list[str] = []
    medium: list[str] = []
    alone = living_situation == LivingSituation.ALONE
    if alone:
        (high if age is not None and age >= 80 else medium).append(LIVES_ALONE)
    if age is not None and age >= 90:
        high.append(AGE_90)
    elif age is not None and age >= 80:
        # 80+ alone is high through LIVES_ALONE above; the age itself is a reason either way.
        (high if alone else medium).append(AGE_80)
    if living_situation == LivingSituation.SPOUSE and age is not None and age >= 80:
        medium.append(SPOUSE_ONLY)
    if childless_widowed:
        high.append(CHILDLESS_WIDOWED)
    if unreached_in_row >= UNREACHED_LIMIT:
        high.append(UNREACHED_TWICE)
    if adl_level == AdlLevel.SEVERE:
        high.append(ADL_SEVERE)
    elif adl_level == AdlLevel.MODERATE:
        high.append(ADL_MODERATE)
    elif adl_level == AdlLevel.MILD:
        medium.append(ADL_MILD)
    if disabled:
        medium.append(DISABLED)
    if dibao:
        medium.append(DIBAO)
    present = set(high) | set(medium)
    reasons = [code for code in REASON_ORDER if code in present]
    if high:
        return RiskLevel.HIGH, reasons
    if medium:
        return RiskLevel.MEDIUM, reasons
    return RiskLevel.LOW, reasons


# Each reason's words, translated when a reason is shown (a row has one or two; issue 13: translating all
# nine for every row of the elder list was most of its gettext calls).
_REASON_WORDS = {
    LIVES_ALONE: lambda: _("lives alone"),
    SPOUSE_ONLY: lambda: _("with her spouse only"),
    CHILDLESS_WIDOWED: lambda: _("widowed without children"),
    UNREACHED_TWICE: lambda: _("not reached twice in a row"),
    ADL_SEVERE: lambda: _("severely dependent in daily living"),
    ADL_MODERATE: lambda: _("moderately dependent in daily living"),
    ADL_MILD: lambda: _("mildly dependent in daily living"),
    DISABLED: lambda: _("disability"),
    DIBAO: lambda: _("minimum living allowance"),
}


def reason_words(codes, *, age: int | None, show_sensitive: bool) -> list[str]:
    """The reasons in words, in the page's language: ["独居", "86岁", "连续两次未联系上"]. Without
    ``show_sensitive`` the sensitive ones become one "有特殊照护需要"."""
    out: list[str] = []
    hidden = False
    for code in codes or ():
        if code in SENSITIVE_REASONS and not show_sensitive:
            hidden = True
            continue
        if code in (AGE_80, AGE_90):
            if age is not None:
                out.append(_("%(age)d years old") % {"age": age})
            continue
        word = _REASON_WORDS.get(code)
        if word is not None:
            out.append(word())
    if hidden:
        out.append(_("has special care needs"))
    return out


def default_living_situation(person: Person) -> str:
    """An elder without a profile yet: alone when the registry says so, else with family."""
    return LivingSituation.ALONE if person.lives_alone else LivingSituation.FAMILY


def _age(birth_date: datetime.date | None, on: datetime.date) -> int | None:
    if birth_date is None:
        return None
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def assess_person(*, person: Person, profile: ElderProfile | None, sensitive, unreached: int, on) -> tuple:
    """:func:`risk_assess` for one person from her rows (``sensitive`` a SensitiveProfile or None)."""
    return risk_assess(
        age=_age(person.birth_date, on),
        living_situation=profile.living_situation if profile else default_living_situation(person),
        childless_widowed=bool(profile and profile.childless_widowed),
        adl_level=getattr(sensitive, "adl_level", "") or "",
        disabled=bool(getattr(sensitive, "disability", "")),
        dibao=bool(getattr(sensitive, "receives_dibao", False)),
        unreached_in_row=unreached,
    )


def _elders(person_ids, today) -> QuerySet[Person]:
    qs = Person.objects.filter(elder_q(on=today), is_active=True)
    if person_ids is not None:
        qs = qs.filter(pk__in=list(person_ids))
    return qs


def elder_risk_refresh(*, person_ids=None, today=None) -> list[int]:
    """Recompute the derived risk level and reasons of these elders (all when None) at a constant number
    of queries; returns the ids whose effective level changed (their contact plans follow), including
    elders who had no profile yet (one is created for each)."""
    from elders.models import ContactPlan

    today = today or timezone.localdate()
    if person_ids is not None and not list(person_ids):
        return []
    with transaction.atomic():
        elders = _elders(person_ids, today)
        people = list(elders.only("id", "birth_date", "lives_alone").order_by("id"))
        if not people:
            return []
        # A subquery, not a list of ids: the daily job runs this for every elder at once.
        profiles = {
            p.person_id: p for p in ElderProfile.objects.select_for_update().filter(person__in=elders)
        }
        sensitive = {
            s.person_id: s
            for s in SensitiveProfile.objects.filter(person__in=elders).only(
                "person_id", "adl_level", "disability", "receives_dibao"
            )
        }
        unreached = dict(
            ContactPlan.objects.filter(elder__in=elders, is_active=True).values_list(
                "elder_id", "unreached_in_row"
            )
        )
        now = timezone.now()
        changed: list[int] = []
        to_update: list[ElderProfile] = []
        to_create: list[ElderProfile] = []
        for person in people:
            profile = profiles.get(person.pk)
            level, reasons = assess_person(
                person=person,
                profile=profile,
                sensitive=sensitive.get(person.pk),
                unreached=unreached.get(person.pk, 0),
                on=today,
            )
            if profile is None:
                to_create.append(
                    ElderProfile(
                        person_id=person.pk,
                        living_situation=default_living_situation(person),
                        risk_level=level,
                        risk_reasons=reasons,
                        risk_refreshed_at=now,
                    )
                )
                changed.append(person.pk)
                continue
            if profile.risk_level == level and list(profile.risk_reasons or []) == reasons:
                continue
            before = profile.effective_risk
            profile.risk_level, profile.risk_reasons, profile.risk_refreshed_at = level, reasons, now
            to_update.append(profile)
            if profile.effective_risk != before:
                changed.append(person.pk)
        if to_create:
            ElderProfile.objects.bulk_create(to_create, batch_size=2000, ignore_conflicts=True)
        if to_update:
            ElderProfile.objects.bulk_update(
                to_update, ["risk_level", "risk_reasons", "risk_refreshed_at"], batch_size=2000
            )
        return sorted(changed)


__all__ = [
    "REASON_ORDER",
    "SENSITIVE_REASONS",
    "assess_person",
    "default_living_situation",
    "elder_risk_refresh",
    "reason_words",
    "risk_assess",
]
