"""The hall's configuration section ``[plugins.hall]`` (docs/operator.md, "Citizen accounts")."""

from __future__ import annotations

from typing import Any

from flask import current_app

KEY = "hall"

DEFAULTS: dict[str, Any] = {
    # One-time codes: digits, minutes before a code expires, wrong tries before it is void.
    "code_length": 6,
    "code_ttl_minutes": 5,
    "code_max_attempts": 5,
    # Limits (Flask-Limiter syntax, counted in RATE_LIMIT_STORAGE_URL): codes sent to one
    # mobile number / requested from one address; login attempts per account / per address.
    "code_rate_per_mobile": "3 per 10 minutes",
    "code_rate_per_address": "20 per hour",
    "login_rate_per_account": "10 per minute",
    "login_rate_per_address": "30 per minute",
    # Largest blank form or sample a pack may ship (hall.forms), in KB.
    "form_file_max_kb": 2048,
    # Minutes of inactivity after which a citizen is logged out.
    "session_idle_minutes": 30,
    # Provincial single sign-on over OpenID Connect (off while sso_issuer is empty); the client
    # id may also come from HALL_SSO_CLIENT_ID, the secret only from HALL_SSO_CLIENT_SECRET.
    "sso_issuer": "",
    "sso_client_id": "",
    "sso_scope": "openid profile",
    "sso_id_number_claim": "id_number",
    "sso_verified_claim": "id_number_verified",
    "sso_name_claim": "name",
    "sso_phone_claim": "phone_number",
    "sso_label": "",
}


def setting(name: str) -> Any:
    return current_app.extensions["onewindow"].plugin_config(KEY)[name]
