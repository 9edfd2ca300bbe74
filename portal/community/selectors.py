"""Reads of the community registry, always scoped by the acting user.

Who sees whom:

* community staff: everyone;
* a grid worker (网格员): people whose household's building is in her grid;
* partner-organisation staff: people her organisation serves (``Person.served_by``);
* anyone (residents, volunteers, and staff for their own family): herself, the people she may act for
  (guardian / carer relations) and the members of her own household (read only).

Anything outside that scope is simply not in the queryset; lookups by id raise ``Http404``.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field

from allauth.core.internal import ratelimit
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.db import connection
from django.db.models import F, Func, Q, QuerySet, Subquery, Value
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.ratelimits import retry_after, wait_message
from portal.db import select_list
from portal.pagination import page_with_count

from .models import (
    ACTING_RELATIONS,
    AccessLog,
    ClaimStatus,
    Consent,
    ConsentPurpose,
    Estate,
    Household,
    HouseholdClaim,
    Person,
    Relation,
    SensitiveProfile,
)
from .search import name_token_q, search_tokens

#: The fields of SensitiveProfile that a view shows; written to AccessLog.fields.
SENSITIVE_FIELDS = (
    "health_conditions",
    "disability",
    "care_level",
    "allergies",
    "medications",
    "notes",
    "adl_level",
    "receives_dibao",
)


def person_of(user) -> Person | None:
    """The signed-in user's own resident record, or None."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.person
    except Person.DoesNotExist:
        return None


def _people_base() -> QuerySet[Person]:
    return Person.objects.select_related("household__building__estate", "household__building__grid", "user")


def _personal_scope(me: Person | None) -> Q:
    """Herself, the people she acts for, and her own household's members."""
    if me is None:
        return Q(pk__in=[])
    q = Q(pk=me.pk) | Q(
        pk__in=Relation.objects.filter(subject_id=me.pk, kind__in=ACTING_RELATIONS).values("relative_id")
    )
    if me.household_id:
        q |= Q(household_id=me.household_id)
    return q


def _acting_scope(me: Person | None) -> Q:
    """Herself and the people she may act for (edit, consent, book)."""
    if me is None:
        return Q(pk__in=[])
    return Q(pk=me.pk) | Q(
        pk__in=Relation.objects.filter(subject_id=me.pk, kind__in=ACTING_RELATIONS).values("relative_id")
    )


def _role_scope(viewer) -> Q | None:
    """The scope a staff role adds; ``None`` means everyone."""
    if viewer.is_community_staff:
        return None
    if viewer.is_grid_worker and viewer.grid_id:
        return Q(household__building__grid_id=viewer.grid_id)
    if viewer.is_partner_staff and viewer.organization_id:
        served = Person.served_by.through.objects.filter(organization_id=viewer.organization_id)
        return Q(pk__in=served.values("person_id"))
    return Q(pk__in=[])


def people_visible_to(*, viewer) -> QuerySet[Person]:
    """Every Person the viewer may read, with the address joined in (one query per page)."""
    qs = _people_base()
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return qs.none()
    role = _role_scope(viewer)
    if role is None:
        return qs
    return qs.filter(role | _personal_scope(person_of(viewer)))


def person_get_for(*, viewer, person_id) -> Person:
    """One person the viewer may read, or Http404."""
    try:
        return people_visible_to(viewer=viewer).get(pk=person_id)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404("No such person.") from None


