"""Who may see which elder. Every elders page and task reads elders through these two functions.

* community staff: every elder;
* a grid worker: the elders of her grid;
* partner staff: the elders her organisation serves (``Person.served_by``);
* anyone else (a volunteer, a party member, an elder helping an elder): the elders she is paired with
  (``ElderProfile.helper``) or responsible for contacting (``ContactPlan.assigned_to``);
* and, as on the rest of the portal, herself and the people she acts for (a daughter for her mother).

An elder is an active resident aged ``ELDER_AGE`` or more on the day, or anyone with an elder profile
(a 58-year-old disabled resident on the roster is still on it).
"""

from __future__ import annotations

import datetime

from django.db import connections
from django.db.models import BooleanField, OuterRef, Q, QuerySet, Subquery, Value
from django.http import Http404
from django.utils import timezone

from portal.community.models import Person
from portal.community.selectors import people_visible_to, person_of

from ..models import ContactPlan, ElderProfile

ELDER_AGE = 60
#: The age bands shown on the pages and used by the filters: (lowest age, label code).
AGE_BANDS = (90, 80, 70, 60)


def _cutoff(years: int, on: datetime.date) -> datetime.date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def elder_q(*, on: datetime.date | None = None, prefix: str = "", probe: bool = False) -> Q:
    """The Q that makes a Person an elder on the day ``on`` (today by default).

    The profile is tested with a subquery, not a join: a join to the profile under an OR keeps PostgreSQL
    from using the indexes and made the lists scan and hash every person. ``probe``: for a page read in
    an index's order and cut by LIMIT, the profile is looked up row by row (a correlated scalar subquery,
    one index probe for each person too young by her age alone) instead of ``IN (subquery)``, which
    PostgreSQL answers by hashing every profile first (issue 13: most of the elder list's page query).
    A person without a profile gives NULL there, which WHERE takes as false: the same meaning."""
    on = on or timezone.localdate()
    by_age = Q(**{f"{prefix}birth_date__lte": _cutoff(ELDER_AGE, on)})
    if probe:
        has_profile = Subquery(
            ElderProfile.objects.filter(person_id=OuterRef(f"{prefix}pk"))
            .order_by()
            .values(flag=Value(True, output_field=BooleanField()))[:1],
            output_field=BooleanField(),
        )
        return by_age | Q(has_profile)
    return by_age | Q(**{f"{prefix}pk__in": ElderProfile.objects.values("person_id")})


def count_elders(people: QuerySet[Person], *, on: datetime.date | None = None) -> int:
    """How many of ``people`` (a QuerySet of persons, without the elder predicate) are elders on the day:
    those old enough by their birth date, plus those younger (or of unknown age) with an elder profile.
    The two are disjoint, so the sum is exact. One query; on PostgreSQL the first part reads the index of
    active persons' birth dates alone and the second walks the profiles, where the single count with the
    OR scanned and filtered every person (issue 13)."""
    on = on or timezone.localdate()
    cutoff = _cutoff(ELDER_AGE, on)
    base = people.select_related(None).order_by()
    parts = (
        base.filter(birth_date__lte=cutoff),
        base.exclude(birth_date__lte=cutoff).filter(pk__in=ElderProfile.objects.values("person_id")),
    )
    sqls, params = [], []
    for i, part in enumerate(parts):
        if part.query.is_empty():
            continue
        sql, part_params = part.values("pk").query.sql_with_params()
        sqls.append(f"(SELECT COUNT(*) FROM ({sql}) elders_count_{i})")  # noqa: S608 - the ORM's own SQL and parameters
        params.extend(part_params)
    if not sqls:
        return 0
    with connections[people.db].cursor() as cursor:
        cursor.execute("SELECT " + " + ".join(sqls), params)
        return int(cursor.fetchone()[0])


def age_band(age: int | None) -> int | None:
    """The band an age falls in: 90, 80, 70, 60, or None under 60 (or unknown)."""
    if age is None:
        return None
    for low in AGE_BANDS:
        if age >= low:
            return low
    return None


def _assignment_q(user) -> Q:
    """Paired with her or responsible for her contacts, as two subqueries (no joins, so no duplicates and
    no DISTINCT), each an index lookup on the helper or the assignee."""
    return Q(pk__in=ElderProfile.objects.filter(helper_id=user.pk).values("person_id")) | Q(
        pk__in=ContactPlan.objects.filter(assigned_to_id=user.pk).values("elder_id")
    )


def assignment_q(user) -> Q:
    """The elders a user is paired with (结对帮扶) or responsible for contacting."""
    return _assignment_q(user)


def people_in_scope(*, viewer) -> QuerySet[Person]:
    """The active persons the viewer may see as elders if they are elders: her role's scope, her family,
    and (for anyone not community staff) those she is paired with. Without the elder predicate: for
    :func:`count_elders`; everything else reads :func:`elders_visible_to`."""
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return Person.objects.none()
    base = people_visible_to(viewer=viewer)
    if not viewer.is_community_staff:
        # people_visible_to gives the role's scope and her own family; add the elders paired with her.
        base = base | Person.objects.filter(_assignment_q(viewer))
    return base.filter(is_active=True)


def elders_visible_to(*, viewer, on: datetime.date | None = None, probe: bool = False) -> QuerySet[Person]:
    """The active elders the viewer may see, address and account joined in (one query for a page).
    ``probe``: see :func:`elder_q` (for a page taken in an index's order)."""
    # Every condition is on the person's own row or a subquery (the scopes, the assignment, the profile):
    # one row per person without DISTINCT, which would sort or hash every elder before a page is taken.
    return people_in_scope(viewer=viewer).filter(elder_q(on=on, probe=probe))


def elder_get_for(*, viewer, person_id, on: datetime.date | None = None) -> Person:
    """One elder the viewer may see, or Http404 (another organisation's client, an elder outside her
    assignment, a URL typed by hand)."""
    try:
        return elders_visible_to(viewer=viewer, on=on).get(pk=person_id)
    except (Person.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such elder.") from None


def is_assigned(*, viewer, person: Person) -> bool:
    """True when the viewer is the elder's paired helper or responsible for her contacts."""
    if viewer is None or not viewer.is_authenticated:
        return False
    return Person.objects.filter(_assignment_q(viewer), pk=person.pk).exists()


__all__ = [
    "AGE_BANDS",
    "ELDER_AGE",
    "age_band",
    "assignment_q",
    "count_elders",
    "elder_get_for",
    "elder_q",
    "elders_visible_to",
    "is_assigned",
    "people_in_scope",
    "person_of",
]
