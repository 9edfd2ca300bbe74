"""Reads of the elder list and the elder page, scoped through ``elders.selectors.access``.

The special groups: 高龄 (80 or over, from the birth date on the day), 孤寡 and 独居 (the profile; an elder
without a profile yet is "alone" when the registry says so) are for everyone who sees her; 失能 with its
level, 残疾 and 低保 come from her SensitiveProfile, read through the platform
(``sensitive_profiles_for``: one AccessLog row per person shown) and only for viewers who may see them.
A page costs the same number of queries at 3 elders and at 30.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from elders.models import ContactPlan, ElderProfile, LivingSituation, RiskLevel
from elders.selectors.access import (
    _cutoff,
    age_band,
    assignment_q,
    count_elders,
    elder_q,
    elders_visible_to,
    people_in_scope,
)
from elders.services.recipients import has_own_account
from elders.services.risk import assess_person, default_living_situation, reason_words
from portal.accounts.models import User
from portal.community.models import (
    ACTING_RELATIONS,
    ADL_DEPENDENT,
    AdlLevel,
    Building,
    Consent,
    ConsentPurpose,
    Estate,
    Grid,
    Household,
    Person,
    Relation,
)
from portal.community.search import name_search_q
from portal.community.selectors import (
    person_of,
    phone_shown_to,
    sensitive_profile_for,
    sensitive_profiles_for,
)
from portal.db import instances_from_row, select_list
from portal.links import pk_url

# Filters of the list.
GROUP_AGED, GROUP_WIDOWED, GROUP_ALONE = "aged", "widowed", "alone"
GROUP_ADL, GROUP_DISABLED, GROUP_DIBAO = "adl", "disabled", "dibao"
SENSITIVE_GROUPS = (GROUP_ADL, GROUP_DISABLED, GROUP_DIBAO)


def group_choices(*, sensitive: bool) -> list[tuple[str, str]]:
    out = [
        (GROUP_AGED, pgettext("special group", "Aged 80 or over")),
        (GROUP_WIDOWED, pgettext("special group", "Widowed without children")),
        (GROUP_ALONE, pgettext("special group", "Lives alone")),
    ]
    if sensitive:
        out += [
            (GROUP_ADL, pgettext("special group", "Dependent in daily living")),
            (GROUP_DISABLED, pgettext("special group", "Disability")),
            (GROUP_DIBAO, pgettext("special group", "Minimum living allowance")),
        ]
    return out


def band_label(band: int | None) -> str:
    return "" if band is None else f"{band}+"


def sensitive_filter_q(viewer) -> Q | None:
    """Where a viewer may filter by a sensitive group: her role's scope (staff: everyone; a grid worker:
    her grid; partner staff: her organisation's clients). None: the filter is not offered."""
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return None
    if viewer.is_community_staff:
        return Q()
    if viewer.is_grid_worker and viewer.grid_id:
        return Q(household__building__grid_id=viewer.grid_id)
    if viewer.is_partner_staff and viewer.organization_id:
        served = Person.served_by.through.objects.filter(organization_id=viewer.organization_id)
        return Q(pk__in=served.values("person_id"))
    return None


def _band_q(band: int, on: datetime.date) -> Q:
    q = Q(birth_date__lte=_cutoff(band, on))
    if band < 90:
        q &= Q(birth_date__gt=_cutoff(band + 10, on))
    return q


def _group_q(group: str, on: datetime.date) -> Q:
    if group == GROUP_AGED:
        return Q(birth_date__lte=_cutoff(80, on))
    if group == GROUP_WIDOWED:
        return Q(elder_profile__childless_widowed=True)
    if group == GROUP_ALONE:
        return Q(elder_profile__living_situation=LivingSituation.ALONE) | Q(
            elder_profile__isnull=True, lives_alone=True
        )
    if group == GROUP_ADL:
        return Q(sensitive__adl_level__in=ADL_DEPENDENT)
    if group == GROUP_DISABLED:
        return Q(sensitive__isnull=False) & ~Q(sensitive__disability="")
    if group == GROUP_DIBAO:
        return Q(sensitive__receives_dibao=True)
    return Q()


