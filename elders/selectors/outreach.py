"""Reads of the visit-and-call roster (关爱走访): "my visits and calls", the overdue list by grid, needs.

Every read goes through ``elders.selectors.access`` (the elders the viewer may see) and joins what the page
shows, so a page costs the same number of queries at 3 rows and at 30,000.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass

from django.core.paginator import Page
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from portal.community.models import Grid, Person
from portal.db import concrete_fields, instances_from_row, select_list

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
    for community staff, her grid for a grid worker). Cheaper than the scope's subquery over every person.
    The elder predicate tested on the person: what the pages' statements read from the plan's stored
    ``elder_since`` instead, and what their tests hold them to."""
    return ContactPlan.objects.filter(is_active=True, elder__is_active=True).filter(
        elder_q(on=today, prefix="elder__")
    )


#: What each page's rows show (only that is joined: every model of a join is built for each row).
MY_CONTACTS_JOINS = ("elder__household__building__estate",)
OVERDUE_JOINS = ("elder__household__building__grid", "assigned_to")


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


def _mine_where(alias: str) -> str:
    """Her plans of elders, on the stored ``elder_since`` (``_elder_plans``' predicate, kept true by the
    outreach engine: see ``ContactPlan.elder_since``)."""
    return f"{alias}.is_active AND {alias}.assigned_to_id = %(viewer)s AND {alias}.elder_since <= %(today)s"


@functools.cache
def _mine_groups_sql() -> str:
    """Her plans counted by due date, from the index of her active plans alone (contact_plan_mine). Rows of
    (part, due_on, n, before, due, overdue): part 0 the totals (n: every plan; due, overdue), part 1 the
    due dates whose plans fall in the window [%(lo)s, %(hi)s) of the list or on its last page (``before``:
    how many plans come before that date's)."""
    plan = ContactPlan._meta.db_table
    return (
        f"WITH g AS (SELECT due_on, COUNT(*) AS n FROM {plan} c WHERE {_mine_where('c')} GROUP BY due_on), "  # noqa: S608 - table names from the models, values as parameters
        "w AS (SELECT due_on, n, SUM(n) OVER (ORDER BY due_on ROWS UNBOUNDED PRECEDING) - n AS before, "
        "SUM(n) OVER () AS total FROM g) "
        "SELECT 0, NULL, SUM(n), NULL, SUM(CASE WHEN due_on <= %(today)s THEN n ELSE 0 END), "
        "SUM(CASE WHEN due_on < %(today)s THEN n ELSE 0 END) FROM g "
        "UNION ALL SELECT 1, due_on, n, before, NULL, NULL FROM w "
        "WHERE (before < %(hi)s AND before + n > %(lo)s) "
        "OR before + n > total - 1 - (total - 1) %% %(per_page)s"
    )


def _card_columns():
    """What a card shows, model by model: (model, alias, field names), the plan first."""
    from portal.community.models import Building, Estate, Household

    return (
        (
            ContactPlan,
            "c",
            (
                "id",
                "elder",
                "every_days",
                "method",
                "assigned_to",
                "due_on",
                "last_contact_at",
                "unreached_in_row",
            ),
        ),
        (Person, "p", ("id", "name", "birth_date", "phone", "household")),
        (Household, "h", ("id", "building", "unit", "room")),
        (Building, "b", ("id", "estate", "number", "grid")),
        (Estate, "e", ("id", "name")),
    )


