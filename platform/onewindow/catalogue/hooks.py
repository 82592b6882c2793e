"""Hook implementations of the catalogue core part (registered by app.CORE_PARTS)."""

from onewindow.plugins import hookimpl  # noqa: F401