def _risk_q(level: str) -> Q:
    q = Q(elder_profile__risk_override=level) | Q(
        elder_profile__risk_override="", elder_profile__risk_level=level
    )
    if level == RiskLevel.LOW:  # not assessed yet: the daily refresh gives her a level
        q |= Q(elder_profile__isnull=True)
    return q


def _list_people(
    *,
    viewer,
    q: str = "",
    band: int | None = None,
    group: str = "",
    risk: str = "",
    grid=None,
    assigned_only: bool = False,
    on: datetime.date,
) -> QuerySet[Person]:
    """The persons of the viewer's list with its filters, before the elder predicate."""
    qs = people_in_scope(viewer=viewer)
    if assigned_only:
        qs = qs.filter(assignment_q(viewer))
    if q:
        match = name_search_q(q)
        if match is not None:
            qs = qs.filter(match)
    if band:
        qs = qs.filter(_band_q(band, on))
    if group:
        if group in SENSITIVE_GROUPS:
            scope = sensitive_filter_q(viewer)
            qs = qs.filter(scope & _group_q(group, on)) if scope is not None else qs.none()
        else:
            qs = qs.filter(_group_q(group, on))
    if risk:
        qs = qs.filter(_risk_q(risk))
    if grid is not None:
        qs = qs.filter(household__building__grid=grid)
    return qs


def elders_for_list(*, on: datetime.date | None = None, **filters) -> QuerySet[Person]:
    """The elders of the viewer's list, filtered, with what a row shows joined in (one query a page).
    ``filters``: viewer, q, band, group, risk, grid, assigned_only. The profile is probed row by row
    (``elder_q(probe=True)``): the page is read in the name index's order and cut at its size."""
    on = on or timezone.localdate()
    qs = _list_people(on=on, **filters).filter(elder_q(on=on, probe=True))
    # Only what a row shows is joined (her address and profile): not the scope's grid and account, whose
    # models would be built for every row of the page for nothing; and of those only the columns a row
    # reads (issue 13: a third of the columns, so less for PostgreSQL to send and for Python to build).
    return (
        qs.select_related(None)
        .select_related("household__building__estate", "elder_profile")
        .only(*LIST_ROW_FIELDS)
        .order_by("name_pinyin", "id")
    )


#: The columns a row of the list reads (``elder_rows``, ``elder_facts``, ``ElderFacts.short_address``, and
#: the building's grid for a grid worker's ``may_see_sensitive_ids``).
LIST_ROW_FIELDS = (
    "name",
    "birth_date",
    "lives_alone",
    "household__unit",
    "household__room",
    "household__building__number",
    "household__building__grid_id",
    "household__building__estate__name",
    "elder_profile__living_situation",
    "elder_profile__childless_widowed",
    "elder_profile__risk_level",
    "elder_profile__risk_reasons",
    "elder_profile__risk_override",
)


def count_for_list(*, on: datetime.date | None = None, **filters) -> int:
    """How many elders :func:`elders_for_list` gives with the same filters (``access.count_elders``: by
    age, then the younger ones with a profile; one query)."""
    on = on or timezone.localdate()
    return count_elders(_list_people(on=on, **filters), on=on)


# --- what a row and the page show ---------------------------------------------------------------------


ADL_WORDS = {
    AdlLevel.MILD: lambda: pgettext("daily-living dependence", "mild"),
    AdlLevel.MODERATE: lambda: pgettext("daily-living dependence", "moderate"),
    AdlLevel.SEVERE: lambda: pgettext("daily-living dependence", "severe"),
}