def people_actable_by(*, actor) -> QuerySet[Person]:
    """The people the actor may act for: herself and those she is guardian or carer of."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return Person.objects.none()
    return _people_base().filter(_acting_scope(person_of(actor)))


def people_actable_among(*, actor, person_ids) -> list[Person]:
    """Those of ``person_ids`` the actor may act for, in the order given, in one query (a booking form's
    ticked boxes). Ids she may not act for, or that do not exist, are left out: the caller compares."""
    ids = list(dict.fromkeys(person_ids))
    if not ids or actor is None or not actor.is_authenticated or not actor.is_active:
        return []
    # people_actable_by's scope, reached from the account rather than from her record (one query, not
    # two), in SQL written once: every booking POST runs it, and building it through the ORM cost three
    # times what running it does (issue 13). tests/community/test_actable_among.py holds it to
    # people_actable_by.
    params = [*ids, actor.pk, actor.pk, *ACTING_RELATIONS]
    found = {p.pk: p for p in Person.objects.raw(_actable_among_sql(connection.vendor, len(ids)), params)}
    return [found[i] for i in ids if i in found]


@functools.lru_cache(maxsize=32)
def _actable_among_sql(vendor: str, count: int) -> str:
    """``people_actable_among``'s query for ``count`` ids (on ``vendor``'s quoting): the persons among
    them who are her own record (``user_id``) or whom her record is guardian or carer of."""
    qn = connection.ops.quote_name
    person, relation = Person._meta, Relation._meta
    pk, user = qn(person.pk.column), qn(person.get_field("user").column)
    ids = ", ".join(["%s"] * count)
    kinds = ", ".join(["%s"] * len(ACTING_RELATIONS))
    # Only the models' own table and column names go into the text; every value is a parameter.
    return (
        f"SELECT {select_list(Person, 'p')} FROM {qn(person.db_table)} p WHERE p.{pk} IN ({ids}) AND ("  # noqa: S608
        f"p.{user} = %s OR p.{pk} IN (SELECT r.{qn(relation.get_field('relative').column)} "
        f"FROM {qn(relation.db_table)} r JOIN {qn(person.db_table)} s "
        f"ON s.{pk} = r.{qn(relation.get_field('subject').column)} "
        f"WHERE s.{user} = %s AND r.{qn(relation.get_field('kind').column)} IN ({kinds})))"
    )


def relations_of(*, person: Person) -> tuple[list[Relation], list[Relation]]:
    """Her family relations both ways, in one query: those she is the subject of (with the relative),
    then those naming her as the relative (with the subject), each in (kind, id) order."""
    rows = list(
        Relation.objects.filter(Q(subject_id=person.pk) | Q(relative_id=person.pk))
        .select_related("subject", "relative")
        .order_by("kind", "id")
    )
    return (
        [r for r in rows if r.subject_id == person.pk],
        [r for r in rows if r.relative_id == person.pk],
    )


def person_actable_get(*, actor, person_id) -> Person:
    """One person the actor may act for (edit details, consent, contacts), or Http404."""
    try:
        return people_actable_by(actor=actor).get(pk=person_id)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404("No such person.") from None


def may_act_for(*, actor, person: Person, acting=None) -> bool:
    """She is ``person``, or her guardian or carer. ``acting``: the Relations in which someone acts for
    ``person`` (with ``subject`` loaded), when the caller has read them already (the elder page lists her
    family): answered from them and from ``person.user_id``, without a query. Her own record is the
    Person whose account she is, so "she is ``person``" is ``person.user_id == actor.pk`` and "her
    relation" one whose subject's account she is."""
    if acting is not None:
        if actor is None or not actor.is_authenticated or not actor.is_active:
            return False
        if person.user_id is not None and person.user_id == actor.pk:
            return True
        return any(
            r.relative_id == person.pk and r.kind in ACTING_RELATIONS and r.subject.user_id == actor.pk
            for r in acting
        )
    me = person_of(actor)
    if me is None or not actor.is_active:
        return False
    if me.pk == person.pk:
        return True
    return Relation.objects.filter(
        subject_id=me.pk, relative_id=person.pk, kind__in=ACTING_RELATIONS
    ).exists()


def people_acting_for(*, person: Person) -> list[Person]:
    """Those who act for ``person`` (her guardians and carers) and have an active account of their own:
    who hears about her when she has no account."""
    return acting_for_by_person(person_ids=[person.pk]).get(person.pk, [])


def acting_for_by_person(*, person_ids) -> dict[int, list[Person]]:
    """For each of ``person_ids``, the people with an active account who act for her (guardians,
    carers), each with her ``user`` loaded; one query for any number of people."""
    relations = (
        Relation.objects.filter(
            relative_id__in=list(person_ids),
            kind__in=ACTING_RELATIONS,
            subject__is_active=True,
            subject__user__isnull=False,
            subject__user__is_active=True,
        )
        .select_related("subject__user")
        .order_by("id")
    )
    out: dict[int, list[Person]] = {}
    for relation in relations:
        holders = out.setdefault(relation.relative_id, [])
        if all(p.pk != relation.subject_id for p in holders):
            holders.append(relation.subject)
    return out


