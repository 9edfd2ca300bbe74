from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class YouthConfig(AppConfig):
    name = "youth"
    verbose_name = _("Children and youth")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models as m

        # Every write leaves an audit entry (the pickup photo's file name is not kept in the trail).
        auditlog.register(m.ChildProfile)
        auditlog.register(m.PickupPerson, exclude_fields=["photo"])
        for model in (m.DaycareProgramme, m.DaycareWeek, m.PickupAttempt, m.YouthActivity):
            auditlog.register(model)

        # The audience rule of classes and lectures checks every booking the engine makes, whichever page
        # books (registered with events.services.eligibility when the module loads).
        from .services import classes  # noqa: F401
