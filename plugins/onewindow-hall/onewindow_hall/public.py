"""The hall's blueprint: every citizen-facing page hangs on it (``/hall/...``)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

HERE = Path(__file__).resolve().parent

bp = Blueprint(
    "hall",
    __name__,
    url_prefix="/hall",
    template_folder=str(HERE / "templates"),
    static_folder=str(HERE / "static"),
    static_url_path="/static",
)