def may_see_sensitive(*, viewer, person: Person) -> bool:
    """Only the roles that need health data: staff, her grid worker, partner staff serving her, herself,
    her guardian or carer. Household members as such do not."""
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return False
    if viewer.is_community_staff:
        return True
    in_her_grid = (
        viewer.is_grid_worker
        and viewer.grid_id
        and Person.objects.filter(pk=person.pk, household__building__grid_id=viewer.grid_id).exists()
    )
    serves_her = (
        viewer.is_partner_staff
        and viewer.organization_id
        and person.served_by.filter(pk=viewer.organization_id).exists()
    )
    if in_her_grid or serves_her:
        return True
    return may_act_for(actor=viewer, person=person)


def sensitive_profile_for(*, viewer, person: Person, where: str, ip: str | None = None) -> SensitiveProfile:
    """The person's sensitive profile, for a viewer whose role needs it; logged in AccessLog every time.

    Raises PermissionDenied for anyone else (and logs nothing, since nothing was shown). When no profile
    has been recorded yet, an unsaved empty one is returned (``pk is None``) and the view is still logged.
    """
    if not may_see_sensitive(viewer=viewer, person=person):
        raise PermissionDenied
    fields, reason = ",".join(SENSITIVE_FIELDS), where[:100]
    if connection.vendor == "postgresql":  # the row and the read in one statement, as for a list
        found = _log_and_read_sensitive(viewer, [person.pk], fields, reason, ip, timezone.now())
        return found[0] if found else SensitiveProfile(person=person)
    AccessLog.objects.create(user=viewer, person=person, fields=fields, reason=reason, ip_address=ip or None)
    try:
        return SensitiveProfile.objects.get(person=person)
    except SensitiveProfile.DoesNotExist:
        return SensitiveProfile(person=person)


def sensitive_access_log(
    *, viewer, persons=(), person_ids=(), fields: str, where: str, ip: str | None = None
) -> int:
    """Log a view of sensitive data kept outside SensitiveProfile (a service area's health readings):
    one AccessLog row per person shown (``persons``, or their ids as ``person_ids``), in one insert, all
    at the same moment. The caller has checked ``may_see_sensitive``.

    On PostgreSQL the insert is one statement with the ids as an array (one round trip, no model
    instances; a statement is atomic on its own): ``bulk_create`` wraps its INSERT in BEGIN and COMMIT and
    builds a row object for each person, about a millisecond and a half of a roster page (issue 13)."""
    ids = list(dict.fromkeys([*(p.pk for p in persons), *(int(pk) for pk in person_ids)]))
    if not ids:
        return 0
    now = timezone.now()
    user_id = viewer.pk if viewer is not None else None
    fields, reason = fields[:200], where[:100]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_access_log_insert_sql(), [user_id, fields, reason, ip or None, now, ids])
        return len(ids)
    AccessLog.objects.bulk_create(
        [
            AccessLog(
                user_id=user_id, person_id=pk, fields=fields, reason=reason, ip_address=ip or None, at=now
            )
            for pk in ids
        ]
    )
    return len(ids)


@functools.cache
def _access_log_insert_sql() -> str:
    """PostgreSQL: the INSERT of one AccessLog row a person, in the order of the ids array (the last
    parameter), with the viewer, fields, reason, address and moment shared (the first five). Only the
    model's own quoted table and column names go into the text; every value is a parameter."""
    log = AccessLog._meta
    qn = connection.ops.quote_name
    columns = ", ".join(
        qn(log.get_field(name).column) for name in ("user", "person", "fields", "reason", "ip_address", "at")
    )
    return (
        f"INSERT INTO {qn(log.db_table)} ({columns}) "  # noqa: S608
        "SELECT %s::bigint, ids.pk, %s::varchar, %s::varchar, %s::inet, %s::timestamptz "
        "FROM unnest(%s::bigint[]) WITH ORDINALITY AS ids(pk, n) ORDER BY ids.n"
    )


