from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthy_when_the_database_answers() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert "sessionid" not in response.cookies


def test_unavailable_when_the_database_does_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connection

    def broken(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused (details must not leak)")

    monkeypatch.setattr(connection, "cursor", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "unavailable"}
    assert b"refused" not in response.content


def test_health_check_only_answers_get() -> None:
    assert Client().post("/healthz").status_code in (403, 405)
