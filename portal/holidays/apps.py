from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HolidaysConfig(AppConfig):
    name = "portal.holidays"
    label = "holidays"
    verbose_name = _("Holidays and make-up working days")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import CalendarDay, CalendarYear

        auditlog.register(CalendarYear)
        auditlog.register(CalendarDay)
