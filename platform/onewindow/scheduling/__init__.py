"""scheduling (core part)."""
