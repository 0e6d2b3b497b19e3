"""docker-compose.yml cannot run here, so check that its environment matches the settings."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import yaml

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_has_the_four_services() -> None:
    services = compose()["services"]
    assert set(services) == {"elasticsearch", "postgres", "api", "worker"}
    assert services["elasticsearch"]["image"].endswith(":9.5.0")
    assert services["worker"]["command"] == ["yuqing", "scheduler"]


def test_workers_are_replicas_each_with_a_data_directory_of_its_own() -> None:
    worker = compose()["services"]["worker"]
    assert worker["deploy"]["replicas"] >= 2
    # The data directory is an anonymous volume per replica: no named volume shares it.
    assert "/app/var" in worker["volumes"]
    assert not [v for v in worker["volumes"] if str(v).endswith(":/app/var")]
    assert "YUQING_SECRET_KEY" in worker["environment"]  # one secret for every replica


def test_every_yuqing_variable_names_a_settings_field() -> None:
    services = compose()["services"]
    for name in ("api", "worker"):
        env = services[name]["environment"]
        for key in (k for k in env if k.startswith("YUQING_")):
            path = key.removeprefix("YUQING_").lower().split("__")
            model: type = Settings
            for part in path:
                assert part in model.model_fields, f"{name}: {key} is not a setting"
                model = model.model_fields[part].annotation  # type: ignore[assignment]


def test_compose_environment_builds_valid_production_settings(monkeypatch) -> None:
    env = compose()["services"]["api"]["environment"]
    for key, value in env.items():
        # ${VAR:?message} stands for a secret from .env; give each a strong stand-in.
        value = re.sub(r"\$\{([A-Z_]+):\?[^}]*\}", lambda m: secrets.token_urlsafe(32), str(value))
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.env == "production"
    assert settings.store.backend == "elasticsearch"
    assert settings.elasticsearch.url == "http://elasticsearch:9200"
    assert settings.database.url.startswith("postgresql+psycopg://yuqing:")
