"""Figures of the youth area for the staff dashboard and the ledgers (see portal.reports.registry).

The numbers are read by ``youth.selectors.stats.youth_counts`` (four aggregate queries); what a child
service instance is, and how the grid filter works, is said there.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from portal.reports.registry import Figure

#: key, order; the labels and units are in ``_labels`` (translated when asked).
KEYS = (
    "child_instances",
    "daycare_instances",
    "class_instances",
    "other_instances",
    "children",
    "daycare_places",
    "daycare_children",
    "daycare_days",
    "pickups_refused",
    "classes_held",
    "lectures_held",
    "lecture_attendance",
)


def _labels() -> dict[str, tuple[str, str]]:
    times = _("person-times")
    return {
        "child_instances": (_("Child service instances"), times),
        "daycare_instances": (_("Of those, at the holiday day-care"), times),
        "class_instances": (_("Of those, at holiday classes"), times),
        "other_instances": (_("Of those, at other youth activities"), times),
        "children": (_("Children served"), pgettext("unit", "children")),
        "daycare_places": (_("Day-care places booked"), pgettext("unit", "child-weeks")),
        "daycare_children": (_("Children at the day-care"), pgettext("unit", "children")),
        "daycare_days": (_("Day-care days held"), pgettext("calendar", "days")),
        "pickups_refused": (_("Pickups refused at the door"), pgettext("unit", "refusals")),
        "classes_held": (_("Holiday classes held"), pgettext("unit", "classes")),
        "lectures_held": (_("Parenting lectures held"), pgettext("unit", "lectures")),
        "lecture_attendance": (_("Parenting lecture attendance"), times),
    }


def figures(*, start: datetime.date, end: datetime.date, grid=None) -> list[Figure]:
    from .selectors.stats import youth_counts

    counts = youth_counts(start=start, end=end, grid=grid)
    labels = _labels()
    area, area_label = "youth", _("Children and youth")
    return [
        Figure(
            key=f"youth.{key}",
            label=labels[key][0],
            value=counts[key],
            unit=labels[key][1],
            area=area,
            area_label=area_label,
            order=10 + i,
        )
        for i, key in enumerate(KEYS)
    ]
