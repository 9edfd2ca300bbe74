"""Forms of the youth area, one module per piece."""
