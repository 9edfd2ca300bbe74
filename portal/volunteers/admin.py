from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Certificate, HoursEntry, VolunteerProfile
from .services import hours_approve, hours_reject


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


@admin.register(HoursEntry)
class HoursEntryAdmin(admin.ModelAdmin):
    """The volunteer hours ledger (志愿服务时长台账). Decisions go through the services (audited, decided once)."""

    list_display = (
        "date",
        "volunteer",
        "description",
        "hours",
        "status",
        "flagged",
        "decided_by",
        "decided_at",
    )
    list_filter = ("status", "flagged", ("date", admin.DateFieldListFilter))
    search_fields = (
        "volunteer__person__name",
        "volunteer__person__name_pinyin",
        "volunteer__person__phone",
        "description",
    )
    list_select_related = ("volunteer__person", "decided_by")
    autocomplete_fields = ("volunteer",)
    date_hierarchy = "date"
    readonly_fields = ("source_key", "status", "decided_by", "decided_at", "decision_note", "created_at")
    actions = ["approve_selected", "reject_selected"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    @admin.action(description=_("Approve the selected hours"))
    def approve_selected(self, request, queryset):
        done = 0
        for entry in queryset.filter(status="pending"):
            try:
                hours_approve(actor=request.user, entry=entry)
                done += 1
            except ValidationError:
                continue
        self.message_user(
            request,
            ngettext("%(n)d entry approved.", "%(n)d entries approved.", done) % {"n": done},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reject the selected hours"))
    def reject_selected(self, request, queryset):
        done = 0
        for entry in queryset.filter(status="pending"):
            try:
                hours_reject(actor=request.user, entry=entry, note=str(_("Rejected in the back office.")))
                done += 1
            except ValidationError:
                continue
        self.message_user(
            request,
            ngettext("%(n)d entry rejected.", "%(n)d entries rejected.", done) % {"n": done},
            messages.SUCCESS,
        )

    def save_model(self, request, obj, form, change):
        """New hours typed in by staff go through ``hours_record`` (pending until approved)."""
        from .services import hours_record

        entry = hours_record(
            actor=request.user,
            volunteer=obj.volunteer,
            date=obj.date,
            hours=obj.hours,
            description=obj.description,
        )
        obj.pk = entry.pk
        obj.refresh_from_db()


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    """Certificates as issued: a record of what was printed, never edited (the public verification page
    reads it)."""

    list_display = ("code", "name", "hours", "date_from", "date_to", "issued_on")
    search_fields = ("code", "name", "volunteer__person__name", "volunteer__person__name_pinyin")
    list_select_related = ("volunteer__person",)
    date_hierarchy = "issued_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
