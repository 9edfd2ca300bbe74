"""Reads of the visit-and-call roster (关爱走访): "my visits and calls", the overdue list by grid, needs.

Every read goes through ``elders.selectors.access`` (the elders the viewer may see) and joins what the page
shows, so a page costs the same number of queries at 3 rows and at 30,000.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.paginator import Page
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from portal.community.models import Grid
from portal.pagination import page_with_count

from ..models import ContactLog, ContactPlan, Need, NeedStatus
from .access import elder_q, elders_visible_to

_PLAN_JOINS = (
    "elder__household__building__estate",
    "elder__household__building__grid__leader",
    "assigned_to",
)


def may_see_overdue(*, viewer) -> bool:
    """The overdue list: community staff (every grid) and grid workers (hers)."""
    return bool(
        viewer is not None
        and viewer.is_authenticated
        and (viewer.is_community_staff or (viewer.is_grid_worker and viewer.grid_id))
    )


def _elder_plans(*, today: datetime.date) -> QuerySet[ContactPlan]:
    """Active plans of active elders, without the viewer's scope: for the lists whose own condition already
    lies inside it (her own plans: being assigned an elder is what lets her see her; the overdue list: all
    for community staff, her grid for a grid worker). Cheaper than the scope's subquery over every person."""
    return ContactPlan.objects.filter(is_active=True, elder__is_active=True).filter(
        elder_q(on=today, prefix="elder__")
    )


#: What each page's rows show (only that is joined: every model of a join is built for each row).
MY_CONTACTS_JOINS = ("elder__household__building__estate",)
OVERDUE_JOINS = ("elder__household__building__grid", "assigned_to")


def with_plan_joins(plans, joins=_PLAN_JOINS) -> list[ContactPlan]:
    """A page of plans (a sliced QuerySet of ``responsible_plans`` or ``overdue_plans``) with the elder, her
    address and the assignee joined in, in the page's order. Two queries: the page's ids, chosen from the
    plans and their elders' names alone, then only those rows with their joins (joining every plan before
    the sort cost most of the page at 10,000 plans)."""
    return plans_by_ids(list(plans.values_list("pk", flat=True)), joins)


def plans_by_ids(ids: list[int], joins=_PLAN_JOINS) -> list[ContactPlan]:
    """The plans of ``ids`` (a page's, already chosen) with ``joins``, in the order of ``ids``. One query."""
    by_pk = ContactPlan.objects.select_related(*joins).in_bulk(ids)
    return [by_pk[pk] for pk in ids if pk in by_pk]


# --- my visits and calls -------------------------------------------------------------------------


@dataclass
class RosterRow:
    plan: ContactPlan
    elder: object
    days_late: int  # > 0 overdue, 0 due today, < 0 due in that many days
    url: str = ""  # where its link goes (set by the page: the contact log)

    # What the rows show, read once in Python rather than through the template's lookups (issue 13).
    @property
    def grid_name(self) -> str:
        household = self.elder.household
        grid = household.building.grid if household else None
        return grid.name if grid else ""

    @property
    def due_words(self) -> str:
        """elders/outreach/_due.html's words (the same msgids), for the rows of my visits and calls."""
        if self.overdue:
            n = self.days_late
            return ngettext("%(n)s day overdue", "%(n)s days overdue", n) % {"n": n}
        if self.due:
            return gettext("Due today")
        n = self.due_in
        return ngettext("Due in %(n)s day", "Due in %(n)s days", n) % {"n": n}

    @property
    def age_words(self) -> str:
        age = self.elder.age
        return "" if age is None else gettext("%(n)s years") % {"n": age}

    @property
    def every_words(self) -> str:
        n = self.plan.every_days
        return ngettext("every %(n)s day", "every %(n)s days", n) % {"n": n}

    @property
    def address(self) -> str:
        household = self.elder.household
        return household.address if household else ""

    @property
    def due_text(self) -> str:
        return self.plan.due_on.isoformat()

    @property
    def assignee_name(self) -> str:
        return self.plan.assigned_to.get_short_name() if self.plan.assigned_to_id else ""

    @property
    def overdue(self) -> bool:
        return self.days_late > 0

    @property
    def due(self) -> bool:
        return self.days_late >= 0

    @property
    def due_in(self) -> int:
        return -self.days_late


