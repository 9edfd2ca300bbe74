"""The back office's name: "朝夕 · 永兴社区 管理后台" in the header, "朝夕管理后台" in the browser tab.

Lazy, so each page speaks its visitor's language and names the community of ``ZHAOXI_COMMUNITY_NAME``
(``portal.context_processors.community_name``). The admin's sign-in is allauth's (portal/urls.py).
"""

from django.conf import settings
from django.contrib import admin
from django.utils import translation
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import resources

from portal.context_processors import community_name


def _site_header() -> str:
    return gettext("Zhaoxi · %(community)s back office") % {"community": community_name()}


admin.site.site_header = lazy(_site_header, str)()
admin.site.site_title = _("Zhaoxi back office")
admin.site.index_title = _("Back office home")


# --- spreadsheets of the back office (django-import-export) -----------------------------------------


def _lower(text) -> str:
    return " ".join(str(text).split()).lower()


class LabelledResource(resources.ModelResource):
    """A back-office spreadsheet whose header row is each column's name in the staff member's language
    (姓名, 出生日期, 住户编号, ...): the model fields' verbose names, and ``column_name`` (translated) for
    declared fields. An import accepts those headers in any of the portal's languages, and the old
    English column names (``legacy_columns``: field key -> header, default the key itself), so a file
    exported earlier or in the other language still imports."""

    #: Field key -> the header that older exports wrote (when it is not the key itself).
    legacy_columns: dict[str, str] = {}

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        field = super().field_from_django_field(field_name, django_field, readonly)
        field.column_name = capfirst(django_field.verbose_name)
        return field

    def _header_aliases(self) -> dict[str, str]:
        aliases = {}
        for key in self.fields:
            aliases[_lower(self.legacy_columns.get(key, key))] = key
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                for key, field in self.fields.items():
                    aliases.setdefault(_lower(field.column_name), key)
        return aliases

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        if not dataset.headers:
            return
        aliases = self._header_aliases()
        headers = []
        for header in dataset.headers:
            key = aliases.get(_lower(header)) if header is not None else None
            headers.append(str(self.fields[key].column_name) if key else header)
        dataset.headers = headers


# --- third-party apps in the back office -----------------------------------------------------------
# Names their packages leave untranslatable (plain strings, or none): given here, at run time, where no
# migration sees them (an app's verbose_name, a model's _meta.verbose_name outside its Meta class).


def _name_third_party() -> None:
    from django.apps import apps

    names = {"axes": _("Sign-in lockouts"), "import_export": _("Import and export")}
    for label, name in names.items():
        if apps.is_installed(label) or label in apps.app_configs:
            apps.get_app_config(label).verbose_name = name
    try:
        from allauth.mfa.admin import AuthenticatorAdmin
        from allauth.mfa.models import Authenticator
    except ImportError:  # pragma: no cover - allauth.mfa is installed
        return
    Authenticator._meta.verbose_name = _("authenticator")
    Authenticator._meta.verbose_name_plural = _("authenticators")
    if admin.site.is_registered(Authenticator):
        admin.site.unregister(Authenticator)
    admin.site.register(Authenticator, _LabelledAuthenticatorAdmin.build(AuthenticatorAdmin))


class _LabelledAuthenticatorAdmin:
    """allauth's authenticator admin, with column headings and form labels in the staff member's
    language (its model fields have no verbose names)."""

    LABELS = {
        "user": _("user"),
        "type": _("type"),
        "data": _("data"),
        "created_at": _("created"),
        "last_used_at": _("last used"),
    }

    @classmethod
    def build(cls, base):
        labels = cls.LABELS

        def column(name):
            @admin.display(description=labels[name], ordering=name)
            def show(self, obj):
                value = getattr(obj, name)
                return obj.get_type_display() if name == "type" else value

            show.__name__ = f"shown_{name}"
            return show

        attrs = {f"shown_{n}": column(n) for n in base.list_display if n in labels}
        attrs["list_display"] = tuple(f"shown_{n}" if n in labels else n for n in base.list_display)

        def get_form(self, request, obj=None, **kwargs):
            form = super(admin_class, self).get_form(request, obj, **kwargs)
            for name, field in form.base_fields.items():
                if name in labels:
                    field.label = capfirst(labels[name])
            return form

        attrs["get_form"] = get_form
        admin_class = type("AuthenticatorAdmin", (base,), attrs)
        return admin_class


_name_third_party()
