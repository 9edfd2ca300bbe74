"""``people_actable_among`` (a booking form's ticked persons, in SQL written once) lets through exactly
those ``people_actable_by`` does: herself and those she is guardian or carer of, never her husband, a
neighbour, a stranger, or anyone for an account that is not active."""

import pytest

from portal.community.models import Relation, RelationKind
from portal.community.selectors import people_actable_among, people_actable_by

from .factories import PersonFactory, RelationFactory

pytestmark = pytest.mark.django_db


def _everyone(world):
    return [world.mum, world.husband, world.son, world.granny, world.neighbour, world.stranger]


def test_the_same_people_as_people_actable_by_in_the_order_given(world):
    # a relation that does not let her act (a household member) is not enough
    RelationFactory(subject=world.mum, relative=world.husband, kind=RelationKind.SPOUSE)
    ids = [p.pk for p in reversed(_everyone(world))]
    for actor in (world.mum_user, world.other_resident_user, world.staff):
        allowed = set(people_actable_by(actor=actor).values_list("pk", flat=True))
        got = people_actable_among(actor=actor, person_ids=ids)
        assert [p.pk for p in got] == [i for i in ids if i in allowed]
    got = people_actable_among(actor=world.mum_user, person_ids=ids)
    assert [p.name for p in got] == ["李秀英", "张小明", "朱晓燕"]
    # whole records, as the booking's checks read them
    granny = got[0]
    assert (granny.birth_date, granny.household_id) == (world.granny.birth_date, world.granny.household_id)


def test_ids_repeated_or_unknown_and_accounts_not_active(world):
    assert [p.pk for p in people_actable_among(actor=world.mum_user, person_ids=[world.son.pk] * 3)] == [
        world.son.pk
    ]
    assert people_actable_among(actor=world.mum_user, person_ids=[10**9]) == []
    assert people_actable_among(actor=world.mum_user, person_ids=[]) == []
    world.mum_user.is_active = False
    assert people_actable_among(actor=world.mum_user, person_ids=[world.son.pk]) == []


def test_a_carer_of_someone_else_acts_only_for_her_own(world):
    """Another resident who cares for her own father: his booking may include him, never 朱晓燕's son."""
    own = PersonFactory(name="钱父")
    me = PersonFactory(name="钱七", user=world.other_resident_user)
    Relation.objects.create(subject=me, relative=own, kind=RelationKind.CARER)
    got = people_actable_among(actor=world.other_resident_user, person_ids=[own.pk, world.son.pk, me.pk])
    assert [p.pk for p in got] == [own.pk, me.pk]
