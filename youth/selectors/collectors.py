"""Who may collect a child on a day: her guardians (always) and the pickup persons her guardian has
authorised, standing or for that day only. The sign-out page, the printable roster and the guardian's
pages read them here, for many children at a constant number of queries."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from portal.accounts.models import User
from portal.community.models import Person, Relation, RelationKind
from portal.db import converted, field_converters
from portal.links import pk_url

from ..models import PickupPerson


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


def _converter(model, name: str):
    """The ORM's conversion of ``model.name`` as it is loaded (``portal.db.field_converters``), as one
    function of the value."""
    converters = field_converters(connection.vendor, ((model, name),))
    return lambda value: converted([value], converters)[0]


@functools.lru_cache(maxsize=4)
def _collectors_statement(vendor: str, n: int):
    """The guardians (``guardians_by_child``'s rows: kind 0, in the child's and guardian's order) and the
    pickup persons valid on the day (``PickupPerson.objects.valid_on``, kind 1, in ``only_on``, name and
    id order: the same ORDER BY, so the database sorts the missing days as the ORM query did) of ``n``
    children, in one statement written once; with the conversions of the columns that need them. Its
    parameters: guardian, the children, the day, the children."""
    qn = connection.ops.quote_name
    rel, person, user = (qn(m._meta.db_table) for m in (Relation, Person, User))
    pickup = qn(PickupPerson._meta.db_table)
    ids = ", ".join(["%s"] * n)
    sql = (
        f"SELECT 0 AS {qn('k')}, x.{qn('relative_id')} AS {qn('child')}, p.{qn('id')} AS {qn('pk')}, "  # noqa: S608
        f"p.{qn('name')} AS {qn('nm')}, p.{qn('phone')} AS {qn('ph')}, u.{qn('phone')} AS {qn('uph')}, "
        f"'' AS {qn('rl')}, '' AS {qn('photo')}, NULL AS {qn('only_on')}, '' AS {qn('sn')}, x.{qn('subject_id')} AS {qn('o')} "
        f"FROM {rel} x INNER JOIN {person} p ON p.{qn('id')} = x.{qn('subject_id')} "
        f"LEFT OUTER JOIN {user} u ON u.{qn('id')} = p.{qn('user_id')} "
        f"WHERE x.{qn('kind')} = %s AND x.{qn('relative_id')} IN ({ids}) "
        f"UNION ALL "
        f"SELECT 1, c.{qn('child_id')}, c.{qn('id')}, c.{qn('name')}, c.{qn('phone')}, NULL, "
        f"c.{qn('relation')}, c.{qn('photo')}, c.{qn('only_on')}, c.{qn('name')}, c.{qn('id')} "
        f"FROM {pickup} c WHERE c.{qn('revoked_at')} IS NULL "
        f"AND (c.{qn('only_on')} IS NULL OR c.{qn('only_on')} = %s) AND c.{qn('child_id')} IN ({ids}) "
        f"ORDER BY {qn('k')}, {qn('child')}, {qn('only_on')}, {qn('sn')}, {qn('o')}"
    )  # noqa: S608  (the models' own names; the values are parameters)
    convert = {
        "person_phone": _converter(Person, "phone"),
        "user_phone": _converter(User, "phone"),
        "pickup_phone": _converter(PickupPerson, "phone"),
        "only_on": _converter(PickupPerson, "only_on"),
    }
    return sql, convert


def collectors_for(*, child_ids, day: datetime.date | None = None) -> dict[int, list[Collector]]:
    """``{child id: [Collector, ...]}``: guardians first, then standing pickup persons, then those
    authorised for ``day`` only (today by default). One statement whatever the number of children
    (issue 13: the two ORM queries' building cost more than running them; tests/youth/test_roster_raw.py
    holds it to them)."""
    from django.utils.translation import gettext as _

    day = day or timezone.localdate()
    child_ids = [int(pk) for pk in child_ids]
    out: dict[int, list[Collector]] = {pk: [] for pk in child_ids}
    if not child_ids:
        return out
    sql, convert = _collectors_statement(connection.vendor, len(child_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, [RelationKind.GUARDIAN.value, *child_ids, day, *child_ids])
        rows = cursor.fetchall()
    guardian = _("Guardian")
    relations = dict(PickupPerson._meta.get_field("relation").flatchoices)
    photo_url = pk_url("youth:pickup_photo")
    for kind, child_id, pk, name, phone, user_phone, relation, photo, only_on, _name, _pk in rows:
        if kind == 0:
            phone = convert["person_phone"](phone) or (
                convert["user_phone"](user_phone) if user_phone else ""
            )
            out[child_id].append(
                Collector(kind="guardian", pk=pk, name=name, relation=guardian, phone=str(phone or ""))
            )
        else:
            out[child_id].append(
                Collector(
                    kind="pickup",
                    pk=pk,
                    name=name,
                    relation=str(relations.get(relation, relation)),
                    phone=str(convert["pickup_phone"](phone) or ""),
                    photo_url=photo_url(pk) if photo else "",
                    only_today=convert["only_on"](only_on) is not None,
                )
            )
    return out
