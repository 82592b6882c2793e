"""workdays (core part)."""
