"""Admin of the youth area: the holiday day-care (暑托班). A programme with its weeks inline; each week
links to its events activity (where its bookings, waitlist and lottery are managed). The weeks are made
by the service (``daycare_programme_create``), so they are read only here."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from youth.models import DaycareProgramme, DaycareWeek


class DaycareWeekInline(admin.TabularInline):
    model = DaycareWeek
    extra = 0
    can_delete = False
    fields = ("number", "starts_on", "ends_on", "activity_link")
    readonly_fields = fields
    ordering = ("number",)

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("activity"))
    def activity_link(self, obj):
        url = reverse("admin:events_activity_change", args=[obj.activity_id])
        return format_html('<a href="{}">{}</a>', url, obj.activity)


@admin.register(DaycareProgramme)
class DaycareProgrammeAdmin(admin.ModelAdmin):
    list_display = ("title", "starts_on", "ends_on", "place", "organiser_org", "min_age", "max_age")
    list_filter = ("starts_on", "organiser_org")
    search_fields = ("title", "place", "organiser_org__name")
    date_hierarchy = "starts_on"
    list_select_related = ("organiser_org",)
    autocomplete_fields = ("organiser_org",)
    readonly_fields = ("created_by", "created_at")
    inlines = (DaycareWeekInline,)


@admin.register(DaycareWeek)
class DaycareWeekAdmin(admin.ModelAdmin):
    list_display = ("programme", "number", "starts_on", "ends_on", "activity")
    list_filter = ("programme",)
    search_fields = ("programme__title", "activity__title")
    list_select_related = ("programme", "activity")
    readonly_fields = ("programme", "activity", "number", "starts_on", "ends_on")

    def has_add_permission(self, request):
        return False
