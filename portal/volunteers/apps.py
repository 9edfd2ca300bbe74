from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "portal.volunteers"
    label = "volunteers"
    verbose_name = _("Volunteers")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import VolunteerProfile

        auditlog.register(VolunteerProfile)
