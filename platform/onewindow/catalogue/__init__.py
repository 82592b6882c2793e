"""catalogue (core part)."""
