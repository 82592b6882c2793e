"""cases (core part)."""
