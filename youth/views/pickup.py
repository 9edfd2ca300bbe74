"""Safe pickup: sign-in at drop-off, sign-out at pickup to an authorised person only, refusals, children not collected."""

from __future__ import annotations

urlpatterns: list = []
