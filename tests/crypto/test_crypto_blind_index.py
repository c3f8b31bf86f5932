"""Keyed blind indexes."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

import pytest

from practice.crypto.blind_index import BLIND_INDEX_LENGTH, blind_index, normalise
from practice.crypto.keyring import MissingKeyError


def test_is_a_keyed_hex_digest(settings: Any) -> None:
    first = blind_index("surname", "Smith")
    assert len(first) == BLIND_INDEX_LENGTH and int(first, 16) >= 0
    assert blind_index("surname", "Smith") == first
    assert first != hashlib.sha256(b"smith").hexdigest()
    assert first != hashlib.sha256(b"surname\x00smith").hexdigest()
    settings.BLIND_INDEX_KEY = b"\x07" * 32
    assert blind_index("surname", "Smith") != first  # another key, another index


def test_purposes_are_separate() -> None:
    assert blind_index("surname", "Morgan") != blind_index("first_name", "Morgan")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  O'Brien ", "o'brien"),
        ("MARY   ANN\tJones", "mary ann jones"),
        ("Straße", "STRASSE"),
        ("ＡＬＩＣＥ", "alice"),  # full-width letters (NFKC)
        ("Zoë", "Zoe\u0308"),  # composed and decomposed
        ("a\u00a0b", "a b"),  # no-break space
    ],
)
def test_normalised_before_hashing(typed: str, stored: str) -> None:
    assert blind_index("name", typed) == blind_index("name", stored)


def test_dates_are_iso() -> None:
    assert normalise(datetime.date(1990, 1, 2)) == "1990-01-02"
    assert blind_index("dob", datetime.date(1990, 1, 2)) == blind_index("dob", "1990-01-02")
    with pytest.raises(TypeError):
        blind_index("dob", datetime.datetime(1990, 1, 2, 3, 4, tzinfo=datetime.UTC))  # type: ignore[arg-type]


def test_different_values_differ() -> None:
    assert blind_index("surname", "Smith") != blind_index("surname", "Smyth")


def test_needs_a_key_and_a_purpose(settings: Any) -> None:
    with pytest.raises(ValueError):
        blind_index("", "x")
    settings.BLIND_INDEX_KEY = None
    with pytest.raises(MissingKeyError, match="BLIND_INDEX_KEY"):
        blind_index("surname", "Smith")
