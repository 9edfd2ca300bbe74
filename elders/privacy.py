"""The elders area's part of the platform's privacy rules (found by portal.community.privacy_hooks).

* ``erase_health``: her health consent was withdrawn (PIPL art. 47): her readings and the follow-ups they
  created are deleted, in the transaction of the withdrawal;
* ``sensitive_changed``: her sensitive profile (失能 level, 残疾, 低保) changed or was deleted: her risk
  level is recomputed and her contact plan follows it.
"""

from __future__ import annotations


def erase_health(*, person) -> None:
    from elders.models import FollowUp, Reading

    FollowUp.objects.filter(elder_id=person.pk).delete()
    Reading.objects.filter(elder_id=person.pk).delete()


def sensitive_changed(*, person) -> None:
    from elders.services.outreach import contact_plans_sync
    from elders.services.risk import elder_risk_refresh

    changed = elder_risk_refresh(person_ids=[person.pk])
    if changed:
        contact_plans_sync(person_ids=changed)
