"""Admin of the youth area: classes and lectures (the youth facts of an events activity; the activity
itself, its sessions and bookings are the engine's admin)."""

from __future__ import annotations

from django.contrib import admin

from ..models import YouthActivity


@admin.register(YouthActivity)
class YouthActivityAdmin(admin.ModelAdmin):
    list_display = ("activity", "kind", "audience", "subject", "speaker", "partner")
    list_filter = ("kind", "audience", "subject")
    search_fields = ("activity__title", "speaker", "partner__name")
    autocomplete_fields = ("activity", "partner")
    list_select_related = ("activity", "partner")
