"""The audit trail records that a sensitive field changed, never any part of its value."""

import json

import pytest
from auditlog.models import LogEntry
from django.core import serializers

from portal.community import services
from portal.community.audit import MASK, SENSITIVE_AUDIT_FIELDS, register_sensitive
from portal.community.models import ConsentPurpose, Person, SensitiveProfile

FIRST = {
    "health_conditions": "高血压二期",
    "disability": "下肢行动不便",
    "care_level": "重度失能",
    "allergies": "青霉素过敏",
    "medications": "硝苯地平缓释片",
    "notes": "夜间需要陪护",
}
SECOND = {
    "health_conditions": "糖尿病并发症",
    "disability": "视力残疾",
    "care_level": "特级护理",
    "allergies": "海鲜花粉",
    "medications": "胰岛素注射",
    "notes": "独居老人关注",
}


def _substrings(value: str):
    return {value[i:j] for i in range(len(value)) for j in range(i + 2, len(value) + 1)}


def _everything_logged() -> str:
    """Every column of every LogEntry row (changes, changes_text, serialized_data, additional_data...)."""
    rows = json.loads(serializers.serialize("json", LogEntry.objects.all()))
    return json.dumps(rows, ensure_ascii=False)


def test_sensitive_values_never_reach_the_audit_trail(world):
    mum = world.mum
    services.consent_grant(actor=world.mum_user, person=mum, purpose=ConsentPurpose.HEALTH)
    services.sensitive_profile_update(actor=world.mum_user, person=mum, **FIRST)
    services.sensitive_profile_update(actor=world.staff, person=mum, **SECOND)
    services.sensitive_profile_update(actor=world.staff, person=mum, **{**SECOND, "notes": ""})
    services.consent_withdraw(actor=world.mum_user, person=mum, purpose=ConsentPurpose.HEALTH)  # deletes it
    assert not SensitiveProfile.objects.filter(person=mum).exists()

    entries = LogEntry.objects.get_for_model(SensitiveProfile).order_by("timestamp", "pk")
    assert [e.action for e in entries] == [
        LogEntry.Action.CREATE,
        LogEntry.Action.UPDATE,
        LogEntry.Action.UPDATE,
        LogEntry.Action.DELETE,
    ]
    # Recorded as changed: the second edit names every field, the third only the cleared note.
    assert set(entries[1].changes_dict) == set(FIRST)
    assert entries[1].changes_dict["allergies"] == [MASK, MASK]
    assert entries[2].changes_dict == {"notes": [MASK, ""]}

    logged = _everything_logged()
    for value in [*FIRST.values(), *SECOND.values()]:
        leaked = sorted(s for s in _substrings(value) if s in logged)
        assert not leaked, f"{value!r} leaked into the audit trail as {leaked}"


def test_register_sensitive_is_the_one_list(db):
    assert SENSITIVE_AUDIT_FIELDS["community.sensitiveprofile"] == (
        "health_conditions",
        "disability",
        "care_level",
        "allergies",
        "medications",
        "notes",
        "adl_level",
        "receives_dibao",
    )
    with pytest.raises(ValueError):
        register_sensitive(Person, fields=["no_such_field"])
    with pytest.raises(TypeError):
        register_sensitive(Person, fields=["name"], mask_fields=["name"])
