"""Who hears about an elder. An elder without a phone is a full citizen: when she has no active account of
her own, her notices go to the people who act for her (a daughter in another city: guardian or carer
relations, ``portal.community.selectors.acting_for_by_person``)."""

from __future__ import annotations

from portal.community.models import ACTING_RELATIONS, Person
from portal.community.selectors import acting_for_by_person


def notice_recipients(*, persons) -> dict[int, list[Person]]:
    """For each elder, the Persons a notice about her goes to: herself when she has an active account,
    else the people who act for her (a daughter in another city). Two queries for any number.

    Each Person returned has her ``user`` loaded (``message_enqueue(user=person.user, ...)``). An elder
    with nobody to tell maps to an empty list (the pages ask staff to record someone)."""
    ids = [p.pk if isinstance(p, Person) else int(p) for p in persons]
    if not ids:
        return {}
    people = {p.pk: p for p in Person.objects.filter(pk__in=ids).select_related("user")}
    out: dict[int, list[Person]] = {}
    without_account: list[int] = []
    for pk in ids:
        person = people.get(pk)
        if person is None:
            continue
        if person.user is not None and person.user.is_active and person.is_active:
            out[pk] = [person]
        else:
            without_account.append(pk)
    if without_account:
        acting = acting_for_by_person(person_ids=without_account)
        for pk in without_account:
            out[pk] = acting.get(pk, [])
    return out


def has_own_account(person: Person) -> bool:
    """She can be reached herself: an active account (her ``user`` already loaded, no query)."""
    user = person.user if person.user_id else None
    return bool(user is not None and user.is_active)


def notice_recipients_from(*, person: Person, acting) -> list[Person]:
    """What :func:`notice_recipients` gives for one person, without a query: ``person`` with her ``user``
    loaded, ``acting`` the Relations in which someone acts for her (``ACTING_RELATIONS``, with
    ``subject__user`` loaded, any order): herself when she has an active account, else those of them with
    an active account of their own, in the order of the relations (``acting_for_by_person``)."""
    if person.user_id is not None and person.user.is_active and person.is_active:
        return [person]
    out: list[Person] = []
    for relation in sorted(acting, key=lambda r: r.pk):
        subject = relation.subject
        if relation.relative_id != person.pk or relation.kind not in ACTING_RELATIONS:
            continue
        if not (subject.is_active and subject.user_id is not None and subject.user.is_active):
            continue
        if all(p.pk != subject.pk for p in out):
            out.append(subject)
    return out
