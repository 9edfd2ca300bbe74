from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "portal.community"
    label = "community"
    verbose_name = _("Community")

    def ready(self):
        # Every write to the registry leaves an audit entry (django-auditlog); the actor comes from the
        # request (AuditlogMiddleware) or from the service's own ``set_actor``.
        from auditlog.registry import auditlog

        from . import models as m
        from .search import NameHas

        m.Person._meta.get_field("name").register_lookup(NameHas)

        for model in (
            m.Organization,
            m.Grid,
            m.Estate,
            m.Building,
            m.Household,
            m.Relation,
            m.EmergencyContact,
            m.HouseholdClaim,
            m.Consent,
        ):
            auditlog.register(model)
        auditlog.register(m.Person, m2m_fields={"served_by"})
        # Sensitive values never go into the audit trail, not even in part: only that they changed.
        from .audit import audit_own_fields_only, register_sensitive
        from .selectors import SENSITIVE_FIELDS

        audit_own_fields_only()

        register_sensitive(m.SensitiveProfile, fields=SENSITIVE_FIELDS)
