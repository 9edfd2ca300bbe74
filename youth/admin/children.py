"""Admin of the youth area: children's profiles (school and grade) and authorised pickup persons. The
photo is shown as a small thumbnail, through the access-checked ``youth:pickup_photo`` page (so only to
staff who may see the child), never as a link to the file in storage. Who authorised a person, and when,
are records: read only."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import ChildProfile, PickupPerson


@admin.register(ChildProfile)
class ChildProfileAdmin(admin.ModelAdmin):
    list_display = ("person", "school_shown", "grade", "updated_at")
    list_filter = ("grade", "school")
    search_fields = ("person__name", "person__name_pinyin", "school__name", "school_name")
    autocomplete_fields = ("person", "school")
    list_select_related = ("person", "school")
    readonly_fields = ("updated_by", "created_at", "updated_at")

    @admin.display(description=_("school"))
    def school_shown(self, obj):
        return obj.school_display


@admin.register(PickupPerson)
class PickupPersonAdmin(admin.ModelAdmin):
    list_display = ("name", "thumb", "relation", "child", "phone", "only_on", "revoked_at")
    list_filter = (
        "relation",
        ("only_on", admin.EmptyFieldListFilter),
        ("revoked_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("name", "phone", "child__name", "child__name_pinyin")
    autocomplete_fields = ("child",)
    list_select_related = ("child",)
    readonly_fields = ("thumb", "added_by", "created_at")
    exclude = ("photo",)
    date_hierarchy = "created_at"

    @admin.display(description=_("photo"))
    def thumb(self, obj):
        if not obj.pk or not obj.photo:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" width="48" height="48" style="object-fit:cover;border-radius:4px">',
            reverse("youth:pickup_photo", args=[obj.pk]),
            _("Photo of %(name)s") % {"name": obj.name},
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
