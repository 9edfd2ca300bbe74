"""Traditional festivals and solar terms, computed on the lunar calendar with ``lunar_python`` (6tail's
lunar calendar), not read from a table.

* ``festival_date(code, year)``: the Gregorian date of a festival in a Gregorian year, e.g.
  ``festival_date(LunarFestival.MID_AUTUMN, 2026) == date(2026, 9, 25)``;
* ``festivals_between(first, last)``: every festival from ``first`` to ``last`` (inclusive), in date order,
  as ``FestivalDay(date, code)`` with its translated ``name``.

The lunar festivals fall on a day of a lunar month of the lunar year that begins in that Gregorian year
(春节 is its first day; a leap month never holds them). 冬至 is the winter solstice solar term, always in
December. These are the community's festivals (the demo's festival events); the official days off are a
different thing, held in ``portal.holidays.models``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from lunar_python import Lunar, Solar


class LunarFestival(models.TextChoices):
    SPRING = "spring", _("Spring Festival")
    LANTERN = "lantern", _("Lantern Festival")
    DRAGON_BOAT = "dragon_boat", _("Dragon Boat Festival")
    QIXI = "qixi", _("Qixi Festival")
    MID_AUTUMN = "mid_autumn", _("Mid-autumn Festival")
    DOUBLE_NINTH = "double_ninth", _("Double Ninth Festival")
    WINTER_SOLSTICE = "winter_solstice", _("Winter Solstice")


#: lunar month and day of each lunar festival
LUNAR_DAYS = {
    LunarFestival.SPRING: (1, 1),
    LunarFestival.LANTERN: (1, 15),
    LunarFestival.DRAGON_BOAT: (5, 5),
    LunarFestival.QIXI: (7, 7),
    LunarFestival.MID_AUTUMN: (8, 15),
    LunarFestival.DOUBLE_NINTH: (9, 9),
}

#: lunar_python's name of each solar term we keep
SOLAR_TERMS = {LunarFestival.WINTER_SOLSTICE: ("冬至", "DONG_ZHI")}


def _solar_date(solar: Solar) -> datetime.date:
    return datetime.date(solar.getYear(), solar.getMonth(), solar.getDay())


def festival_date(code: str, year: int) -> datetime.date:
    """The date of festival ``code`` in the Gregorian ``year``. Raises ``ValueError`` for an unknown code."""
    code = LunarFestival(code)
    if code in LUNAR_DAYS:
        month, day = LUNAR_DAYS[code]
        return _solar_date(Lunar.fromYmd(year, month, day).getSolar())
    names = SOLAR_TERMS[code]
    # A lunar year's table holds the term of the December before (its Chinese name) and the one of its
    # own December (its pinyin key): take the one that falls in ``year``.
    for key, solar in Lunar.fromYmd(year, 6, 1).getJieQiTable().items():
        if key in names and solar.getYear() == year:
            return _solar_date(solar)
    raise ValueError(f"no {names[0]} in {year}")  # pragma: no cover - every year has one


@dataclass(frozen=True)
class FestivalDay:
    date: datetime.date
    code: str

    @property
    def name(self) -> str:
        return LunarFestival(self.code).label


def festivals_between(first: datetime.date, last: datetime.date) -> list[FestivalDay]:
    """Every festival from ``first`` to ``last`` (inclusive), in date order."""
    out = []
    for year in range(first.year, last.year + 1):
        for code in LunarFestival:
            day = festival_date(code, year)
            if first <= day <= last:
                out.append(FestivalDay(date=day, code=code.value))
    return sorted(out, key=lambda f: f.date)
