"""Admin of the health station: thresholds (editable, who/when kept), readings and follow-ups (read only:
they are written by the clinic page and closed on the follow-ups page, with their rules)."""

from django.contrib import admin

from ..models import FollowUp, Reading, Threshold
from ..services import health as _services  # noqa: F401  (registers the models with the audit log)


@admin.register(Threshold)
class ThresholdAdmin(admin.ModelAdmin):
    list_display = (
        "label",
        "measure",
        "direction",
        "limit",
        "level",
        "is_active",
        "updated_by",
        "updated_at",
    )
    list_filter = ("measure", "level", "is_active")
    search_fields = ("label", "source")
    readonly_fields = ("updated_by", "updated_at")

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Reading)
class ReadingAdmin(_ReadOnly):
    list_display = ("elder", "kind", "value", "value2", "unit", "level", "taken_at", "session")
    list_filter = ("kind", "level")
    search_fields = ("elder__name", "elder__name_pinyin")
    list_select_related = ("elder", "session__activity")
    raw_id_fields = ("elder", "session", "recorded_by")
    date_hierarchy = "taken_at"


@admin.register(FollowUp)
class FollowUpAdmin(_ReadOnly):
    list_display = ("elder", "level", "assigned_to", "due_on", "status", "closed_at")
    list_filter = ("status", "level")
    search_fields = ("elder__name", "elder__name_pinyin")
    list_select_related = ("elder", "assigned_to")
    raw_id_fields = ("elder", "reading", "assigned_to", "closed_by")
