"""Settings come from the environment and fail loudly when something is missing or malformed."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from practice import env

ROOT = Path(__file__).resolve().parents[2]


def key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def production_env(**overrides: str) -> dict[str, str]:
    values = {
        "PATH": os.environ.get("PATH", ""),
        "PRACTICE_ENV_FILE": "",
        "DJANGO_SETTINGS_MODULE": "practice.settings",
        "DJANGO_SECRET_KEY": base64.urlsafe_b64encode(os.urandom(48)).decode(),
        "DJANGO_ALLOWED_HOSTS": "records.example.org",
        "AUDIT_HMAC_KEY": key(),
        "IDENTITY_MASTER_KEYS": f"id1:{key()}",
        "CLINICAL_MASTER_KEYS": f"cl1:{key()}",
        "BLIND_INDEX_KEY": key(),
        "DATABASE_URL": "sqlite:////tmp/practice-settings-test.sqlite3",
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def load_settings(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('loaded')"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_environment_loads() -> None:
    result = load_settings(production_env())
    assert result.returncode == 0, result.stderr
    assert "loaded" in result.stdout


@pytest.mark.parametrize(
    "variable",
    [
        "DJANGO_SECRET_KEY",
        "AUDIT_HMAC_KEY",
        "IDENTITY_MASTER_KEYS",
        "CLINICAL_MASTER_KEYS",
        "BLIND_INDEX_KEY",
        "DJANGO_ALLOWED_HOSTS",
    ],
)
def test_missing_required_variable_stops_start_up_and_names_it(variable: str) -> None:
    environment = production_env()
    del environment[variable]
    result = load_settings(environment)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AUDIT_HMAC_KEY", "not-base64!"),
        ("AUDIT_HMAC_KEY", base64.urlsafe_b64encode(b"short").decode()),
        ("IDENTITY_MASTER_KEYS", "no-colon-here"),
        ("CLINICAL_MASTER_KEYS", "a:" + key() + ",a:" + key()),
        ("DJANGO_DEBUG", "perhaps"),
        ("DJANGO_SECRET_KEY", "too-short"),
        ("SESSION_IDLE_SECONDS", "fifteen"),
        ("SESSION_IDLE_SECONDS", "5"),
    ],
)
def test_malformed_variable_stops_start_up_and_names_it(variable: str, value: str) -> None:
    result = load_settings(production_env(**{variable: value}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_the_same_key_may_not_serve_two_purposes() -> None:
    shared = key()
    result = load_settings(production_env(BLIND_INDEX_KEY=shared, AUDIT_HMAC_KEY=shared))
    assert result.returncode != 0
    assert "must all be different" in result.stderr


def test_deploy_check_passes_with_no_warning_in_production() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_defaults_are_secure() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE, s.SESSION_COOKIE_NAME, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_SSL_REDIRECT, s.PASSWORD_HASHERS[0].rsplit('.', 1)[1])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "Lax",
        "__Host-sessionid",
        "31536000",
        "True",
        "Argon2PasswordHasher",
    ]


def test_env_file_is_read_but_real_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / "local.env"
    env_file.write_text("# comment\nPRACTICE_TEST_A=from-file\nPRACTICE_TEST_B='quoted'\n")
    monkeypatch.setenv("PRACTICE_TEST_A", "from-environment")
    monkeypatch.delenv("PRACTICE_TEST_B", raising=False)
    env.load_env_file(env_file)
    assert os.environ["PRACTICE_TEST_A"] == "from-environment"
    assert os.environ["PRACTICE_TEST_B"] == "quoted"
    monkeypatch.delenv("PRACTICE_TEST_B")


def test_env_file_with_a_bad_line_names_the_line(tmp_path: Path) -> None:
    env_file = tmp_path / "bad.env"
    env_file.write_text("GOOD=1\nthis line has no equals sign\n")
    with pytest.raises(ImproperlyConfigured, match=r"bad.env:2"):
        env.load_env_file(env_file)


def test_keyring_first_key_is_listed_first(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = key(), key()
    monkeypatch.setenv("PRACTICE_TEST_RING", f"new:{first},old:{second}")
    ring = env.env_keyring("PRACTICE_TEST_RING")
    assert [key_id for key_id, _ in ring] == ["new", "old"]
    assert all(len(value) == 32 for _, value in ring)


def test_local_env_file_is_written_private(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "write_local_env.py"), str(target)], check=True
    )
    assert target.stat().st_mode & 0o777 == 0o600
    before = target.read_text()
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "write_local_env.py"), str(target)], check=True
    )
    assert target.read_text() == before, "an existing file is never overwritten"
