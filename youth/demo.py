"""The youth area of the demo community (called by ``manage.py seed_demo``)."""

from __future__ import annotations


def seed(*, stdout, today) -> None:
    return None
