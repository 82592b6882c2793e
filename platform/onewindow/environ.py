"""Environment variables: one prefix, ``ONEWINDOW_``.

Variables that are not configuration keys (the test database, the seal key) are read
with :func:`getenv`. Their older names with the ``OW_`` prefix are still read, with a
warning naming the new one, so an existing deployment or CI keeps working while it
renames them.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping

PREFIX = "ONEWINDOW_"
OLD_PREFIX = "OW_"


class RenamedVariableWarning(FutureWarning):
    """An environment variable was found under its old ``OW_`` name."""


def getenv(name: str, default: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """``ONEWINDOW_<name>``, else the old ``OW_<name>`` (with a warning), else ``default``."""
    env = os.environ if environ is None else environ
    value = env.get(PREFIX + name)
    if value is not None:
        return value
    value = env.get(OLD_PREFIX + name)
    if value is not None:
        warnings.warn(
            f"environment variable {OLD_PREFIX}{name} is an old name: rename it to {PREFIX}{name} "
            f"({OLD_PREFIX}{name} will stop being read in a later release)",
            RenamedVariableWarning,
            stacklevel=2,
        )
        return value
    return default
