"""Writes of the youth area, one module per piece (children, daycare, pickup, classes)."""
