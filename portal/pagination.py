"""A page of a list and the list's length in one query (issue 13).

``Paginator(qs, n).get_page(number)`` costs two queries: a COUNT over the whole list, then the page. Where
the page's query has to read the whole list anyway (sorted by something no index gives, the top rows then
taken), the count rides along on it as a window aggregate (``COUNT(*) OVER ()``: computed over every row
before LIMIT/OFFSET) and the separate COUNT goes. The page is the one ``get_page`` gives: a number that is
not a whole number shows the first page, one past the end (or below 1) the last; only then, when the page
asked for has no rows, is the list counted on its own (one query more, and the last page read again).
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window

#: The largest OFFSET a page may ask of the database (PostgreSQL's is a bigint).
MAX_OFFSET = 2**63 - 1

#: The annotation that carries the list's length on every row of the page.
COUNT_KEY = "page_list_count"


def requested_page(number, per_page: int) -> int | None:
    """The page number a list read by hand should read first, by ``Paginator.get_page``'s rules without the
    count: 1 for anything not a whole number; None below 1, or so far past any list's end that the page's
    end is beyond the largest OFFSET the database takes (``get_page`` then shows the last page: count the
    list on its own, then read that). The areas' pages read in raw SQL take their page number from here."""
    try:
        if isinstance(number, float) and not number.is_integer():
            raise ValueError
        number = int(number)
    except (TypeError, ValueError):
        return 1
    if number < 1 or number * per_page > MAX_OFFSET:
        return None
    return number


def _value(row, key):
    return row[key] if isinstance(row, dict) else getattr(row, key)


def page_with_count(
    queryset: QuerySet, per_page: int, number, *, figures: dict | None = None, count=None
) -> tuple[Page, dict[str, int]]:
    """The page ``Paginator(queryset, per_page).get_page(number)`` gives (its ``object_list`` a list, its
    paginator's ``count`` set), and ``{"count": the list's length, **figures}``: each of ``figures`` an
    aggregate over the whole list (``Count("pk", filter=Q(...))``), taken with the page as a window too.
    One query for any page that exists.

    ``count``: an expression that gives the list's length on every row in place of the window count, for
    a list whose page is read in an index's order and cut by LIMIT (the window would read the whole list
    for it): an uncorrelated subquery that indexes answer, computed once (the clinic entry page)."""
    figures = figures or {}
    windows = {COUNT_KEY: count if count is not None else Window(Count("pk"))}
    windows.update({f"{COUNT_KEY}_{name}": Window(aggregate) for name, aggregate in figures.items()})
    annotated = queryset.annotate(**windows)  # on a .values() list: added to each row's keys
    paginator = Paginator(queryset, per_page)
    number = requested_page(number, per_page)
    if number is not None:
        bottom = (number - 1) * per_page
        rows = list(annotated[bottom : bottom + per_page])
        if rows or number == 1:
            first = rows[0] if rows else None
            found = {"count": _value(first, COUNT_KEY) if first is not None else 0}
            for name in figures:
                found[name] = (_value(first, f"{COUNT_KEY}_{name}") or 0) if first is not None else 0
            paginator.count = found["count"]
            return Page(rows, number, paginator), found
    # Past the end (or below 1): count on its own, then the last page, as get_page does.
    if figures:
        totals = queryset.order_by().aggregate(count=Count("pk"), **figures)
        found = {name: totals.get(name) or 0 for name in ("count", *figures)}
    else:  # count() leaves out the annotations nothing refers to (the rows' subqueries)
        found = {"count": queryset.count()}
    paginator.count = found["count"]
    number = paginator.num_pages
    bottom = (number - 1) * per_page
    return Page(list(annotated[bottom : bottom + per_page]), number, paginator), found
