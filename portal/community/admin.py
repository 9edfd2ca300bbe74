"""The back office for the registry: search, filters, autocomplete, import and export (台账 spreadsheets).

Sensitive profiles are read here too, and every opening of one writes an AccessLog row like the
workbench does. The access log itself is read-only.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from import_export import fields
from import_export.admin import ImportExportModelAdmin
from import_export.widgets import ForeignKeyWidget

from portal.accounts.ratelimits import client_ip
from portal.admin import LabelledResource
from portal.uploads import SizeLimitedImportForm

from . import models as m
from .selectors import SENSITIVE_FIELDS
from .services import guardian_consent_check


class HouseholdResource(LabelledResource):
    """Rows: estate, building, unit, room (the building must already exist). Headers in the staff
    member's language (小区, 楼栋编号, 楼号, 单元, 室号...)."""

    estate = fields.Field(column_name=_("Estate"), attribute="building__estate__name", readonly=True)
    building = fields.Field(
        column_name=_("Building ID"), attribute="building", widget=ForeignKeyWidget(m.Building)
    )
    building_number = fields.Field(
        column_name=_("Building number"), attribute="building__number", readonly=True
    )
    legacy_columns = {"building": "building_id", "building_number": "building"}

    class Meta:
        model = m.Household
        fields = ("id", "estate", "building_number", "building", "unit", "room", "notes")
        export_order = ("id", "estate", "building_number", "building", "unit", "room", "notes")
        skip_unchanged = True
        report_skipped = False


class PersonResource(LabelledResource):
    """Rows of residents. A row that makes someone under 14 goes through the same guardian-consent rule
    as every other write (``services.guardian_consent_check``): without the consent on record it is an
    invalid row, its error on the birth-date column."""

    household = fields.Field(
        column_name=_("Household ID"), attribute="household", widget=ForeignKeyWidget(m.Household)
    )
    address = fields.Field(column_name=_("Address"), attribute="household", readonly=True)
    legacy_columns = {"household": "household_id"}

    class Meta:
        model = m.Person
        fields = (
            "id",
            "name",
            "gender",
            "birth_date",
            "phone",
            "household",
            "address",
            "lives_alone",
            "is_widowed",
            "is_active",
        )
        export_order = fields
        skip_unchanged = True
        report_skipped = False

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        guardian_consent_check(person=instance, birth_date=instance.birth_date)

    def dehydrate_address(self, person):
        return person.household.address if person.household_id else ""

    def dehydrate_phone(self, person):
        return person.phone.as_e164 if person.phone else ""


@admin.register(m.Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "contact_name", "contact_phone", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "contact_name", "address")