@functools.lru_cache(maxsize=32)
def _mine_page_sql(groups: int) -> str:
    """The page's plans, in the list's order, with what a card shows (of her person, household, building
    and estate: ``_card_columns``), from ``groups`` due dates: of each, its plans by name (``due_on`` =
    %(d<i>)s, %(take<i>)s of them after %(skip<i>)s). One date's plans by name is what lets PostgreSQL
    walk the names' index and stop at the page, where the whole list's order (due date, name) joined every
    plan of the first dates to its person to sort them (issue 13: a third of 10,000 plans due on one
    day)."""
    from portal.community.models import Building, Estate, Household

    plan, person = ContactPlan._meta.db_table, Person._meta.db_table
    parts = " UNION ALL ".join(
        f"SELECT * FROM (SELECT c.id, {i} AS part, p.name FROM {plan} c "  # noqa: S608 - table names from the models, values as parameters
        f"JOIN {person} p ON p.id = c.elder_id WHERE {_mine_where('c')} AND c.due_on = %(d{i})s "
        f"ORDER BY p.name, c.id LIMIT %(take{i})s OFFSET %(skip{i})s) g{i}"
        for i in range(groups)
    )
    return (
        f"SELECT {_columns_sql(_card_columns())} FROM ({parts}) page "  # noqa: S608 - as above
        f"JOIN {plan} c ON c.id = page.id JOIN {person} p ON p.id = c.elder_id "
        f"LEFT JOIN {Household._meta.db_table} h ON h.id = p.household_id "
        f"LEFT JOIN {Building._meta.db_table} b ON b.id = h.building_id "
        f"LEFT JOIN {Estate._meta.db_table} e ON e.id = b.estate_id "
        "ORDER BY page.part, page.name, page.id"
    )


def _overdue_columns():
    """What a row of the overdue list shows, model by model (as ``_card_columns``)."""
    from portal.accounts.models import User
    from portal.community.models import Building, Household

    return (
        (ContactPlan, "c", ("id", "elder", "assigned_to", "due_on", "last_contact_at", "unreached_in_row")),
        (Person, "p", ("id", "name", "household")),
        (Household, "h", ("id", "building")),
        (Building, "b", ("id", "grid")),
        (Grid, "rg", ("id", "name")),
        (User, "u", ("id", "name", "phone")),
    )


def _columns_sql(spec) -> str:
    return ", ".join(select_list(model, alias, names) for model, alias, names in spec)


def _loaders(spec_of) -> list[tuple]:
    """``(model, names)`` for each model of ``spec_of()``: ``portal.db.instances_from_row``'s items for
    the columns a page shows only."""
    return [(model, names) for model, _alias, names in spec_of()]


def _card_plans(rows) -> list[ContactPlan]:
    """The plans of ``_mine_page_sql``'s rows (only what a card shows loaded), each with her person,
    household, building and estate, as ``select_related(*MY_CONTACTS_JOINS)`` gives them."""

    from portal.community.models import Building

    loaders = _loaders(_card_columns)
    link = _plan_linker(Building._meta.get_field("estate").set_cached_value)
    return [link(*instances_from_row(row, *loaders)) for row in rows]


def _plan_linker(set_last):
    """A function that joins a row's plan, person, household, building and the building's ``last`` (its
    estate or its grid, ``set_last``) as ``select_related`` leaves them, and returns the plan (a person
    without a household has None cached there)."""
    from portal.community.models import Household

    set_elder = ContactPlan._meta.get_field("elder").set_cached_value
    set_household = Person._meta.get_field("household").set_cached_value
    set_building = Household._meta.get_field("building").set_cached_value

    def link(plan, person, household, building, last):
        set_elder(plan, person)
        if person.household_id is None:
            set_household(person, None)
        else:
            set_household(person, household)
            set_building(household, building)
            set_last(building, last)
        return plan

    return link


def _overdue_plans_of(rows, start: int) -> list[ContactPlan]:
    """The plans of the overdue statement's page rows (their columns from ``start``), each with her
    person, household, building, grid and the person responsible, as ``select_related(*OVERDUE_JOINS)``
    gives them (only what a row shows loaded)."""

    from portal.community.models import Building

    loaders = _loaders(_overdue_columns)
    link = _plan_linker(Building._meta.get_field("grid").set_cached_value)
    set_assignee = ContactPlan._meta.get_field("assigned_to").set_cached_value
    user_at = start + sum(len(concrete_fields(model, names)) for model, names in loaders[:-1])
    users: dict[int, object] = {}  # one instance for each person responsible (her phone parsed once)
    plans = []
    for row in rows:
        plan = link(*instances_from_row(row, *loaders[:-1], start=start))
        user = None
        if plan.assigned_to_id is not None:
            user = users.get(plan.assigned_to_id)
            if user is None:
                user = users[plan.assigned_to_id] = instances_from_row(row, loaders[-1], start=user_at)[0]
        set_assignee(plan, user)
        plans.append(plan)
    return plans


