"""Factories and helpers of the children piece's tests."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from portal.accounts.models import Role
from portal.community.models import OrganizationKind
from tests.accounts.factories import UserFactory

from .factories import OrganizationFactory


def school(name="永兴小学"):
    return OrganizationFactory(name=name, kind=OrganizationKind.SCHOOL)


def staff(**kwargs):
    kwargs.setdefault("role", Role.COMMUNITY_STAFF)
    kwargs.setdefault("name", "陈善惠")
    return UserFactory(**kwargs)


def image_upload(*, fmt="JPEG", size=(1600, 1200), name=None, exif_gps=True, mode="RGB"):
    """An uploaded photo: a real image in ``fmt`` (with an EXIF block carrying a GPS tag when JPEG)."""
    from PIL import Image

    img = Image.new(mode, size, (200, 120, 80) if mode == "RGB" else None)
    out = io.BytesIO()
    kwargs = {}
    if fmt == "JPEG" and exif_gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (32.0, 1.0, 0.0)}  # GPSInfo
        exif[0x010F] = "PhoneMaker"
        kwargs["exif"] = exif.tobytes()
    img.save(out, format=fmt, **kwargs)
    ext = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp"}[fmt]
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}.get(fmt, "image/" + ext)
    return SimpleUploadedFile(name or f"photo.{ext}", out.getvalue(), content_type=content_type)
