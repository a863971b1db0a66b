"""Test helpers shared across test packages (tiny offline models, local servers)."""
