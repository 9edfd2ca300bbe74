"""Reads for accounts."""

from __future__ import annotations

from portal.accounts.models import Role, User


def users_with_role(*, role: str):
    """Active users holding ``role`` (e.g. ``Role.GRID_WORKER``), with grid and organisation loaded."""
    return (
        User.objects.filter(is_active=True, role=role).select_related("grid", "organization").order_by("name")
    )


def staff_for_grid(*, grid) -> list[User]:
    """Grid workers serving ``grid``."""
    return list(users_with_role(role=Role.GRID_WORKER).filter(grid=grid))
