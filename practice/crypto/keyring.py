"""Master keys, and wrapping of per-client data keys with them.

Master keys come from settings (``IDENTITY_MASTER_KEYS`` / ``CLINICAL_MASTER_KEYS``: lists of
``(key_id, 32 bytes)``; the first wraps, every one can unwrap). They are read at call time,
never at import time, so ``override_settings`` in tests and a restarted process after a key
change both see the current ring. Master keys never touch the database.

A wrapped data key is ``b"\\x01" + nonce(12) + AES-256-GCM(key) + tag(16)``; its associated data
binds it to (domain, owner id, data-key version), so a wrapped key copied to another client,
domain or version does not unwrap.
"""

from __future__ import annotations

import functools
import os
import uuid
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

KEY_BYTES = 32
NONCE_BYTES = 12
_WRAP_FORMAT = 1
_WRAPPED_BYTES = 1 + NONCE_BYTES + KEY_BYTES + 16


class Domain(models.TextChoices):
    """Which master key ring protects a client's data key: identity apart from clinical."""

    IDENTITY = "identity", "Identity"
    CLINICAL = "clinical", "Clinical"


_SETTING_FOR_DOMAIN = {
    Domain.IDENTITY: "IDENTITY_MASTER_KEYS",
    Domain.CLINICAL: "CLINICAL_MASTER_KEYS",
}


class CryptoError(Exception):
    """Base class of every error raised by the encryption layer."""


class MissingKeyError(CryptoError, ImproperlyConfigured):
    """A key the application needs is not configured.

    The message names the setting and, where relevant, the master key id; never key bytes.
    It is also an ImproperlyConfigured: the fix is in the deployment's configuration.
    """

    def __init__(self, message: str, *, setting: str, key_id: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting
        self.key_id = key_id


class DecryptionError(CryptoError):
    """Ciphertext could not be authenticated or its key is gone.

    The message names places (model, field, row id, key id) only; never plaintext, ciphertext
    or key bytes. ``reason`` is a short code suitable for the audit trail.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _domain(domain: str) -> Domain:
    try:
        return Domain(domain)
    except ValueError:
        raise ValueError(f"Unknown key domain {domain!r}.") from None


def setting_name(domain: str) -> str:
    return _SETTING_FOR_DOMAIN[_domain(domain)]


def master_keys(domain: str) -> list[tuple[str, bytes]]:
    """The configured ring for ``domain``, validated (read from settings now)."""
    name = setting_name(domain)
    ring: Any = getattr(settings, name, None)
    if not ring:
        raise MissingKeyError(
            f"No master keys are configured: set {name} (id:base64key, first one encrypts).",
            setting=name,
        )
    checked: list[tuple[str, bytes]] = []
    for entry in ring:
        try:
            key_id, key = entry
        except (TypeError, ValueError):
            raise MissingKeyError(
                f"{name} must be a list of (key_id, key) pairs.", setting=name
            ) from None
        if not isinstance(key_id, str) or not key_id:
            raise MissingKeyError(f"{name} has a key without an id.", setting=name)
        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise MissingKeyError(
                f"Master key {key_id!r} in {name} is not {KEY_BYTES} bytes long.",
                setting=name,
                key_id=key_id,
            )
        checked.append((key_id, key))
    return checked


def current_master_key(domain: str) -> tuple[str, bytes]:
    """The (id, key) that wraps new data keys: the first in the ring."""
    return master_keys(domain)[0]


def master_key(domain: str, key_id: str) -> bytes:
    """Any configured master key by id; MissingKeyError naming the id and setting otherwise."""
    for candidate_id, key in master_keys(domain):
        if candidate_id == key_id:
            return key
    name = setting_name(domain)
    raise MissingKeyError(
        f"Master key {key_id!r} is not configured in {name}; data keys wrapped with it cannot "
        f"be unwrapped. Add it back to {name} (after the current key) and run "
        "`manage.py rotate_master_keys`.",
        setting=name,
        key_id=key_id,
    )


@functools.lru_cache(maxsize=64)
def _master_aead(key: bytes) -> AESGCM:
    # Building an AESGCM object runs the key schedule; master keys are few and long-lived.
    return AESGCM(key)


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _wrap_aad(domain: str, owner: uuid.UUID | str, version: int) -> bytes:
    # Fixed-form parts that can contain no NUL: canonical UUID text and a decimal version.
    owner_text = str(uuid.UUID(str(owner)))
    return b"\x00".join(
        [
            b"practice.crypto.datakey/v1",
            _domain(domain).value.encode(),
            owner_text.encode(),
            str(int(version)).encode(),
        ]
    )


def wrap_data_key(
    domain: str, owner: uuid.UUID | str, version: int, key: bytes
) -> tuple[str, bytes]:
    """Wrap ``key`` with the domain's current master key; return (master key id, wrapped)."""
    if len(key) != KEY_BYTES:
        raise ValueError("Data keys are 32 bytes.")
    key_id, master = current_master_key(domain)
    nonce = os.urandom(NONCE_BYTES)
    sealed = _master_aead(master).encrypt(nonce, key, _wrap_aad(domain, owner, version))
    return key_id, bytes([_WRAP_FORMAT]) + nonce + sealed


def unwrap_data_key(
    domain: str, owner: uuid.UUID | str, version: int, master_key_id: str, wrapped: bytes
) -> bytes:
    """Unwrap a data key; DecryptionError if it was tampered with or the master key differs."""
    master = master_key(domain, master_key_id)
    wrapped = bytes(wrapped)
    where = f"data key v{version} ({_domain(domain).value}) of owner {owner}"
    if len(wrapped) != _WRAPPED_BYTES or wrapped[0] != _WRAP_FORMAT:
        raise DecryptionError(f"The wrapped {where} is malformed.", reason="bad_wrapped_key")
    nonce, sealed = wrapped[1 : 1 + NONCE_BYTES], wrapped[1 + NONCE_BYTES :]
    try:
        return _master_aead(master).decrypt(nonce, sealed, _wrap_aad(domain, owner, version))
    except InvalidTag:
        raise DecryptionError(
            f"The {where} does not unwrap with master key {master_key_id!r}: the configured "
            "key is not the one it was wrapped with, or the stored key was altered.",
            reason="unwrap_failed",
        ) from None
