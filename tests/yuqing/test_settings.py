"""The typed settings: environment over YAML, and production's refusal of default secrets."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.settings import DEFAULT_ADMIN_PASSWORD, DEFAULT_SECRET_KEY, Settings, load_settings


def test_yaml_supplies_the_defaults() -> None:
    settings = load_settings()
    assert settings.store.backend == "sqlite"
    assert settings.store.retention_days == 730
    assert settings.api.port == 8000


def test_environment_overrides_yaml_including_nested_keys(monkeypatch) -> None:
    monkeypatch.setenv("YUQING_STORE__BACKEND", "elasticsearch")
    monkeypatch.setenv("YUQING_ELASTICSEARCH__URL", "http://127.0.0.1:9299")
    monkeypatch.setenv("YUQING_API__PORT", "8123")
    settings = Settings()
    assert settings.store.backend == "elasticsearch"
    assert settings.elasticsearch.url == "http://127.0.0.1:9299"
    assert settings.api.port == 8123


def test_production_refuses_the_shipped_secrets(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("YUQING_ENV", "production")
    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YUQING_SECRET_KEY", DEFAULT_SECRET_KEY)
    monkeypatch.setenv("YUQING_ADMIN_PASSWORD", DEFAULT_ADMIN_PASSWORD)
    with pytest.raises(ConfigError, match="YUQING_SECRET_KEY.*YUQING_ADMIN_PASSWORD"):
        load_settings()
    monkeypatch.setenv("YUQING_SECRET_KEY", "short-but-not-default")
    monkeypatch.setenv("YUQING_ADMIN_PASSWORD", "a-real-password-of-mine")
    with pytest.raises(ConfigError, match="fewer than 32"):
        load_settings()
    monkeypatch.setenv("YUQING_SECRET_KEY", "x" * 40)
    with pytest.raises(ConfigError, match="repeats a shorter string"):
        load_settings()
    strong = "Yq7-vN2pXr9LcT4wZb8KmE1sHd6JfG3aUe5QoRi0"
    monkeypatch.setenv("YUQING_SECRET_KEY", strong)
    assert load_settings().secret_key.get_secret_value() == strong


def test_a_bad_value_is_one_readable_error(monkeypatch) -> None:
    monkeypatch.setenv("YUQING_STORE__BACKEND", "mongodb")
    with pytest.raises(ConfigError, match="store.backend"):
        load_settings()


def test_no_module_reads_the_environment_but_settings() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for folder in ("yuqing", "store", "api", "analysis", "crawler", "dashboards", "bench"):
        for path in (root / folder).rglob("*.py"):
            if path.name == "settings.py" and path.parent.name == "yuqing":
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                # Handing the inherited environment, extended, to a child process reads no
                # setting; every other use of the environment does.
                if "os.environ |" in line:
                    continue
                if "os.environ" in line or "os.getenv" in line:
                    offenders.append(str(path.relative_to(root)))
    assert offenders == []
