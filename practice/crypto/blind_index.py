"""Keyed blind indexes for exact-match search on encrypted identity fields.

``blind_index("surname", "O'Brien")`` is HMAC-SHA256 under BLIND_INDEX_KEY (its own key, not
a master key and never in the database) over the purpose and the normalised value. Store the
hex digest in ``models.CharField(max_length=BLIND_INDEX_LENGTH, db_index=True)`` beside the
encrypted field and look up with ``filter(surname_index=blind_index("surname", query))``.

Never an unkeyed hash: surnames and dates of birth are few enough to be guessed by brute
force from a plain SHA-256. The purpose keeps indexes of different fields unrelated, so equal
surnames and e-mail local parts do not reveal each other.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import unicodedata

from django.conf import settings

from practice.crypto.keyring import KEY_BYTES, MissingKeyError

BLIND_INDEX_LENGTH = 64
_PREFIX = b"practice.crypto.blind-index/v1"


def normalise(value: str | datetime.date) -> str:
    """NFKC, case-folded, whitespace collapsed and stripped; dates as ISO 8601."""
    if isinstance(value, datetime.datetime):
        raise TypeError("Blind indexes take dates, not datetimes (which day is ambiguous).")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"Blind indexes take text or dates, not {type(value).__name__}.")
    # Casefolding can produce characters NFKC would change again, so normalise on both sides.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return " ".join(folded.split())


def _key() -> bytes:
    key = getattr(settings, "BLIND_INDEX_KEY", None)
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise MissingKeyError(
            "BLIND_INDEX_KEY is not configured (a base64-encoded 32-byte key).",
            setting="BLIND_INDEX_KEY",
        )
    return key


def blind_index(purpose: str, value: str | datetime.date) -> str:
    """The hex HMAC-SHA256 of ``value`` (normalised) for ``purpose``; 64 characters."""
    if not purpose or "\x00" in purpose:
        raise ValueError("A blind index needs a purpose (e.g. 'surname') without NUL.")
    message = b"\x00".join([_PREFIX, purpose.encode(), normalise(value).encode()])
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()
