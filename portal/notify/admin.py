"""The notify back office: the outbox (read-only, with a retry action), templates and preferences."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import ContactPreference, Message, MessageStatus, MessageTemplate


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "key",
        "channel",
        "status",
        "urgent",
        "address",
        "attempts",
        "not_before",
        "sent_at",
        "created_at",
    )
    list_filter = ("channel", "status", "urgent", "template")
    search_fields = ("key", "address")
    date_hierarchy = "created_at"
    list_select_related = ("template",)
    actions = ["retry_failed"]
    fields = (
        "key",
        "template",
        "user",
        "person",
        "channel",
        "address",
        "language",
        "subject",
        "shown_body",
        "sms_template_code",
        "shown_params",
        "status",
        "urgent",
        "attempts",
        "blind_resends",
        "not_before",
        "expires_at",
        "queued_at",
        "claimed_at",
        "handed_at",
        "sent_at",
        "read_at",
        "provider_id",
        "last_error",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("body"))
    def shown_body(self, obj):
        # A one-time code is nobody's business but its owner's, staff included.
        return _("(a one-time code, not shown)") if obj.urgent else obj.body

    @admin.display(description=_("provider parameters"))
    def shown_params(self, obj):
        return {k: "******" for k in obj.params} if obj.urgent else obj.params

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Viewable, never edited: the outbox is a record of what was said to whom.
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("notify.change_message")

    @admin.action(description=_("Retry the selected failed messages"), permissions=["retry"])
    def retry_failed(self, request, queryset):
        ids = list(queryset.filter(status=MessageStatus.FAILED).values_list("pk", flat=True))
        count = services.messages_retry(message_ids=ids)
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "description", "sms_template_code", "active", "updated_at")
    list_filter = ("active",)
    search_fields = ("code", "description", "subject_zh", "subject_en")
    fieldsets = (
        (None, {"fields": ("code", "description", "active", "sms_template_code")}),
        (_("Chinese"), {"fields": ("subject_zh", "body_zh")}),
        (_("English"), {"fields": ("subject_en", "body_en")}),
    )


@admin.register(ContactPreference)
class ContactPreferenceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "sms_enabled", "email_enabled", "inbox_enabled", "quiet_start", "quiet_end")
    list_filter = ("sms_enabled", "email_enabled")
    search_fields = ("user__phone", "user__name", "person__name", "person__name_pinyin")
    raw_id_fields = ("user", "person")
    list_select_related = ("user", "person")
