"""Keep ``ContactPlan.elder_since`` true whatever writes a person, a profile or a plan one row at a time.

Whether a plan's person is an elder (``elders.selectors.access.elder_q``) changes only when she is
deactivated or comes back, when her birth date is edited, when her elder profile is added or removed (or
with the days, which ``elder_since`` already holds: a birthday). The person is the platform's and its
services know nothing of the elders area, so the area listens: a person saved through the ORM (a service's
``save()``, the admin, a factory in the tests) with one of those fields, a profile created or deleted, a
plan created or saved whole, has its plan's ``elder_since`` recomputed in the same transaction
(``services.outreach.contact_plans_elder_refresh``). Writers that send no signal keep it themselves:
``contact_plans_sync`` sets it on the plans it creates, the demo refreshes its elders; ``bulk_create`` of
plans takes the default (plans are made for elders). A person or profile changed with ``update()`` would
not be seen: nothing in the portal does that, and tests/elders/test_outreach_elder_since.py recomputes
every plan after a sequence of changes through each path.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from portal.community.models import Person

from .models import ContactPlan, ElderProfile

#: The person's fields that decide whether she is an elder.
PERSON_FIELDS = frozenset({"is_active", "birth_date"})


def _refresh(person_id) -> None:
    from .services.outreach import contact_plans_elder_refresh

    contact_plans_elder_refresh(person_ids=[person_id])


def person_post_save(sender, instance: Person, created=False, raw=False, update_fields=None, **kwargs):
    if raw or created:  # a person just created has no plan yet
        return
    if update_fields is not None and not PERSON_FIELDS.intersection(update_fields):
        return
    _refresh(instance.pk)


def profile_post_save(sender, instance: ElderProfile, created=False, raw=False, **kwargs):
    if created and not raw:
        _refresh(instance.person_id)


def profile_post_delete(sender, instance: ElderProfile, **kwargs):
    _refresh(instance.person_id)


def plan_post_save(sender, instance: ContactPlan, created=False, raw=False, update_fields=None, **kwargs):
    # A plan made one at a time (the admin, a factory), or saved whole from a copy read earlier.
    if not raw and (created or update_fields is None):
        _refresh(instance.elder_id)


def connect() -> None:
    uid = "elders.plan_elder_since"
    post_save.connect(person_post_save, sender=Person, dispatch_uid=uid)
    post_save.connect(profile_post_save, sender=ElderProfile, dispatch_uid=uid)
    post_delete.connect(profile_post_delete, sender=ElderProfile, dispatch_uid=uid)
    post_save.connect(plan_post_save, sender=ContactPlan, dispatch_uid=uid)
