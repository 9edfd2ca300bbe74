from django.contrib import admin

from .models import VolunteerProfile


@admin.register(VolunteerProfile)
class VolunteerProfileAdmin(admin.ModelAdmin):
    list_display = ("person", "organization", "team", "skills", "since", "is_active")
    list_filter = ("is_active", "organization", "team")
    search_fields = (
        "person__name",
        "person__name_pinyin",
        "person__name_initials",
        "person__phone",
        "team",
        "skills",
    )
    autocomplete_fields = ("person", "organization")
    list_select_related = ("person", "organization")
    date_hierarchy = "since"
