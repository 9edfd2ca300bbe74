"""Reads of the youth area, one module per piece; ``access`` says who may see which child."""