def responsible_plans(*, viewer, today: datetime.date | None = None) -> QuerySet[ContactPlan]:
    """The plans the viewer is responsible for (her elders), due and overdue first (the longest overdue
    first), elder and address joined in: a QuerySet, to be paginated."""
    today = today or timezone.localdate()
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return ContactPlan.objects.none()
    return (
        _elder_plans(today=today)
        .filter(assigned_to=viewer)
        .select_related(*_PLAN_JOINS)
        .order_by("due_on", "elder__name", "pk")
    )


def roster_rows(plans, *, today: datetime.date) -> list[RosterRow]:
    """Rows of the roster for the given plans (a page of ``responsible_plans``)."""
    return [RosterRow(plan=p, elder=p.elder, days_late=(today - p.due_on).days) for p in plans]


def _responsible_figures(today: datetime.date) -> dict:
    """The summary's figures over the viewer's plans (due = due today or before), as aggregates."""
    return {
        "due": Count("pk", filter=Q(due_on__lte=today)),
        "overdue": Count("pk", filter=Q(due_on__lt=today)),
    }


def responsible_counts(*, viewer, today: datetime.date | None = None) -> dict[str, int]:
    """{"total", "due", "overdue"} of the viewer's plans (due = due today or before). One aggregate query."""
    today = today or timezone.localdate()
    counts = (
        responsible_plans(viewer=viewer, today=today)
        .order_by()
        .aggregate(total=Count("pk"), **_responsible_figures(today))
    )
    return {k: counts.get(k) or 0 for k in ("total", "due", "overdue")}


def responsible_page(
    *, viewer, number, per_page: int, today: datetime.date | None = None, joins=MY_CONTACTS_JOINS
) -> tuple[Page, dict[str, int]]:
    """A page of "my visits and calls" (``get_page``'s page of :func:`responsible_plans`, its object_list
    the rows, each plan with ``joins``) and :func:`responsible_counts`' figures. Two queries: the page's ids
    with the figures over all her plans as window aggregates (the page reads every plan to sort them
    anyway: a separate aggregate read them all a second time), then those plans with their joins."""
    today = today or timezone.localdate()
    page, found = page_with_count(
        responsible_plans(viewer=viewer, today=today).values("pk"),
        per_page,
        number,
        figures=_responsible_figures(today),
    )
    page.object_list = roster_rows(plans_by_ids([r["pk"] for r in page.object_list], joins), today=today)
    return page, {"total": found["count"], "due": found["due"], "overdue": found["overdue"]}


def plans_for_responsible(*, viewer, today: datetime.date | None = None) -> list[RosterRow]:
    """Every plan the viewer is responsible for, as rows, due and overdue first. One query. (The page
    paginates ``responsible_plans`` instead.)"""
    today = today or timezone.localdate()
    return roster_rows(responsible_plans(viewer=viewer, today=today), today=today)


# --- the overdue list ----------------------------------------------------------------------------


def overdue_plans(*, viewer, today: datetime.date | None = None, grid: Grid | None = None) -> QuerySet:
    """Plans whose contact is overdue (due before today), the longest overdue first: every grid for staff
    (or one, ``grid``), her own grid for a grid worker, nothing for anyone else."""
    today = today or timezone.localdate()
    if not may_see_overdue(viewer=viewer):
        return ContactPlan.objects.none()
    qs = _elder_plans(today=today).filter(due_on__lt=today)
    if not viewer.is_community_staff:
        qs = qs.filter(elder__household__building__grid_id=viewer.grid_id)
    elif grid is not None:
        qs = qs.filter(elder__household__building__grid=grid)
    return qs.select_related(*_PLAN_JOINS).order_by("due_on", "elder__name", "pk")


