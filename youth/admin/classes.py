"""Admin of the youth area: classes."""

from __future__ import annotations
