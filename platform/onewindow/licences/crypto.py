"""National cryptography (国密) for electronic seals: SM2 keys and signatures, SM3 digests,
and encryption of seal private keys at rest.

- SM2 (GB/T 32918) with SM3 (GB/T 32905), through ``gmssl``; the signer identity is the
  standard's default ``1234567812345678`` (what OpenSSL calls ``distid``), so signatures
  verify in other SM2 implementations.
- ``gmssl`` 3.2.2 has no key generation and draws signing nonces from ``random`` (not a
  CSPRNG): both come from :mod:`secrets` here.
- Private keys are encrypted with SM4-CBC and authenticated with HMAC-SM3
  (encrypt-then-MAC) under a key-encryption key (KEK) from configuration: see
  :func:`load_kek`. Nothing in this module logs or returns a private key in clear
  except :func:`decrypt_private_key`, whose result only ever reaches :func:`sign`.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from flask_babel import gettext
from gmssl import func, sm3
from gmssl.sm2 import CryptSM2, default_ecc_table
from gmssl.sm4 import SM4_DECRYPT, SM4_ENCRYPT, CryptSM4

from onewindow.environ import getenv
from onewindow.errors import ValidationError

#: Signer identity of SM2 signatures: the standard's default (ENTL 0x0080).
DEFAULT_USER_ID = b"1234567812345678"
ALGORITHM = "SM2-with-SM3"
KEK_ENV = "ONEWINDOW_SEAL_KEK"  # its old name OW_SEAL_KEK is still read, with a warning
KEK_FILE = "seal.kek"
_BLOB_PREFIX = "sm4cbc-hmacsm3:v1:"

_N = int(default_ecc_table["n"], 16)
_P = int(default_ecc_table["p"], 16)
_A = int(default_ecc_table["a"], 16)
_B = int(default_ecc_table["b"], 16)


class SealKeyError(ValidationError):
    """A seal key cannot be used: missing, unreadable, or encrypted under another KEK."""


# --- SM3 ---------------------------------------------------------------------


def sm3_hex(data: bytes) -> str:
    """SM3 digest of ``data`` as 64 lowercase hex characters (GB/T 32905)."""
    return sm3.sm3_hash(func.bytes_to_list(data))


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC (RFC 2104) with SM3; SM3's block size is 64 bytes."""
    if len(key) > 64:
        key = bytes.fromhex(sm3_hex(key))
    key = key.ljust(64, b"\0")
    inner = bytes.fromhex(sm3_hex(bytes(k ^ 0x36 for k in key) + data))
    return bytes.fromhex(sm3_hex(bytes(k ^ 0x5C for k in key) + inner))


def canonical_bytes(document: dict[str, Any]) -> bytes:
    """The one serialisation that is digested and signed: JSON, keys sorted, no whitespace, UTF-8.

    Any change of a value, a key or a type changes these bytes, so a single altered
    byte of a sealed licence's data fails verification.
    """
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


# --- SM2 ---------------------------------------------------------------------


def _crypt(private_key: str | None, public_key: str, ecc_table: dict | None = None) -> CryptSM2:
    table = ecc_table or default_ecc_table
    crypt = CryptSM2(private_key=private_key, public_key="", ecc_table=table)
    # CryptSM2.__init__ strips a leading "04" with str.lstrip("04"), which also eats
    # leading 0 and 4 digits of x: set the bare 128-hex point afterwards instead.
    crypt.public_key = public_key
    return crypt


def generate_keypair() -> tuple[str, str]:
    """A fresh SM2 key pair ``(private_hex, public_hex)``; public is x‖y, 128 hex, no 04 prefix."""
    d = secrets.randbelow(_N - 2) + 1  # uniform in [1, n-2] (GB/T 32918.1 §6.1)
    crypt = _crypt(None, "")
    public = crypt._kg(d, default_ecc_table["g"])
    return f"{d:064x}", public


def public_key_problem(public_hex: str) -> str | None:
    """Why ``public_hex`` is not a point of the SM2 curve, or None."""
    if not isinstance(public_hex, str) or len(public_hex) != 128:
        return "SM2 public key must be 128 hex characters (x‖y)"
    try:
        x, y = int(public_hex[:64], 16), int(public_hex[64:], 16)
    except ValueError:
        return "SM2 public key is not hexadecimal"
    if not (0 <= x < _P and 0 <= y < _P) or (y * y - (x * x * x + _A * x + _B)) % _P:
        return "SM2 public key is not a point of the SM2 curve"
    return None


def fingerprint(public_hex: str) -> str:
    """Short, stable identifier of a public key: the first 16 hex of SM3(04‖x‖y), upper case."""
    return sm3_hex(bytes.fromhex("04" + public_hex))[:16].upper()


def sign(private_hex: str, public_hex: str, message: bytes) -> str:
    """SM2 signature r‖s (128 hex) of ``message`` with SM3 and the default signer identity."""
    crypt = _crypt(private_hex, public_hex)
    for _ in range(16):  # a nonce giving r = 0 or s = 0 is discarded (GB/T 32918.2 §6.1)
        k = f"{secrets.randbelow(_N - 1) + 1:064x}"
        signature = crypt.sign_with_sm3(message, k)
        if signature:
            return signature
    raise SealKeyError("SM2 signing failed 16 times in a row; the private key is not usable")