def overdue_counts_by_grid(*, viewer, today: datetime.date | None = None) -> list[dict]:
    """[{"grid_id", "grid", "overdue", "unreached"}] for the grids the viewer sees (one aggregate query);
    elders without an address are counted under ``grid_id`` None."""
    today = today or timezone.localdate()
    if not may_see_overdue(viewer=viewer):
        return []
    qs = _elder_plans(today=today).filter(due_on__lt=today)
    if not viewer.is_community_staff:
        qs = qs.filter(elder__household__building__grid_id=viewer.grid_id)
    rows = (
        qs.order_by()
        .values(
            grid_id=F("elder__household__building__grid_id"), grid=F("elder__household__building__grid__name")
        )
        .annotate(overdue=Count("pk"), unreached=Count("pk", filter=Q(unreached_in_row__gte=2)))
        .order_by("grid")
    )
    return list(rows)


def _overdue_sql(*, scoped: bool, one_grid: bool) -> str:
    """The overdue list's counts by grid and one page of its plans, in one statement (issue 13: the counts
    and the page each joined every overdue plan to her elder, address and grid; here the overdue plans are
    read once, in a CTE both parts take). Rows of (part, grid_id, grid name, overdue, unreached, plan id):
    part 0 the counts by grid name, part 1 the page's plans in the list's order. Written once from the
    models' tables; tests/elders/test_outreach_overdue_sql.py holds it to overdue_counts_by_grid and
    overdue_plans."""
    from portal.community.models import Building, Household, Person

    from ..models import ElderProfile

    plan, person = ContactPlan._meta.db_table, Person._meta.db_table
    household, building = Household._meta.db_table, Building._meta.db_table
    grid, profile = Grid._meta.db_table, ElderProfile._meta.db_table
    return (
        "WITH o AS ("  # noqa: S608 - table names from the models, values as parameters
        "SELECT c.id, c.due_on, p.name, b.grid_id, c.unreached_in_row "
        f"FROM {plan} c JOIN {person} p ON p.id = c.elder_id "
        f"LEFT JOIN {household} h ON h.id = p.household_id "
        f"LEFT JOIN {building} b ON b.id = h.building_id "
        "WHERE c.is_active AND p.is_active AND c.due_on < %(today)s "
        # The profile on the plan's column (as _elder_plans): tested after the join, for the plans whose
        # elder is too young by her age alone, not pushed into a scan of every person.
        f"AND (p.birth_date <= %(cutoff)s OR c.elder_id IN (SELECT person_id FROM {profile}))"
        + (" AND b.grid_id = %(scope)s" if scoped else "")
        + ") "  # noqa: S608
        "SELECT part, grid_id, grid, overdue, unreached, id FROM ("
        "SELECT 0 AS part, o.grid_id, g.name AS grid, COUNT(*) AS overdue, "
        "COUNT(*) FILTER (WHERE o.unreached_in_row >= 2) AS unreached, NULL AS id, "
        "ROW_NUMBER() OVER (ORDER BY g.name, o.grid_id) AS k "
        f"FROM o LEFT JOIN {grid} g ON g.id = o.grid_id GROUP BY o.grid_id, g.name "
        "UNION ALL "
        "SELECT 1, NULL, NULL, NULL, NULL, id, k FROM ("
        "SELECT o.id, ROW_NUMBER() OVER (ORDER BY o.due_on, o.name, o.id) AS k FROM o"
        + (" WHERE o.grid_id = %(grid)s" if one_grid else "")
        + " ORDER BY o.due_on, o.name, o.id LIMIT %(limit)s OFFSET %(offset)s) r"
        ") x ORDER BY part, k"
    )


