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

from django.db.models import Q, QuerySet
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


def elder_q(*, on: datetime.date | None = None, prefix: str = "") -> Q:
    """The Q that makes a Person an elder on the day ``on`` (today by default).

    The profile is tested with a subquery, not a join: a join to the profile under an OR keeps PostgreSQL
    from using the indexes and made the lists scan and hash every person."""
    on = on or timezone.localdate()
    return Q(**{f"{prefix}birth_date__lte": _cutoff(ELDER_AGE, on)}) | Q(
        **{f"{prefix}pk__in": ElderProfile.objects.values("person_id")}
    )


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


def elders_visible_to(*, viewer, on: datetime.date | None = None) -> QuerySet[Person]:
    """The active elders the viewer may see, address and account joined in (one query for a page)."""
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return Person.objects.none()
    base = people_visible_to(viewer=viewer)
    if not viewer.is_community_staff:
        # people_visible_to gives the role's scope and her own family; add the elders paired with her.
        base = base | Person.objects.filter(_assignment_q(viewer))
    # Every condition is on the person's own row or a subquery (the scopes, the assignment, the profile):
    # one row per person without DISTINCT, which would sort or hash every elder before a page is taken.
    return base.filter(elder_q(on=on), is_active=True)


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
    "elder_get_for",
    "elder_q",
    "elders_visible_to",
    "is_assigned",
    "person_of",
]
