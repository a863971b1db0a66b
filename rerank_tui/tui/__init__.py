"""Textual screens and widgets (the only layer that imports textual)."""
