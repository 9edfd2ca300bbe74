"""Admin of the youth area: children."""

from __future__ import annotations