def verify(public_hex: str, message: bytes, signature: str) -> bool:
    """True when ``signature`` (r‖s hex) is a valid SM2-with-SM3 signature of ``message``."""
    if public_key_problem(public_hex) or not isinstance(signature, str) or len(signature) != 128:
        return False
    try:
        r, s = int(signature[:64], 16), int(signature[64:], 16)
    except ValueError:
        return False
    if not (1 <= r < _N and 1 <= s < _N):  # gmssl does not check the range itself
        return False
    return bool(_crypt(None, public_hex).verify_with_sm3(signature, message))


def za(public_hex: str, user_id: bytes = DEFAULT_USER_ID, ecc_table: dict | None = None) -> str:
    """Z_A = SM3(ENTL‖ID‖a‖b‖xG‖yG‖xA‖yA) of GB/T 32918.2 §5.5, for any identity and curve."""
    table = ecc_table or default_ecc_table
    entl = (len(user_id) * 8).to_bytes(2, "big")
    raw = entl + user_id + bytes.fromhex(table["a"] + table["b"] + table["g"] + public_hex)
    return sm3_hex(raw)


# --- key-encryption key and private keys at rest -----------------------------


def load_kek(configured: str | None, instance_path: str | Path) -> bytes:
    """The key-encryption key for seal private keys, 32 bytes.

    Order: ``ONEWINDOW_SEAL_KEK`` environment variable (64 hex) → ``seal_key_encryption_key`` of
    ``[plugins.licences]`` in ``onewindow.toml`` → ``<instance>/seal.kek``, generated with
    mode 600 on first use. Production sets one of the first two and keeps it out of backups
    of the database: the database alone must not yield the seals.
    """
    for value, source in (
        (getenv("SEAL_KEK"), f"environment variable {KEK_ENV}"),
        (configured, "[plugins.licences] seal_key_encryption_key in onewindow.toml"),
    ):
        if value:
            return _parse_kek(value.strip(), source)
    path = Path(instance_path) / KEK_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_hex(32))
    return _parse_kek(path.read_text(encoding="utf-8").strip(), str(path))


def _parse_kek(value: str, source: str) -> bytes:
    try:
        kek = bytes.fromhex(value)
    except ValueError:
        kek = b""
    if len(kek) != 32:
        raise SealKeyError(
            gettext(
                "%(source)s: the seal key-encryption key must be 64 hexadecimal characters (32 bytes); "
                'generate one with `python -c "import secrets; print(secrets.token_hex(32))"`',
                source=source,
            )
        )
    return kek


def kek_id(kek: bytes) -> str:
    """Names a KEK without revealing it, so a wrong KEK is reported as such."""
    return hmac_sm3(kek, b"onewindow seal kek id").hex()[:8]


def _subkeys(kek: bytes) -> tuple[bytes, bytes]:
    # Separate keys for encryption and authentication, derived from the one KEK.
    return hmac_sm3(kek, b"onewindow seal enc")[:16], hmac_sm3(kek, b"onewindow seal mac")


def encrypt_private_key(private_hex: str, kek: bytes, key_id: str) -> str:
    """SM4-CBC + HMAC-SM3 over (key id, IV, ciphertext): a blob cannot move to another seal."""
    enc_key, mac_key = _subkeys(kek)
    iv = secrets.token_bytes(16)
    cipher = CryptSM4()
    cipher.set_key(enc_key, SM4_ENCRYPT)
    ciphertext = cipher.crypt_cbc(iv, bytes.fromhex(private_hex))
    tag = hmac_sm3(mac_key, key_id.encode() + iv + ciphertext)
    return _BLOB_PREFIX + base64.b64encode(iv + ciphertext + tag).decode("ascii")


def decrypt_private_key(blob: str, kek: bytes, key_id: str) -> str:
    if not blob or not blob.startswith(_BLOB_PREFIX):
        raise SealKeyError(
            gettext(
                "seal %(key)s: the stored private key is missing or in an unknown format",
                key=key_id,
            )
        )
    raw = base64.b64decode(blob[len(_BLOB_PREFIX) :])
    iv, ciphertext, tag = raw[:16], raw[16:-32], raw[-32:]
    enc_key, mac_key = _subkeys(kek)
    if not hmac.compare_digest(tag, hmac_sm3(mac_key, key_id.encode() + iv + ciphertext)):
        raise SealKeyError(
            gettext(
                "seal %(key)s: the private key cannot be decrypted with the configured key-encryption key "
                "(KEK id %(kek)s); "
                "set %(env)s or [plugins.licences] seal_key_encryption_key to the KEK the seal was created under",
                key=key_id,
                kek=kek_id(kek),
                env=KEK_ENV,
            )
        )
    cipher = CryptSM4()
    cipher.set_key(enc_key, SM4_DECRYPT)
    return cipher.crypt_cbc(iv, ciphertext).hex()
