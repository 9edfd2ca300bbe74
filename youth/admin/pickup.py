"""Admin of the youth area: pickup. Every pickup attempt, allowed or refused, is a record written by the
sign-out page (youth.services.pickup): read only for everyone, superusers included."""

from __future__ import annotations

from django.contrib import admin

from ..models import PickupAttempt


@admin.register(PickupAttempt)
class PickupAttemptAdmin(admin.ModelAdmin):
    list_display = ("at", "child", "name", "relation", "outcome", "reason", "session", "staff")
    list_filter = ("outcome", ("at", admin.DateFieldListFilter))
    search_fields = ("child__name", "child__name_pinyin", "name", "session__activity__title")
    list_select_related = ("child", "session__activity", "staff")
    date_hierarchy = "at"
    readonly_fields = (
        "session",
        "child",
        "pickup_person",
        "guardian",
        "name",
        "relation",
        "outcome",
        "reason",
        "checkout",
        "staff",
        "at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