def responsible_page(
    *, viewer, number, per_page: int, today: datetime.date | None = None
) -> tuple[Page, dict[str, int]]:
    """A page of "my visits and calls" (``Paginator(responsible_plans(...), per_page).get_page(number)``,
    its object_list the rows, each plan with ``MY_CONTACTS_JOINS``) and :func:`responsible_counts`'
    figures. Two queries: her plans counted by due date (the figures, and which dates the page takes),
    then the page's plans date by date with what the cards show. tests/elders/test_outreach_mine.py holds
    it to the ORM reads."""
    from django.core.paginator import Paginator
    from django.db import connection

    from portal.pagination import requested_page

    today = today or timezone.localdate()
    paginator = Paginator([], per_page)
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        paginator.count = 0
        page = paginator.page(1)
        page.object_list = []
        return page, {"total": 0, "due": 0, "overdue": 0}
    wanted = requested_page(number, per_page)  # None: below 1 or far past any list's end, the last page
    lo = (wanted - 1) * per_page if wanted is not None else -1
    params = {"viewer": viewer.pk, "today": today, "per_page": per_page}
    with connection.cursor() as cursor:
        cursor.execute(_mine_groups_sql(), {**params, "lo": lo, "hi": lo + per_page if lo >= 0 else -1})
        rows = cursor.fetchall()
    totals = next(r for r in rows if r[0] == 0)
    counts = {"total": int(totals[2] or 0), "due": int(totals[4] or 0), "overdue": int(totals[5] or 0)}
    paginator.count = counts["total"]
    if wanted is None or wanted > paginator.num_pages:
        wanted = paginator.num_pages  # past the end (or below 1): the last page, as get_page shows it
    page = paginator.page(wanted)
    lo, hi = (wanted - 1) * per_page, wanted * per_page
    groups = []
    for _part, due_on, n, before, _due, _overdue in sorted(
        (r for r in rows if r[0] == 1), key=lambda r: r[1]
    ):
        n, before = int(n), int(before)
        if before < hi and before + n > lo:
            skip = max(lo - before, 0)
            groups.append((due_on, skip, min(hi, before + n) - before - skip))
    plans = []
    if groups:
        for i, (due_on, skip, take) in enumerate(groups):
            params.update({f"d{i}": due_on, f"skip{i}": skip, f"take{i}": take})
        with connection.cursor() as cursor:
            cursor.execute(_mine_page_sql(len(groups)), params)
            plans = _card_plans(cursor.fetchall())
    page.object_list = roster_rows(plans, today=today)
    return page, counts


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


