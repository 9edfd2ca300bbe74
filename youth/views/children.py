"""Children and guardians: a guardian's children, their school and grade, health notes, emergency contacts and authorised pickup persons."""

from __future__ import annotations

urlpatterns: list = []