def may_see_sensitive_ids(*, viewer, persons) -> set[int]:
    """:func:`may_see_sensitive` for a list of people (a page of a list), at most three queries whatever
    their number. ``persons`` should have their household's building loaded (``people_visible_to``)."""
    persons = list(persons)
    if viewer is None or not viewer.is_authenticated or not viewer.is_active or not persons:
        return set()
    ids = {p.pk for p in persons}
    if viewer.is_community_staff:
        return ids
    seen: set[int] = set()
    if viewer.is_grid_worker and viewer.grid_id:
        seen |= {p.pk for p in persons if p.household_id and p.household.building.grid_id == viewer.grid_id}
    if viewer.is_partner_staff and viewer.organization_id:
        seen |= set(
            Person.served_by.through.objects.filter(
                organization_id=viewer.organization_id, person_id__in=ids - seen
            ).values_list("person_id", flat=True)
        )
    me = person_of(viewer)
    if me is not None and ids - seen:
        seen |= {pk for pk in ids - seen if pk == me.pk}
        seen |= set(
            Relation.objects.filter(
                subject_id=me.pk, relative_id__in=ids - seen, kind__in=ACTING_RELATIONS
            ).values_list("relative_id", flat=True)
        )
    return seen


def sensitive_profiles_for(
    *, viewer, persons, where: str, ip: str | None = None
) -> dict[int, SensitiveProfile]:
    """:func:`sensitive_profile_for` for a list (a page of elders with their 失能 level): the profiles of
    those the viewer may see, keyed by person id (an unsaved empty one where none is recorded), and one
    AccessLog row for each of them, written in one query. The others are simply absent."""
    allowed = may_see_sensitive_ids(viewer=viewer, persons=persons)
    if not allowed:
        return {}
    now = timezone.now()
    ids = sorted(allowed)
    fields, reason = ",".join(SENSITIVE_FIELDS), where[:100]
    if connection.vendor == "postgresql":
        found = {sp.person_id: sp for sp in _log_and_read_sensitive(viewer, ids, fields, reason, ip, now)}
    else:
        AccessLog.objects.bulk_create(
            [
                AccessLog(
                    user=viewer, person_id=pk, fields=fields, reason=reason, ip_address=ip or None, at=now
                )
                for pk in ids
            ]
        )
        found = {sp.person_id: sp for sp in SensitiveProfile.objects.filter(person_id__in=allowed)}
    return {pk: found.get(pk) or SensitiveProfile(person_id=pk) for pk in allowed}


def _log_and_read_sensitive(
    viewer, ids: list[int], fields: str, reason: str, ip, now
) -> list[SensitiveProfile]:
    """PostgreSQL: the AccessLog rows of a list (one a person, in id order, all at ``now``) and the read of
    their profiles in one statement, the insert a data-modifying WITH that always runs to completion.
    One round trip instead of four (bulk_create's BEGIN, INSERT and COMMIT, then the SELECT), and the shared
    values sent once rather than once a row (issue 13: this was the largest part of the elder list)."""
    profile = SensitiveProfile._meta
    qn = connection.ops.quote_name
    sql = (
        f"WITH logged AS ({_access_log_insert_sql()}) "  # noqa: S608 - the models' own names, values as parameters
        f"SELECT {select_list(SensitiveProfile, qn(profile.db_table))} FROM {qn(profile.db_table)} "
        f"WHERE {qn(profile.db_table)}.{qn(profile.get_field('person').column)} = ANY(%s::bigint[])"
    )
    user_id = viewer.pk if viewer is not None else None
    params = [user_id, fields, reason, ip or None, now, ids, ids]
    return list(SensitiveProfile.objects.raw(sql, params))


# --- search ---------------------------------------------------------------------------------------

_ADDRESS_SEPARATORS = re.compile(r"[-－—_/#.栋幢座号楼单元室]+")


def _address_q(token: str) -> Q | None:
    """ "3-1-502" → building 3, unit 1, room 502; "3-502" → building 3, room 502; "3栋1单元502室" too."""
    if not any(ch.isdigit() for ch in token) or not _ADDRESS_SEPARATORS.search(token):
        return None
    parts = [p for p in _ADDRESS_SEPARATORS.split(token) if p]
    if len(parts) == 3:
        return Q(household__building__number=parts[0], household__unit=parts[1], household__room=parts[2])
    if len(parts) == 2:
        return Q(household__building__number=parts[0], household__room=parts[1])
    if len(parts) == 1:
        return Q(household__building__number=parts[0]) | Q(household__room=parts[0])
    return None


