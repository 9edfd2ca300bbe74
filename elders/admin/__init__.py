"""The elders area in the Django admin, one module per piece."""

from . import core, health, outreach, partners  # noqa: F401  (registers the model admins)
