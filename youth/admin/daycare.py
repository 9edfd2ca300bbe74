"""Admin of the youth area: daycare."""

from __future__ import annotations
