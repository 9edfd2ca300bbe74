"""Limits on uploaded files, with a clear message at the field instead of a failed request."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from import_export.forms import ImportForm


def validate_upload_size(upload) -> None:
    limit = settings.MAX_UPLOAD_SIZE
    if upload is not None and upload.size > limit:
        raise ValidationError(
            _("This file is %(size)s; files up to %(limit)s can be uploaded.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="file_too_large",
        )


class SizeLimitedImportForm(ImportForm):
    """django-import-export's import form, refusing files over settings.MAX_UPLOAD_SIZE at the field."""

    def clean_import_file(self):
        upload = self.cleaned_data.get("import_file")
        validate_upload_size(upload)
        return upload
