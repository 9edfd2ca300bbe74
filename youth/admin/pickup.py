"""Admin of the youth area: pickup."""

from __future__ import annotations