# --- phone digits: who may search by them, and how far ----------------------------------------------
#
# A phone number is what lets a stranger reach a child's mother or an elder living alone. Only the roles
# that need residents' numbers may look them up by more digits than the tail everybody is shown: community
# staff (everyone), a grid worker (the people of her grid). Every other role (partner staff, activity
# staff, volunteers at a checkpoint) searches by exactly the last PHONE_TAIL_DIGITS digits, a limited
# number of times (settings.PHONE_SEARCH_RATE_LIMIT, per user): a search can then never confirm more
# digits than were typed, nor walk a number digit by digit. Every search that matches phone digits builds
# its condition with phone_digits_q and counts itself with phone_search_limited.

#: The phone tail every search and every list shows: the last four digits.
PHONE_TAIL_DIGITS = 4
_DIGITS = re.compile(r"\d+")


def needs_phone_numbers(viewer) -> bool:
    """Community staff need every resident's number; a grid worker those of her grid (see below)."""
    return bool(
        viewer is not None and viewer.is_authenticated and viewer.is_active and viewer.is_community_staff
    )


def _grid_of(viewer):
    if viewer is not None and viewer.is_authenticated and viewer.is_active and viewer.is_grid_worker:
        return viewer.grid_id
    return None


def phone_digits_q(
    *,
    viewer,
    digits: str,
    phone_field: str = "phone",
    grid_field: str = "household__building__grid_id",
) -> Q:
    """The condition "``phone_field`` ends with the typed ``digits``", as far as ``viewer`` may search.

    * community staff: any PHONE_TAIL_DIGITS or more trailing digits (up to the whole number);
    * a grid worker: the same for people of her grid (``grid_field``), else as below;
    * everyone else: exactly the last PHONE_TAIL_DIGITS digits; more or fewer match nobody by phone.
    """
    nothing = Q(pk__in=[])
    if not digits.isdigit() or len(digits) < PHONE_TAIL_DIGITS:
        return nothing
    ends = Q(**{f"{phone_field}__endswith": digits})
    if needs_phone_numbers(viewer):
        return ends
    exact_tail = ends if len(digits) == PHONE_TAIL_DIGITS else nothing
    grid = _grid_of(viewer)
    if grid:
        return (ends & Q(**{grid_field: grid})) | exact_tail
    return exact_tail


def phone_shown_to(*, viewer, person: Person) -> str:
    """The phone number as a list of search results may show it to ``viewer``: in full for the roles that
    need it (staff; a grid worker for her grid), else only the tail ("****5678")."""
    if not person.phone:
        return ""
    in_her_grid = bool(
        _grid_of(viewer) and person.household_id and person.household.building.grid_id == viewer.grid_id
    )
    if needs_phone_numbers(viewer) or in_her_grid:
        return str(person.phone)
    digits = "".join(ch for ch in str(person.phone) if ch.isdigit())
    return "****" + digits[-PHONE_TAIL_DIGITS:]


def is_phone_search(q: str) -> bool:
    """Does the query carry phone digits (a run of PHONE_TAIL_DIGITS or more digits)?"""
    return any(len(run) >= PHONE_TAIL_DIGITS for run in _DIGITS.findall(q or ""))


def phone_search_limited(request, *, q: str) -> str | None:
    """Count a search by phone digits against the user's limit (settings.PHONE_SEARCH_RATE_LIMIT).

    Returns None when the search may run (no phone digits, or a role that needs the numbers), else the
    translated message to show next to the search field. The limit is allauth's rate limiter (the one that
    counts sign-in attempts), keyed by the user.
    """
    user = request.user
    if not is_phone_search(q) or needs_phone_numbers(user) or not user.is_authenticated:
        return None
    # The same search shown again (after stamping or checking in someone it found) reveals nothing new
    # and is not counted twice.
    recent_key = f"zhaoxi:phone_search:recent:{user.pk}"
    digest = hashlib.sha256(" ".join((q or "").split()).encode()).hexdigest()[:16]
    recent = cache.get(recent_key) or []
    if digest in recent:
        return None
    usage = ratelimit.consume(
        request,
        app="portal.community",
        action="phone_search",
        config={"phone_search": settings.PHONE_SEARCH_RATE_LIMIT},
        user=user,
        limit_get=True,
    )
    if usage is not None:
        cache.set(recent_key, [digest, *recent][:10], 600)
        return None
    return _("You have searched by phone number too many times. %(wait)s") % {
        "wait": wait_message(retry_after(request))
    }