@functools.lru_cache(maxsize=8)
def _overdue_sql(*, scoped: bool, one_grid: bool) -> str:
    """The overdue list's counts by grid and one page of its plans, in one statement (issue 13: the counts
    and the page each joined every overdue plan to her elder, address and grid; here the overdue plans are
    read once, in a CTE both parts take). Rows of (part, grid_id, grid name, overdue, unreached, the
    order's keys, then ``_overdue_columns``): part 0 the counts by grid name, part 1 the page's plans in
    the list's order with what a row shows. Written once from the
    models' tables; tests/elders/test_outreach_overdue_sql.py holds it to overdue_counts_by_grid and
    overdue_plans. Whether her person is an elder is the plan's stored ``elder_since`` (kept true by the
    outreach engine), so the person is read for her name and address only; the page is the top of the
    overdue plans (a top-N sort), not a numbering of them all."""
    from portal.accounts.models import User
    from portal.community.models import Building, Household

    plan, person = ContactPlan._meta.db_table, Person._meta.db_table
    household, building = Household._meta.db_table, Building._meta.db_table
    grid, user = Grid._meta.db_table, User._meta.db_table
    spec = _overdue_columns()
    nulls = ", ".join("NULL" for model, _alias, names in spec for _field in concrete_fields(model, names))
    return (
        "WITH o AS ("  # noqa: S608 - table names from the models, values as parameters
        "SELECT c.id, c.due_on, p.name, b.grid_id, c.unreached_in_row "
        f"FROM {plan} c JOIN {person} p ON p.id = c.elder_id "
        f"LEFT JOIN {household} h ON h.id = p.household_id "
        f"LEFT JOIN {building} b ON b.id = h.building_id "
        "WHERE c.is_active AND c.due_on < %(today)s AND c.elder_since <= %(today)s"
        + (" AND b.grid_id = %(scope)s" if scoped else "")
        + ") "  # noqa: S608
        f"SELECT * FROM ("
        "SELECT 0 AS part, o.grid_id, g.name AS grid, COUNT(*) AS overdue, "
        "COUNT(*) FILTER (WHERE o.unreached_in_row >= 2) AS unreached, NULL AS k_due, NULL AS k_name, "
        f"NULL AS k_id, {nulls} "
        f"FROM o LEFT JOIN {grid} g ON g.id = o.grid_id GROUP BY o.grid_id, g.name "
        "UNION ALL "
        f"SELECT 1, NULL, NULL, NULL, NULL, r.due_on, r.name, r.id, {_columns_sql(spec)} "
        "FROM (SELECT o.id, o.due_on, o.name FROM o"
        + (" WHERE o.grid_id = %(grid)s" if one_grid else "")
        + " ORDER BY o.due_on, o.name, o.id LIMIT %(limit)s OFFSET %(offset)s) r "
        f"JOIN {plan} c ON c.id = r.id JOIN {person} p ON p.id = c.elder_id "
        f"LEFT JOIN {household} h ON h.id = p.household_id LEFT JOIN {building} b ON b.id = h.building_id "
        f"LEFT JOIN {grid} rg ON rg.id = b.grid_id LEFT JOIN {user} u ON u.id = c.assigned_to_id"
        ") x ORDER BY part, grid, grid_id, k_due, k_name, k_id"
    )


def overdue_page(
    *, viewer, number, per_page: int, today: datetime.date | None = None, grid: Grid | None = None
) -> tuple[list[dict], Page]:
    """The overdue list's page: :func:`overdue_counts_by_grid` (every grid the viewer sees) and the page
    ``Paginator(overdue_plans(...), per_page).get_page(number)`` gives (its object_list the page's plans
    with ``OVERDUE_JOINS``; its count the plans of ``grid`` or of every grid). One query for any page
    that exists; a page past the end reads the last page again (one query more), as ``get_page`` shows
    it."""
    from django.core.paginator import Paginator
    from django.db import connection

    from portal.pagination import requested_page

    today = today or timezone.localdate()
    paginator = Paginator([], per_page)
    if not may_see_overdue(viewer=viewer):
        paginator.count = 0
        return [], paginator.get_page(1)
    scoped = not viewer.is_community_staff
    one_grid = not scoped and grid is not None
    sql = _overdue_sql(scoped=scoped, one_grid=one_grid)
    params = {"today": today, "limit": per_page}
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
        return counts, _overdue_plans_of([r for r in rows if r[0] == 1], 8)

    wanted = requested_page(number, per_page)
    first_read = wanted or 1
    counts, plans = read(first_read)
    paginator.count = sum(c["overdue"] for c in counts if not one_grid or c["grid_id"] == grid.pk)
    if wanted is None or wanted > paginator.num_pages:
        wanted = paginator.num_pages  # past the end (or below 1): the last page, as get_page shows it
        if wanted != first_read:
            counts, plans = read(wanted)
    page = paginator.page(wanted)
    page.object_list = plans
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