@dataclass
class ElderFacts:
    """What the list and the page say of one elder (computed on the day)."""

    person: Person
    profile: ElderProfile | None
    age: int | None
    band: int | None
    living_situation: str
    living_label: str
    groups: list[str] = field(default_factory=list)
    risk_level: str = RiskLevel.LOW
    derived_level: str = RiskLevel.LOW
    reasons: list[str] = field(default_factory=list)
    overridden: bool = False
    sensitive_shown: bool = False
    url: str = ""  # her elder page (set for the rows of the list)

    @property
    def age_text(self) -> str:
        return "—" if self.age is None else str(self.age)

    @property
    def short_address(self) -> str:
        household = self.person.household
        return household.short_address if household else "—"

    @property
    def band_label(self) -> str:
        return band_label(self.band)

    @property
    def risk_label(self) -> str:
        return RiskLevel(self.risk_level).label

    @property
    def derived_label(self) -> str:
        return RiskLevel(self.derived_level).label

    @property
    def reasons_text(self) -> str:
        return " · ".join(self.reasons)


def _profile_of(person: Person) -> ElderProfile | None:
    try:
        return person.elder_profile
    except ElderProfile.DoesNotExist:
        return None


def elder_facts(*, person: Person, sensitive=None, show_sensitive: bool, on: datetime.date) -> ElderFacts:
    """The facts of one elder; ``sensitive`` her SensitiveProfile when the viewer may see it (read
    through the platform, logged), else None. No query."""
    profile = _profile_of(person)
    age = person.age_on(on)
    living = profile.living_situation if profile else default_living_situation(person)
    groups: list[str] = []
    if age is not None and age >= 80:
        groups.append(pgettext("special group", "Aged 80 or over"))
    if profile and profile.childless_widowed:
        groups.append(pgettext("special group", "Widowed without children"))
    if living == LivingSituation.ALONE:
        groups.append(pgettext("special group", "Lives alone"))
    if show_sensitive and sensitive is not None:
        if sensitive.adl_level in ADL_DEPENDENT:
            groups.append(
                _("Dependent in daily living (%(degree)s)") % {"degree": ADL_WORDS[sensitive.adl_level]()}
            )
        if sensitive.disability:
            groups.append(pgettext("special group", "Disability"))
        if sensitive.receives_dibao:
            groups.append(pgettext("special group", "Minimum living allowance"))
    if profile is not None:
        derived, codes = profile.risk_level, list(profile.risk_reasons or [])
    else:  # not assessed yet: the rule applied to what is known (the daily refresh stores it)
        derived, codes = assess_person(person=person, profile=None, sensitive=sensitive, unreached=0, on=on)
    effective = profile.effective_risk if profile else derived
    return ElderFacts(
        person=person,
        profile=profile,
        age=age,
        band=age_band(age),
        living_situation=living,
        living_label=LivingSituation(living).label,
        groups=groups,
        risk_level=effective,
        derived_level=derived,
        reasons=reason_words(codes, age=age, show_sensitive=show_sensitive),
        overridden=bool(profile and profile.risk_override),
        sensitive_shown=show_sensitive and sensitive is not None,
    )


def elder_rows(
    *, viewer, persons, ip: str | None = None, on: datetime.date | None = None
) -> list[ElderFacts]:
    """The rows of a page of the list: the sensitive groups for the viewers who may see them, read in one
    batch through the platform (one AccessLog row per person shown)."""
    on = on or timezone.localdate()
    persons = list(persons)
    sensitive = sensitive_profiles_for(viewer=viewer, persons=persons, where="elders:index", ip=ip)
    url = pk_url("elders:elder")
    rows = []
    for p in persons:
        facts = elder_facts(person=p, sensitive=sensitive.get(p.pk), show_sensitive=p.pk in sensitive, on=on)
        facts.url = url(p.pk)
        rows.append(facts)
    return rows