def overdue_page(
    *, viewer, number, per_page: int, today: datetime.date | None = None, grid: Grid | None = None
) -> tuple[list[dict], Page]:
    """The overdue list's page: :func:`overdue_counts_by_grid` (every grid the viewer sees) and the page
    ``Paginator(overdue_plans(...), per_page).get_page(number)`` gives (its object_list the page's plan
    ids; its count the plans of ``grid`` or of every grid). One query for any page that exists; a page
    past the end reads the last page again (one query more), as ``get_page`` shows it."""
    from django.core.paginator import Paginator
    from django.db import connection

    from portal.pagination import MAX_OFFSET, _requested

    from .access import ELDER_AGE, _cutoff

    today = today or timezone.localdate()
    paginator = Paginator([], per_page)
    if not may_see_overdue(viewer=viewer):
        paginator.count = 0
        return [], paginator.get_page(1)
    scoped = not viewer.is_community_staff
    one_grid = not scoped and grid is not None
    sql = _overdue_sql(scoped=scoped, one_grid=one_grid)
    params = {"today": today, "cutoff": _cutoff(ELDER_AGE, today), "limit": per_page}
    if scoped:
        params["scope"] = viewer.grid_id
    if one_grid:
        params["grid"] = grid.pk

    def read(page_number: int):
        with connection.cursor() as cursor:
            cursor.execute(sql, {**params, "offset": (page_number - 1) * per_page})
            rows = cursor.fetchall()
        counts = [
            {"grid_id": r[1], "grid": r[2], "overdue": r[3], "unreached": r[4]} for r in rows if r[0] == 0
        ]
        return counts, [r[5] for r in rows if r[0] == 1]

    wanted = _requested(number)
    if wanted is not None and (wanted - 1) * per_page > MAX_OFFSET:
        wanted = None
    first_read = wanted or 1
    counts, ids = read(first_read)
    paginator.count = sum(c["overdue"] for c in counts if not one_grid or c["grid_id"] == grid.pk)
    if wanted is None or wanted > paginator.num_pages:
        wanted = paginator.num_pages  # past the end (or below 1): the last page, as get_page shows it
        if wanted != first_read:
            counts, ids = read(wanted)
    page = paginator.page(wanted)
    page.object_list = ids
    return counts, page


def grids_for_filter(*, viewer) -> QuerySet[Grid]:
    if viewer is not None and viewer.is_authenticated and viewer.is_community_staff:
        return Grid.objects.order_by("name")
    return Grid.objects.none()


# --- needs ---------------------------------------------------------------------------------------


def needs_visible_to(*, viewer, today: datetime.date | None = None) -> QuerySet[Need]:
    """Staff: every need; a grid worker: her grid's (and those she owns); anyone else: the needs she owns
    or raised. Elder, address and owner joined in."""
    qs = Need.objects.select_related(
        "elder__household__building__estate", "elder__household__building__grid", "owner", "created_by"
    )
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return qs.none()
    if viewer.is_community_staff:
        return qs
    mine = Q(owner=viewer) | Q(created_by=viewer)
    if viewer.is_grid_worker and viewer.grid_id:
        mine |= Q(elder__household__building__grid_id=viewer.grid_id)
    visible = elders_visible_to(viewer=viewer, on=today)
    return qs.filter(mine).filter(Q(elder_id__in=visible.values("pk")) | Q(owner=viewer))


def need_get_for(*, viewer, need_id) -> Need:
    try:
        return needs_visible_to(viewer=viewer).get(pk=need_id)
    except (Need.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such need.") from None


def needs_open_count(*, viewer) -> int:
    return needs_visible_to(viewer=viewer).exclude(status=NeedStatus.CLOSED).count()


# --- one elder -----------------------------------------------------------------------------------


def recent_contacts(*, elder, limit: int = 5) -> list[ContactLog]:
    return list(
        ContactLog.objects.filter(elder=elder).select_related("by").order_by("-contacted_at", "-pk")[:limit]
    )


def open_needs(*, elder) -> list[Need]:
    return list(
        Need.objects.filter(elder=elder)
        .exclude(status=NeedStatus.CLOSED)
        .select_related("owner")
        .order_by("-created_at")
    )
