"""The secrets the product runs on: made on first start in the data directory (readable by its
owner only, one value for every process), and in production only strong ones are accepted."""

from __future__ import annotations

import logging
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.errors import ConfigError
from core.settings import DEFAULT_SECRET_KEY, PROJECT_ROOT, load_settings
from tests.helpers import ADMIN_PASSWORD, app_settings, login
from yuqing.app import create_app

STRONG_PASSWORD = "Jade-otter-47-sails-north"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_secret_key_is_made_on_first_start_and_kept_in_the_data_directory(
    tmp_path: Path,
) -> None:
    first = load_settings(data_dir=tmp_path).secret_key.get_secret_value()
    kept = tmp_path / "secret_key"
    assert kept.read_text(encoding="utf-8").strip() == first
    assert _mode(kept) == 0o600
    assert len(first) >= 43 and first != DEFAULT_SECRET_KEY
    # Read back on every later start; another data directory has a secret of its own.
    assert load_settings(data_dir=tmp_path).secret_key.get_secret_value() == first
    assert load_settings(data_dir=tmp_path / "other").secret_key.get_secret_value() != first
    # A configured secret wins, and the file is left alone.
    configured = secrets.token_urlsafe(32)
    chosen = load_settings(data_dir=tmp_path, secret_key=configured)
    assert chosen.secret_key.get_secret_value() == configured
    assert kept.read_text(encoding="utf-8").strip() == first


def test_processes_starting_at_once_agree_on_one_secret_key(tmp_path: Path) -> None:
    """`yuqing serve` forks workers, the scheduler and crawls run beside it: all of them must
    sign and check tokens with the same secret, however their first starts interleave."""
    script = (
        "from core.settings import load_settings;"
        " print(load_settings().secret_key.get_secret_value())"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_") and k != "CI"}
    env["YUQING_DATA_DIR"] = str(tmp_path)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0] * 8, outputs
    printed = {out.strip() for out, _ in outputs}
    assert printed == {(tmp_path / "secret_key").read_text(encoding="utf-8").strip()}
    assert list(tmp_path.iterdir()) == [tmp_path / "secret_key"]  # no temporary files left


def test_without_an_admin_password_one_is_made_kept_and_its_place_logged(
    tracker_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(app_settings(tmp_path, tracker_url, admin_password=None))
    try:
        with caplog.at_level(logging.INFO), TestClient(app) as client:  # start-up: the admin
            kept = tmp_path / "admin_password"
            password = kept.read_text(encoding="utf-8").strip()
            assert _mode(kept) == 0o600 and len(password) >= 16
            assert password not in caplog.text and str(kept) in caplog.text
            me = client.get("/api/auth/me", headers=login(client, "admin", password))
            assert me.json()["role"] == "admin"
    finally:
        app.state.engine.dispose()


@pytest.mark.parametrize(
    "secret",
    [
        "a" * 32,
        "ab" * 24,
        "0123456789abcdef" * 2,
        "passwordpasswordpasswordpassword",
        "changemechangemechangemechangeme",
        DEFAULT_SECRET_KEY + "-but-longer-now",
        "short-but-random-9f8e7d",
    ],
)
def test_production_refuses_a_secret_key_anyone_could_guess(secret: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="YUQING_SECRET_KEY"):
        load_settings(
            env="production", data_dir=tmp_path, secret_key=secret, admin_password=STRONG_PASSWORD
        )


@pytest.mark.parametrize(
    "password",
    [
        "password",
        "password1234",
        "Password123!",
        "qwertyuiop123",
        "admin12345678",
        "1q2w3e4r5t6y",
        "aaaaaaaaaaaaaaaa",
        "admin-dev-password",
        "Short-1",
    ],
)
def test_production_refuses_a_weak_admin_password(password: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="YUQING_ADMIN_PASSWORD"):
        load_settings(
            env="production",
            data_dir=tmp_path,
            secret_key=secrets.token_urlsafe(32),
            admin_password=password,
        )


def test_production_runs_on_strong_secrets_and_on_ones_it_made(tmp_path: Path) -> None:
    strong = secrets.token_hex(32)
    settings = load_settings(
        env="production", data_dir=tmp_path, secret_key=strong, admin_password=STRONG_PASSWORD
    )
    assert settings.secret_key.get_secret_value() == strong
    made = load_settings(env="production", data_dir=tmp_path, admin_password=ADMIN_PASSWORD)
    assert made.secret_key.get_secret_value() == (tmp_path / "secret_key").read_text().strip()
