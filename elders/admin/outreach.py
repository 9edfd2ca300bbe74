"""Admin of the visit-and-call roster: contact plans, logs, needs and the job's notices (read-only)."""

from django.contrib import admin

from ..models import ContactLog, ContactPlan, Need, OutreachNotice


@admin.register(ContactPlan)
class ContactPlanAdmin(admin.ModelAdmin):
    list_display = (
        "elder",
        "every_days",
        "custom",
        "method",
        "assigned_to",
        "due_on",
        "unreached_in_row",
        "is_active",
    )
    list_filter = ("is_active", "custom", "method", "elder__household__building__grid")
    search_fields = ("elder__name", "assigned_to__name", "assigned_to__phone")
    raw_id_fields = ("elder", "assigned_to")
    list_select_related = ("elder", "assigned_to")
    readonly_fields = ("last_contact_at", "last_reached_at", "unreached_in_row", "created_at", "updated_at")
    date_hierarchy = "due_on"


@admin.register(ContactLog)
class ContactLogAdmin(admin.ModelAdmin):
    list_display = ("elder", "contacted_at", "method", "reached", "wellbeing", "by", "entered_on_behalf")
    list_filter = ("method", "reached", "wellbeing", "entered_on_behalf")
    search_fields = ("elder__name", "by__name", "by__phone")
    raw_id_fields = ("elder", "plan", "by")
    list_select_related = ("elder", "by")
    date_hierarchy = "contacted_at"

    def has_change_permission(self, request, obj=None):
        return False  # a log is what happened: not rewritten afterwards


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    list_display = ("elder", "category", "status", "owner", "created_at", "closed_at")
    list_filter = ("status", "category", "elder__household__building__grid")
    search_fields = ("elder__name", "description", "owner__name")
    raw_id_fields = ("elder", "raised_in", "owner", "created_by", "closed_by")
    list_select_related = ("elder", "owner")


@admin.register(OutreachNotice)
class OutreachNoticeAdmin(admin.ModelAdmin):
    list_display = ("plan", "due_on", "kind", "recipient", "created_at")
    list_filter = ("kind",)
    search_fields = ("plan__elder__name",)
    list_select_related = ("plan__elder", "recipient")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
