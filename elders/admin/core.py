"""Admin of the 'core' piece: elder profiles, searchable by name, pinyin and phone, filtered by living
situation, 孤寡, risk level and grid. The derived risk (level, reasons, when) and the override's who and
when are read only: staff set a level by hand on the elder page, with a reason (the service keeps who and
when). Service (the catalogue) belongs to the partners piece."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from elders.models import ElderProfile
from elders.services.risk import reason_words


@admin.register(ElderProfile)
class ElderProfileAdmin(admin.ModelAdmin):
    list_display = (
        "person",
        "living_situation",
        "childless_widowed",
        "risk_level",
        "risk_override",
        "helper",
        "updated_at",
    )
    list_filter = (
        "living_situation",
        "childless_widowed",
        "risk_level",
        "risk_override",
        "birthday_greetings",
        "person__household__building__grid",
    )
    search_fields = ("person__name", "person__name_pinyin", "person__name_initials", "person__phone")
    autocomplete_fields = ("person", "helper", "family_doctor")
    list_select_related = ("person", "helper")
    readonly_fields = (
        "risk_level",
        "reasons_in_words",
        "risk_refreshed_at",
        "risk_override",
        "risk_override_reason",
        "risk_override_by",
        "risk_override_at",
        "updated_by",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("person", "living_situation", "childless_widowed", "needs")}),
        (_("Helper and doctor"), {"fields": ("helper", "helper_kind", "family_doctor")}),
        (_("Birthday greetings"), {"fields": ("birthday_greetings", "birthday_calendar")}),
        (
            _("Risk level"),
            {
                "fields": (
                    "risk_level",
                    "reasons_in_words",
                    "risk_refreshed_at",
                    "risk_override",
                    "risk_override_reason",
                    "risk_override_by",
                    "risk_override_at",
                )
            },
        ),
        (_("Record"), {"fields": ("updated_by", "created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # A profile stays with the person it was made for: moving it would change who is an elder behind
        # the contact plans' back (ContactPlan.elder_since follows a profile's creation and deletion).
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "person") if obj is not None else fields

    @admin.display(description=_("reasons"))
    def reasons_in_words(self, obj):
        # The admin is staff only (who may see sensitive data): every reason is said.
        return " · ".join(reason_words(obj.risk_reasons, age=obj.person.age, show_sensitive=True)) or "—"

    def save_model(self, request, obj, form, change):
        from elders.services.outreach import contact_plans_sync
        from elders.services.risk import elder_risk_refresh

        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        # The level follows what was edited, and her contact plan follows the level (or the new helper).
        elder_risk_refresh(person_ids=[obj.person_id])
        contact_plans_sync(person_ids=[obj.person_id])
