"""The holiday day-care (暑托班): programmes of weeks, booking a week or the whole programme for siblings in one go."""

from __future__ import annotations
