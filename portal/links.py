"""Links for a page of rows with one ``reverse()``, not one a row (issue 13: a ``{% url %}`` per row was a
measurable part of every list page)."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

#: A number no row's key takes, put where the row's key goes and replaced by it.
_MARKER = 987654321987


def pk_url(name: str, *args) -> Callable[[int], str]:
    """A function pk -> the URL of ``name`` for that pk, the pk the last of the URL's arguments (after
    ``args``): ``pk_url("youth:sign_in", session.pk)(child.pk)``. The URL is reversed once."""
    pattern = reverse(name, args=[*args, _MARKER])
    head, _sep, tail = pattern.rpartition(str(_MARKER))
    return lambda pk: f"{head}{int(pk)}{tail}"
