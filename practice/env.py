"""Read configuration from the environment, failing loudly.

Every helper raises ImproperlyConfigured naming the variable when it is missing or malformed,
so a misconfigured deployment stops at start-up instead of running half-secure.

A local file (``.env`` beside manage.py, or the path in PRACTICE_ENV_FILE) is read first for
development convenience; real environment variables always win over it.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_MISSING = object()


def load_env_file(path: Path) -> None:
    """Load KEY=VALUE lines into os.environ without overriding variables already set."""
    if not path.is_file():
        return
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ImproperlyConfigured(f"{path}:{number}: expected KEY=VALUE")
        key, value = line.split("=", 1)
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(key, value)


def env_str(name: str, default: object = _MISSING) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is _MISSING:
            raise ImproperlyConfigured(f"The environment variable {name} is required but not set.")
        return str(default)
    return value


def env_bool(name: str, default: bool | object = _MISSING) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is _MISSING:
            raise ImproperlyConfigured(f"The environment variable {name} is required but not set.")
        return bool(default)
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false, 1/0, yes/no, on/off).")


def env_int(name: str, default: int | object = _MISSING, *, minimum: int | None = None) -> int:
    raw = env_str(name, default=str(default) if default is not _MISSING else _MISSING)
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str] | object = _MISSING) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        if default is _MISSING:
            raise ImproperlyConfigured(f"The environment variable {name} is required but not set.")
        return list(default)  # type: ignore[call-overload]
    return [item.strip() for item in value.split(",") if item.strip()]


def decode_key(name: str, text: str) -> bytes:
    """A 256-bit key written as URL-safe or standard base64."""
    try:
        padded = text + "=" * (-len(text) % 4)
        key = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name} must be base64-encoded 32-byte keys.") from None
    if len(key) != 32:
        raise ImproperlyConfigured(
            f"{name} must be base64-encoded 32-byte keys (one decoded to {len(key)} bytes)."
        )
    return key


def env_key(name: str) -> bytes:
    return decode_key(name, env_str(name))


def env_keyring(name: str) -> list[tuple[str, bytes]]:
    """A comma-separated list of ``id:base64key`` pairs; the first one encrypts, all decrypt."""
    entries = env_list(name)
    ring: list[tuple[str, bytes]] = []
    for entry in entries:
        key_id, sep, encoded = entry.partition(":")
        if not sep or not key_id or not key_id.isalnum() or len(key_id) > 16:
            raise ImproperlyConfigured(
                f"{name} must be a comma-separated list of id:base64key pairs "
                "(ids are 1-16 letters or digits)."
            )
        ring.append((key_id, decode_key(name, encoded)))
    if len({key_id for key_id, _ in ring}) != len(ring):
        raise ImproperlyConfigured(f"{name} names the same key id twice.")
    return ring
