"""Fault-injection points for the tests that kill a command midway (``kill -9``).

``ONEWINDOW_FAULT_PAUSE=<point>:<marker file>`` makes the process that reaches ``<point>``
write its pid to the marker file and sleep, so a test can SIGKILL it at exactly that
step and check that the database is unchanged. Unset (always, outside those tests),
:func:`pause_point` does nothing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ENV = "ONEWINDOW_FAULT_PAUSE"
PAUSE_SECONDS = 300


def pause_point(point: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    name, _, marker = spec.partition(":")
    if name != point or not marker:
        return
    Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(PAUSE_SECONDS)
