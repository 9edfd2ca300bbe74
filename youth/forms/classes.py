"""Holiday classes and parenting lectures (家庭教育讲座): events activities with the youth area's facts; the area's index."""

from __future__ import annotations