@admin.register(m.Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ("name", "leader")
    search_fields = ("name", "description")
    raw_id_fields = ("leader",)  # users: raw id, so this admin does not depend on the accounts admin
    list_select_related = ("leader",)


class BuildingInline(admin.TabularInline):
    model = m.Building
    extra = 0
    autocomplete_fields = ("grid",)


@admin.register(m.Estate)
class EstateAdmin(admin.ModelAdmin):
    list_display = ("name", "address")
    search_fields = ("name", "address")
    inlines = [BuildingInline]


@admin.register(m.Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "estate", "number", "grid")
    list_filter = ("grid", "estate")
    search_fields = ("estate__name", "number", "grid__name")
    autocomplete_fields = ("estate", "grid")
    list_select_related = ("estate", "grid")


class PersonAdminForm(forms.ModelForm):
    """The admin's person forms (the person page and the household's members) check a birth date with
    the service rule that every write path shares: under 14 only with the guardian's consent."""

    def clean(self):
        cleaned = super().clean()
        if "birth_date" in self.fields and "birth_date" not in self.errors:
            try:
                guardian_consent_check(person=self.instance, birth_date=cleaned.get("birth_date"))
            except forms.ValidationError as exc:
                self.add_error(None, exc)  # keyed by field: shown next to the birth date
        return cleaned


class MemberInline(admin.TabularInline):
    model = m.Person
    form = PersonAdminForm
    fields = ("name", "gender", "birth_date", "phone", "is_active")
    extra = 0
    show_change_link = True


@admin.register(m.Household)
class HouseholdAdmin(ImportExportModelAdmin):
    resource_classes = [HouseholdResource]
    import_form_class = SizeLimitedImportForm
    list_display = ("__str__", "building", "unit", "room", "created_at")
    list_filter = ("building__grid", "building__estate")
    search_fields = ("building__estate__name", "building__number", "unit", "room")
    autocomplete_fields = ("building",)
    list_select_related = ("building__estate", "building__grid")
    inlines = [MemberInline]


# The Person change page avoids select2 (autocomplete) and tabular inlines: select2 writes inline styles
# that the CSP blocks, and tabular inline cells have no <label>. Stacked inlines and raw-id inputs are
# labelled and CSP-clean.
class RelationInline(admin.StackedInline):
    model = m.Relation
    fk_name = "subject"
    extra = 0
    raw_id_fields = ("relative",)


class EmergencyContactInline(admin.StackedInline):
    model = m.EmergencyContact
    extra = 0


class AgeBandFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [("child", _("Under 18")), ("60", _("60 and over")), ("80", _("80 and over"))]

    def queryset(self, request, queryset):
        if self.value() == "child":
            return queryset.aged_under(18)
        if self.value() in {"60", "80"}:
            return queryset.aged_at_least(int(self.value()))
        return queryset


@admin.register(m.Person)
class PersonAdmin(ImportExportModelAdmin):
    form = PersonAdminForm
    resource_classes = [PersonResource]
    import_form_class = SizeLimitedImportForm
    list_display = ("name", "gender", "birth_date", "phone", "household", "is_active")
    list_filter = (
        "is_active",
        "gender",
        AgeBandFilter,
        "lives_alone",
        "is_widowed",
        "household__building__grid",
    )
    search_fields = ("name", "name_pinyin", "name_initials", "phone", "household__building__estate__name")
    raw_id_fields = ("household", "user")
    list_select_related = ("household__building__estate",)
    readonly_fields = ("name_pinyin", "name_initials", "created_at", "updated_at")
    inlines = [RelationInline, EmergencyContactInline]


@admin.register(m.SensitiveProfile)
class SensitiveProfileAdmin(admin.ModelAdmin):
    list_display = ("person", "updated_at")
    search_fields = ("person__name", "person__name_pinyin", "person__phone")
    autocomplete_fields = ("person",)
    list_select_related = ("person",)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        profile = self.get_object(request, object_id)
        if profile is not None:
            m.AccessLog.objects.create(
                user=request.user,
                person_id=profile.person_id,
                fields=",".join(SENSITIVE_FIELDS),
                reason="admin",
                ip_address=client_ip(request),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(m.Relation)
class RelationAdmin(admin.ModelAdmin):
    list_display = ("subject", "kind", "relative", "created_at")
    list_filter = ("kind",)
    search_fields = ("subject__name", "subject__name_pinyin", "relative__name", "relative__name_pinyin")
    autocomplete_fields = ("subject", "relative")
    list_select_related = ("subject", "relative")


@admin.register(m.EmergencyContact)
class EmergencyContactAdmin(admin.ModelAdmin):
    list_display = ("person", "name", "phone", "relationship", "priority")
    search_fields = ("person__name", "person__name_pinyin", "name", "phone")
    autocomplete_fields = ("person",)
    list_select_related = ("person",)


@admin.register(m.HouseholdClaim)
class HouseholdClaimAdmin(admin.ModelAdmin):
    list_display = ("user", "household", "status", "created_at", "decided_by", "decided_at")
    list_filter = ("status", "household__building__grid")
    search_fields = ("user__name", "user__phone", "household__building__estate__name", "household__room")
    autocomplete_fields = ("household",)
    raw_id_fields = ("user",)
    list_select_related = ("user", "household__building__estate", "decided_by")
    readonly_fields = ("created_at", "decided_by", "decided_at")


class NamedEmptyValuesFilter(admin.AllValuesFieldListFilter):
    """Django's filter by every value in the column, with the empty text named ("（空）") rather than a
    link with no words (which a screen reader announces as nothing)."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            if choice.get("display") == "":
                choice = {**choice, "display": _("(empty)")}
            yield choice


@admin.register(m.Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = (
        "person",
        "purpose",
        "notice_version",
        "given_by",
        "given_as_guardian",
        "given_at",
        "withdrawn_at",
    )
    list_filter = (
        "purpose",
        ("notice_version", NamedEmptyValuesFilter),
        "given_as_guardian",
        ("withdrawn_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("person__name", "person__name_pinyin", "given_by__phone")
    autocomplete_fields = ("person",)
    raw_id_fields = ("given_by",)
    list_select_related = ("person", "given_by")
    date_hierarchy = "given_at"


@admin.register(m.AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "person", "reason", "fields", "ip_address")
    list_filter = ("reason",)
    search_fields = ("person__name", "person__name_pinyin", "user__phone", "user__name")
    list_select_related = ("user", "person")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
