"""licences (core part)."""
