from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EldersConfig(AppConfig):
    name = "elders"
    verbose_name = _("Elders")

    def ready(self):
        from auditlog.registry import auditlog

        from portal.community.audit import register_sensitive

        from . import models as m
        from . import signals

        signals.connect()

        # Every write leaves an audit entry. The derived risk fields are rewritten in bulk by the daily
        # refresh (no entry); edits and overrides are recorded.
        auditlog.register(m.ElderProfile, exclude_fields=["risk_refreshed_at", "updated_at"])
        for model in (m.Service, m.ServicePlan, m.Delivery, m.ContactPlan, m.ContactLog, m.Need):
            auditlog.register(model)
        # Health data (PIPL art. 28): the trail says what changed, never the values, so that erasing her
        # readings when she withdraws her health consent leaves nothing behind in the log.
        register_sensitive(m.Reading, fields=["value", "value2", "glucose_timing", "level", "flags", "note"])
        register_sensitive(m.FollowUp, fields=["level", "outcome"])
        auditlog.register(m.Threshold)