def _token_q(token: str, viewer=None) -> Q:
    address = _address_q(token)
    if address is not None:
        return address
    if token.isdigit():
        q = Q(household__room=token) | Q(household__building__number=token)
        if len(token) >= PHONE_TAIL_DIGITS:
            q |= phone_digits_q(viewer=viewer, digits=token)
        return q
    if token.isascii() and token.isalpha():
        return name_token_q(token)  # pinyin ("zhang") or initials ("zs"), as at the check-in desk
    # The estates first (a small table), then the people: the condition on the people then needs no join
    # to the estate, and for most words (a surname) no estate matches and the name alone decides.
    estates = list(Estate.objects.filter(name__contains=token).values_list("pk", flat=True))
    if not estates:
        return name_token_q(token)
    return name_token_q(token) | Q(household__building__estate_id__in=estates)


def _tokens(q: str) -> list[str]:
    return search_tokens(q)  # "和谐怡园佳苑3-1-502" → estate, address


def people_search(*, viewer, q: str) -> QuerySet[Person]:
    """Staff search within the viewer's scope, by name, pinyin ("zhang"), initials ("zs"), the last
    digits of the phone ("5678", as far as :func:`phone_digits_q` lets the viewer), or the address
    ("和谐怡园佳苑 3-1-502", or any part of it).

    Every word must match. The result joins the address in, so a page of results is one query. A view
    that runs a search typed by the user first counts it with :func:`phone_search_limited`.
    """
    qs = people_visible_to(viewer=viewer)
    for token in _tokens((q or "").strip()[:100]):
        qs = qs.filter(_token_q(token, viewer))
    return qs


def people_search_page(*, viewer, q: str, number, per_page: int, blocked: bool = False) -> Page:
    """The page ``number`` of :func:`people_search` (nobody when ``blocked``), its paginator's count
    taken on the same query (:func:`portal.pagination.page_with_count`), in two queries: the page's ids
    with the count of every match, then those people with their addresses.

    The count reads every match anyway, so the matches are sorted rather than the name index walked in
    order (which the planner prefers, expecting the first 25 early; "王" at 10,000 people read 27,000
    rows that way, issue 13). The order is the model's: ``name_pinyin || ''`` compares exactly as
    ``name_pinyin`` does (same value, same collation), but no index gives it. The count and the sort run
    over ids and names only; the address is joined for the page's 25 people, not for every match (a
    thousand people called 王 joined to their households, buildings and estates cost more than finding
    them).
    """
    people = people_search(viewer=viewer, q=q)
    if blocked:
        people = people.none()
    unindexed = Func(F("name_pinyin"), Value(""), template="(%(expressions)s)", arg_joiner=" || ")
    ids = people.select_related(None).order_by(unindexed, "id").values("pk")
    page, _found = page_with_count(ids, per_page, number)
    if page.object_list:  # ids of her scope: the rows are read by id, with what a result shows
        order = [row["pk"] for row in page.object_list]
        found = (
            Person.objects.select_related("household__building__estate", "household__building__grid")
            .only(*SEARCH_RESULT_FIELDS)
            .in_bulk(order)
        )
        page.object_list = [found[pk] for pk in order if pk in found]
    return page


#: What a row of the workbench's search results shows (templates/community/workbench.html).
SEARCH_RESULT_FIELDS = (
    "name",
    "birth_date",
    "phone",
    "household__unit",
    "household__room",
    "household__building__number",
    "household__building__grid__name",
    "household__building__estate__name",
)


# --- the family page and claims -------------------------------------------------------------------


@dataclass
class Family:
    """What the "my family" page shows."""

    me: Person | None
    household: Household | None
    members: list[Person] = field(default_factory=list)
    dependents: list[Person] = field(default_factory=list)
    pending_claim: HouseholdClaim | None = None
    last_claim: HouseholdClaim | None = None

    @property
    def everyone(self) -> list[Person]:
        seen, out = set(), []
        for p in [*([self.me] if self.me else []), *self.dependents, *self.members]:
            if p.pk not in seen:
                seen.add(p.pk)
                out.append(p)
        return out