# The elder page's read of her (``elder_page_get``): (alias, model, the attribute of the instance it hangs
# from ("" for the person herself), the join). Every join a LEFT JOIN on a key: one row.
_PAGE_PARTS = (
    ("p", Person, None, None, None),
    ("h", Household, "p", "household", "household"),
    ("b", Building, "h", "building", "building"),
    ("e", Estate, "b", "estate", "estate"),
    ("g", Grid, "b", "grid", "grid"),
    ("u", User, "p", "user", "user"),
    ("ep", ElderProfile, "p", "elder_profile", None),
    ("hu", User, "ep", "helper", "helper"),
    ("fd", User, "ep", "family_doctor", "family_doctor"),
    ("ro", User, "ep", "risk_override_by", "risk_override_by"),
    ("ub", User, "ep", "updated_by", "updated_by"),
    ("cp", ContactPlan, "p", "contact_plan", None),
    ("ca", User, "cp", "assigned_to", "assigned_to"),
)


@functools.lru_cache(maxsize=4)
def _page_get_sql(vendor: str) -> str:
    """The text of the elder page's read up to her scope (``WHERE p.id = (``), written once per process from the
    models' own table and column names; every value is a parameter."""
    qn = connection.ops.quote_name
    models = {alias: model for alias, model, *_ in _PAGE_PARTS}
    joins = []
    for alias, model, parent, _attr, forward in _PAGE_PARTS[1:]:
        table = qn(model._meta.db_table)
        if forward:  # her household, its building, ...: the parent's foreign key
            column = qn(models[parent]._meta.get_field(forward).column)
            on = f"{alias}.{qn(model._meta.pk.column)} = {parent}.{column}"
        else:  # her profile, her contact plan: their one-to-one key to her
            field = next(
                f for f in model._meta.concrete_fields if f.is_relation and f.related_model is Person
            )
            on = f"{alias}.{qn(field.column)} = {parent}.{qn(Person._meta.pk.column)}"
        joins.append(f"LEFT OUTER JOIN {table} {alias} ON {on}")
    consent = Consent._meta
    health = (
        f"EXISTS(SELECT 1 FROM {qn(consent.db_table)} c "  # noqa: S608 - the models' own names
        f"WHERE c.{qn(consent.get_field('person').column)} = p.{qn(Person._meta.pk.column)} "
        f"AND c.{qn(consent.get_field('purpose').column)} = %s "
        f"AND c.{qn(consent.get_field('withdrawn_at').column)} IS NULL)"
    )
    select = ", ".join(select_list(model, alias) for alias, model, *_ in _PAGE_PARTS)
    return (
        f"SELECT {select}, {health} FROM {qn(Person._meta.db_table)} p {' '.join(joins)} "  # noqa: S608
        f"WHERE p.{qn(Person._meta.pk.column)} = "
    )


def elder_page_get(*, viewer, person_id, on: datetime.date | None = None) -> Person:
    """One elder for her page, with her address, her account, her profile's people, her contact plan (and
    who holds it) loaded and ``health_consent`` (whether her health consent stands) set: what the page and
    its sections read of her, in one query; Http404 outside the viewer's scope.

    The SQL is written once (``_page_get_sql``) and only her scope (``elders_visible_to``, which depends on
    the viewer) is built by the ORM for each request, as a subquery of ids: the ORM's version of this read,
    with its thirteen tables, cost more to build than to run (issue 13). A test holds it to that version
    (``select_related`` of the same relations)."""
    from django.core.exceptions import EmptyResultSet
    from django.http import Http404

    try:
        # Her id when the viewer may see her (at most one row): a scalar subquery, run once before the
        # joins (as a semi-join it would be one more table for the planner to order with the thirteen).
        scope = elders_visible_to(viewer=viewer, on=on).filter(pk=person_id).values("pk").order_by()[:1]
        scope_sql, scope_params = scope.query.sql_with_params()
    except (ValueError, TypeError, OverflowError, EmptyResultSet):
        raise Http404("No such elder.") from None
    with connection.cursor() as cursor:
        cursor.execute(
            f"{_page_get_sql(connection.vendor)}({scope_sql})",
            [ConsentPurpose.HEALTH, *scope_params],
        )
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such elder.")
    found = dict(
        zip(
            (alias for alias, *_ in _PAGE_PARTS),
            instances_from_row(row[:-1], *(model for _, model, *_ in _PAGE_PARTS)),
            strict=True,
        )
    )
    for alias, _model, parent, attr, forward in _PAGE_PARTS[1:]:
        instance, owner = found[alias], found[parent]
        value = instance if instance.pk is not None else None
        if forward:
            owner._meta.get_field(forward).set_cached_value(owner, value)
        else:  # her profile, her contact plan (absent: None, as select_related leaves it)
            descriptor = getattr(Person, attr)
            descriptor.related.set_cached_value(owner, value)
            if value is not None:
                descriptor.related.field.set_cached_value(value, owner)
    person = found["p"]
    person.health_consent = bool(row[-1])
    # The sections take her contact plan from here (fresh), not from a cache an earlier write left.
    person.read_for_page = True
    return person


