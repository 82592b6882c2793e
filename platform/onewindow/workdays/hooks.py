"""Hook implementations of the workdays core part (registered by app.CORE_PARTS)."""

from onewindow.plugins import hookimpl  # noqa: F401
