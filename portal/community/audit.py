"""The audit trail's one rule for sensitive fields: record that they changed, never what they hold.

django-auditlog masks a registered field by passing each old and new value through a *mask callable*
(``auditlog.diff.get_mask_function``); its default keeps half of the value in clear ("*** 高血压"
kept the diagnosis). Here every sensitive value becomes the same marker, in ``changes``, ``changes_text``
and serialised data alike, so the entry says *which* sensitive field changed (and whether it was set or
cleared) and nothing of its content.

Every app registers its sensitive fields through :func:`register_sensitive`::

    from portal.community.audit import register_sensitive
    register_sensitive(HealthRecord, fields=["blood_pressure", "diagnosis"])

(health, disability, care level, allergies, medications, ID numbers...). The fields are also listed in
:data:`SENSITIVE_AUDIT_FIELDS`, by model label, for the admin and the tests.
"""

from __future__ import annotations

from collections.abc import Iterable

#: What the audit trail shows in place of a sensitive value. The same for every value and every field, so
#: nothing (not its length, not a prefix) of the value can be read back from the log.
MASK = "[sensitive]"

#: Model label ("community.sensitiveprofile") → the names of its sensitive fields.
SENSITIVE_AUDIT_FIELDS: dict[str, tuple[str, ...]] = {}


def mask_sensitive(value: str) -> str:
    """auditlog's mask callable: an empty value stays empty ("not recorded"), anything else is ``MASK``.

    auditlog passes ``smart_str`` of the value, so a missing value (a new row) arrives as ``"None"``.
    """
    return "" if value in ("", "None") else MASK


def register_sensitive(model, *, fields: Iterable[str], **options) -> None:
    """Register ``model`` with django-auditlog, its ``fields`` recorded as changed but never with values.

    ``options`` go to ``auditlog.register`` (``m2m_fields``, ``exclude_fields``, ``serialize_data``...).
    Call it in the app's ``AppConfig.ready``, instead of ``auditlog.register`` for that model.
    """
    from auditlog.registry import auditlog

    fields = tuple(fields)
    unknown = set(fields) - {f.name for f in model._meta.get_fields()}
    if unknown:
        raise ValueError(f"{model._meta.label} has no fields {sorted(unknown)}")
    if "mask_fields" in options or "mask_callable" in options:
        raise TypeError("register_sensitive sets mask_fields and mask_callable itself")
    SENSITIVE_AUDIT_FIELDS[model._meta.label_lower] = fields
    auditlog.register(
        model,
        mask_fields=list(fields),
        mask_callable=f"{__name__}.mask_sensitive",
        **options,
    )


def audit_own_fields_only() -> None:
    """Make django-auditlog diff a row's own fields only, never its reverse relations.

    auditlog reads every field ``_meta.get_fields()`` lists when a row is created or deleted, reverse
    relations included (upstream issue jazzband/django-auditlog#551, a fix still open): each one-to-one
    pointing at the model costs a query (creating a Person read her elder profile, contact plan, child
    profile, sensitive profile, contact preference... seven SELECTs) and each reverse foreign key wrote
    "community.Relation.None" into the entry. The maintainers' suggested fix is to exclude the
    auto-created reverse relations at registration; doing it where auditlog reads the registration covers
    every model, whichever app registers it and in whatever order. Called once from
    ``CommunityConfig.ready``.
    """
    from auditlog.registry import auditlog

    if getattr(auditlog, "_own_fields_only", False):
        return
    original = auditlog.get_model_fields
    reverse: dict = {}

    def get_model_fields(model):
        fields = original(model)
        names = reverse.get(model)
        if names is None:
            names = reverse[model] = [
                f.name for f in model._meta.get_fields() if f.auto_created and not f.concrete
            ]
        fields["exclude_fields"] = [*fields["exclude_fields"], *names]
        return fields

    auditlog.get_model_fields = get_model_fields
    auditlog._own_fields_only = True