@dataclass
class FamilyMember:
    person: Person
    relation: str
    receives_notices: bool


def elder_page(*, viewer, elder: Person, ip: str | None = None, on: datetime.date | None = None) -> dict:
    """The context of the elder page (a constant number of queries). Her family (those who act for her)
    is read once: who hears her notices when she has no account of her own, and whether the viewer acts
    for her, come from the same rows (``elders.services.recipients.notice_recipients_from``)."""
    from portal.community.selectors import may_act_for, may_see_sensitive

    from ..services.recipients import notice_recipients_from

    on = on or timezone.localdate()
    may_see = may_see_sensitive(viewer=viewer, person=elder)
    sensitive = None
    if may_see:
        sensitive = sensitive_profile_for(viewer=viewer, person=elder, where="elders:elder", ip=ip)
    facts = elder_facts(person=elder, sensitive=sensitive, show_sensitive=may_see, on=on)
    # Only what the page and ``notice_recipients_from`` read of them (names, whether they and their
    # accounts are active): a third of the columns to build and send (issue 13).
    relations = list(
        Relation.objects.filter(relative=elder, kind__in=ACTING_RELATIONS)
        .select_related("subject__user")
        .only("kind", "relative_id", "subject__name", "subject__is_active", "subject__user__is_active")
        .order_by("kind", "id")
    )
    recipients = notice_recipients_from(person=elder, acting=relations)
    receiving = {p.pk for p in recipients}
    family = [
        FamilyMember(
            person=r.subject, relation=r.get_kind_display(), receives_notices=r.subject_id in receiving
        )
        for r in relations
    ]
    # Her own page (her record is the viewer's account's), and whether the viewer acts for her, from her
    # account and the rows above rather than the viewer's own record read again.
    is_me = bool(viewer is not None and viewer.is_authenticated and elder.user_id == viewer.pk)
    acts_for = may_act_for(actor=viewer, person=elder, acting=relations)
    return {
        "elder": elder,
        "facts": facts,
        "profile": facts.profile,
        "sensitive": sensitive if may_see else None,
        "may_see_sensitive": may_see,
        "family": family,
        "recipients": recipients,
        "own_account": has_own_account(elder),
        "phone_shown": phone_shown_to(viewer=viewer, person=elder),
        "is_me": is_me,
        "acts_for": acts_for,
    }


def acting_for_elders(*, viewer, on: datetime.date | None = None) -> QuerySet[Person]:
    """The elders a resident acts for (her mother): for the residents' page of the area."""
    me = person_of(viewer)
    if me is None:
        return Person.objects.none()
    acted = Relation.objects.filter(subject_id=me.pk, kind__in=ACTING_RELATIONS).values("relative_id")
    return (
        elders_visible_to(viewer=viewer, on=on)
        .filter(pk__in=acted)
        .select_related("elder_profile")
        .order_by("name_pinyin", "id")
    )
