from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "portal.notify"
    label = "notify"
    verbose_name = _("Notify")

    def ready(self):
        # Staff edits to the wording of messages and to a person's contact preferences leave an audit
        # entry (django-auditlog). The outbox rows are their own record and are not audited again.
        from auditlog.registry import auditlog

        from .models import ContactPreference, MessageTemplate

        auditlog.register(MessageTemplate)
        auditlog.register(ContactPreference)