def family_for(*, user) -> Family:
    """Her record, her household's members, her dependents (with consents), and her latest claim.

    Four queries whatever the size of the registry: her latest claim; whom she acts for; everyone the page
    shows (herself, those she acts for, her household) in one query; their active consents.
    """
    claims = list(
        HouseholdClaim.objects.filter(user=user)
        .select_related("household__building__estate")
        .order_by("-created_at")[:1]
    )
    last_claim = claims[0] if claims else None
    pending = last_claim if last_claim and last_claim.status == ClaimStatus.PENDING else None
    if user is None or not user.is_authenticated:
        return Family(me=None, household=None, pending_claim=pending, last_claim=last_claim)
    # Whom she acts for (a few rows), then everyone the page shows in one query whose three conditions
    # are each an index lookup (her account, those ids, her household through a scalar subquery).
    my_relation: dict[int, str] = {}
    for relative_id, kind in (
        Relation.objects.filter(subject__user=user, kind__in=ACTING_RELATIONS)
        .order_by("-kind")
        .values_list("relative_id", "kind")
    ):
        my_relation[relative_id] = kind  # the lowest kind wins when she is both (carer before guardian)
    my_household = Person.objects.filter(user=user).values("household_id")[:1]
    # Only the address is shown (not the grid, nor anyone's account): fewer joins to build and read.
    people = list(
        Person.objects.select_related("household__building__estate")
        .filter(
            Q(user=user)
            | Q(pk__in=list(my_relation))
            | Q(household_id=Subquery(my_household), is_active=True)
        )
        .order_by("birth_date", "id")
    )
    for p in people:
        p.my_relation = my_relation.get(p.pk)
    me = next((p for p in people if p.user_id == user.pk), None)
    if me is None:
        return Family(me=None, household=None, pending_claim=pending, last_claim=last_claim)
    # Herself and her dependents with their active consents, in one query for all of them (the page shows
    # no emergency contacts, only links to them). Grouped here rather than by prefetch_related_objects,
    # whose machinery cost more than the query itself (issue 13).
    shown = [me, *(p for p in people if p is not me and p.my_relation is not None)]
    by_person = {p.pk: p for p in shown}
    for p in shown:
        p.active_consents = []
    for consent in Consent.objects.active().filter(person_id__in=list(by_person)):
        owner = by_person[consent.person_id]
        consent.person = owner
        owner.active_consents.append(consent)
    dependents = [p for p in shown if p is not me]
    members = [
        p
        for p in people
        if p is not me and p.my_relation is None and me.household_id and p.household_id == me.household_id
    ]
    return Family(
        me=me,
        household=me.household,
        members=members,
        dependents=dependents,
        pending_claim=pending,
        last_claim=last_claim,
    )


def consents_for(*, person: Person) -> dict[str, Consent]:
    """Active consents by purpose."""
    return {c.purpose: c for c in Consent.objects.active().filter(person=person)}


def has_consent(*, person: Person, purpose: ConsentPurpose | str) -> bool:
    return Consent.objects.active().filter(person=person, purpose=purpose).exists()


def claims_pending_for(*, viewer) -> QuerySet[HouseholdClaim]:
    """Pending household claims the viewer may decide: community staff all, a grid worker her grid's."""
    qs = HouseholdClaim.objects.filter(status=ClaimStatus.PENDING).select_related(
        "user", "household__building__estate", "household__building__grid"
    )
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return qs.none()
    if viewer.is_community_staff:
        return qs.order_by("created_at")
    if viewer.is_grid_worker and viewer.grid_id:
        return qs.filter(household__building__grid_id=viewer.grid_id).order_by("created_at")
    return qs.none()


def claim_pending_get_for(*, viewer, claim_id) -> HouseholdClaim:
    try:
        return claims_pending_for(viewer=viewer).get(pk=claim_id)
    except (HouseholdClaim.DoesNotExist, ValueError, TypeError):
        raise Http404("No such claim.") from None


def household_find(*, estate, building_number: str, unit: str, room: str) -> Household | None:
    """The household at an address, or None."""
    return (
        Household.objects.select_related("building__estate", "building__grid")
        .filter(
            building__estate=estate,
            building__number=(building_number or "").strip(),
            unit=(unit or "").strip(),
            room=(room or "").strip(),
        )
        .first()
    )
