"""The youth area in the admin, one module per piece."""

from . import children, classes, daycare, pickup  # noqa: F401
