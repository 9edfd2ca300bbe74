"""Who may collect a child on a day: her guardians (always) and the pickup persons her guardian has
authorised, standing or for that day only. The sign-out page, the printable roster and the guardian's
pages read them here, for many children at a constant number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from ..models import PickupPerson
from .access import guardians_by_child


@dataclass(frozen=True)
class Collector:
    """One person who may collect a child. ``kind`` is ``"guardian"`` or ``"pickup"``; ``pk`` is the
    guardian's Person id or the PickupPerson id; ``only_today`` for a one-day authorisation."""

    kind: str
    pk: int
    name: str
    relation: str
    phone: str
    photo_url: str = ""
    only_today: bool = False

    @property
    def choice_value(self) -> str:
        """The value a sign-out form posts for her: ``guardian:<id>`` or ``pickup:<id>``."""
        return f"{self.kind}:{self.pk}"


def collectors_for(*, child_ids, day: datetime.date | None = None) -> dict[int, list[Collector]]:
    """``{child id: [Collector, ...]}``: guardians first, then standing pickup persons, then those
    authorised for ``day`` only (today by default). Two queries whatever the number of children."""
    from django.utils.translation import gettext as _

    day = day or timezone.localdate()
    child_ids = list(child_ids)
    out: dict[int, list[Collector]] = {pk: [] for pk in child_ids}
    for child_id, guardians in guardians_by_child(child_ids).items():
        for g in guardians:
            out[child_id].append(
                Collector(
                    kind="guardian",
                    pk=g.pk,
                    name=g.name,
                    relation=_("Guardian"),
                    phone=str(g.phone or (g.user.phone if g.user_id else "") or ""),
                )
            )
    people = (
        PickupPerson.objects.valid_on(day).filter(child_id__in=child_ids).order_by("only_on", "name", "pk")
    )
    for p in people:
        out[p.child_id].append(
            Collector(
                kind="pickup",
                pk=p.pk,
                name=p.name,
                relation=p.get_relation_display(),
                phone=str(p.phone or ""),
                photo_url=reverse("youth:pickup_photo", args=[p.pk]) if p.photo else "",
                only_today=p.only_on is not None,
            )
        )
    return out
