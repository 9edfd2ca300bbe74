"""The User back office: search by name, phone or e-mail; filter by role, grid, organisation, staff."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField as PhoneNumberFormField

from portal.accounts.models import User
from portal.accounts.phone import normalize_cn_mobile


class _PhoneCleanMixin:
    def clean_phone(self):
        phone = self.cleaned_data.get("phone")
        return normalize_cn_mobile(str(phone)) if phone else phone


class UserCreationAdminForm(_PhoneCleanMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("phone", "name", "email", "role", "grid", "organization")
        field_classes = {"phone": PhoneNumberFormField}


class UserChangeAdminForm(_PhoneCleanMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {}

    def clean(self):
        cleaned = super().clean()
        role, grid, org = cleaned.get("role"), cleaned.get("grid"), cleaned.get("organization")
        if role == "grid_worker" and not grid:
            self.add_error("grid", forms.ValidationError(_("A grid worker needs a grid.")))
        if role == "partner_staff" and not org:
            self.add_error(
                "organization", forms.ValidationError(_("Partner organisation staff need an organisation."))
            )
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    list_display = (
        "phone",
        "name",
        "email",
        "role",
        "grid",
        "organization",
        "is_staff",
        "is_active",
        "date_joined",
    )
    list_filter = ("role", "grid", "organization", "is_staff", "is_superuser", "is_active", "phone_verified")
    search_fields = ("name", "phone", "email")
    ordering = ("-date_joined",)
    autocomplete_fields = ("grid", "organization")
    list_select_related = ("grid", "organization")
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("phone", "phone_verified", "password")}),
        (_("Personal info"), {"fields": ("name", "email", "language", "elder_mode")}),
        (_("Role and scope"), {"fields": ("role", "grid", "organization")}),
        (
            _("Permissions"),
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "classes": ("collapse",),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "phone",
                    "name",
                    "email",
                    "role",
                    "grid",
                    "organization",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    # Accounts are community staff's business only (grid workers and partners manage their residents
    # through the workbench, not through other people's sign-in details).
    def _community_staff(self, request) -> bool:
        return bool(getattr(request.user, "is_community_staff", False))

    def has_module_permission(self, request):
        return self._community_staff(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._community_staff(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._community_staff(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._community_staff(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._community_staff(request) and super().has_delete_permission(request, obj)

    def get_search_results(self, request, queryset, search_term):
        """Also find a user by her phone typed the way people write it (139 1234 5678, +86...)."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        from portal.accounts.phone import parse_cn_mobile

        e164 = parse_cn_mobile(search_term)
        if e164:
            queryset = queryset | self.model.objects.filter(phone=e164)
        return queryset, may_have_duplicates
