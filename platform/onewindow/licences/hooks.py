"""Hook implementations of the licences core part (registered by app.CORE_PARTS)."""

from onewindow.plugins import hookimpl  # noqa: F401
