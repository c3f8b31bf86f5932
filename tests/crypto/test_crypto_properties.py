"""Property tests: any text or bytes round-trips through the database unchanged."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from practice.crypto.cache import key_cache

from .conftest import dump_table
from .probe_models import ProbeClient, ProbeNote

pytestmark = pytest.mark.usefixtures("probe_db")
FIXTURES_OK = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FIXTURES_OK
@given(text=st.text(), title=st.text(max_size=20))
def test_any_text_round_trips(
    make_client: Callable[..., ProbeClient], text: str, title: str
) -> None:
    client = ProbeClient.objects.first() or make_client()
    with key_cache():
        note = ProbeNote.objects.create(client=client, body=text, summary=text, title=title)
        fresh = ProbeNote.objects.get(pk=note.pk)
        assert (fresh.body, fresh.summary, fresh.title) == (text, text, title)


@FIXTURES_OK
@given(data=st.binary(max_size=4096))
def test_any_bytes_round_trip(make_client: Callable[..., ProbeClient], data: bytes) -> None:
    client = ProbeClient.objects.first() or make_client()
    note = ProbeNote.objects.create(client=client, attachment=data)
    assert ProbeNote.objects.get(pk=note.pk).attachment == data


@FIXTURES_OK
@given(secret=st.text(alphabet=st.characters(codec="ascii", min_codepoint=33), min_size=12))
def test_plaintext_never_reaches_the_table(
    make_client: Callable[..., ProbeClient], secret: str
) -> None:
    client = ProbeClient.objects.first() or make_client()
    ProbeNote.objects.create(client=client, body=secret, title=secret[:20])
    assert secret.encode() not in dump_table(ProbeNote)
