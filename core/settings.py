"""The one typed settings object: `YUQING_*` environment variables over `config/settings.yaml`.

Nothing else in the code base reads the environment. Nested models are addressed with a
double underscore, e.g. ``YUQING_ELASTICSEARCH__URL`` or ``YUQING_DATABASE__URL``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, IPvAnyNetwork, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from core.credentials import (
    kept_secret,
    make_secret_key,
    password_weakness,
    secret_key_weakness,
)
from core.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"

# Secrets that earlier versions shipped as defaults. Anyone can read them in the code, so every
# mode refuses them.
DEFAULT_SECRET_KEY = "dev-only-secret-change-me"
DEFAULT_ADMIN_PASSWORD = "admin-dev-password"
# Where secrets nobody configured are kept once made, in the data directory (`core.credentials`).
SECRET_KEY_FILE = "secret_key"
ADMIN_PASSWORD_FILE = "admin_password"
# Written in a path or URL setting, stands for the data directory: every default below lives
# there, so one setting (YUQING_DATA_DIR) moves all the data a deployment keeps.
DATA_DIR = "{data_dir}"


class StoreSettings(BaseModel):
    """Which post store to use and where the embedded one lives."""

    backend: Literal["sqlite", "elasticsearch"] = "sqlite"
    sqlite_path: Path = Path(f"{DATA_DIR}/posts.db")
    # Posts published longer ago than this are dropped by the nightly retention job.
    retention_days: int | None = Field(default=730, ge=1)


class ElasticsearchSettings(BaseModel):
    """Connection and layout of the Elasticsearch post store."""

    url: str | None = None
    index_prefix: str = "yuqing-posts"
    request_timeout: float = 30.0
    # Posts written by other processes become visible after a refresh; a scan only hands out
    # posts older than this many seconds so that a slow writer's batch is never skipped.
    scan_settle_seconds: float = 2.0


class DatabaseSettings(BaseModel):
    """The tracker database (SQLAlchemy URL)."""

    url: str = f"sqlite:///{DATA_DIR}/tracker.db"
    echo: bool = False


class ApiSettings(BaseModel):
    """Where the API listens and how long its tokens live."""

    host: str = "127.0.0.1"
    port: int = 8000
    token_minutes: int = 8 * 60
    # Server processes for `yuqing serve`; 0 is one per CPU core.
    workers: int = Field(default=0, ge=0, le=64)
    # Reads each process works on at once (the rest wait their turn in the event loop), and
    # one write besides.
    # Python runs one thread at a time: beyond a few, threads only fight over the interpreter
    # lock, and every request gets slower (measured by bench/api.py).
    threads: int = Field(default=2, ge=1, le=200)
    # Reverse proxies in front of the server (addresses or networks, e.g. ["10.0.0.0/8"]): a
    # request from one of them that says `X-Forwarded-Proto: https` came over HTTPS, so the
    # pages' sign-in cookie is marked Secure. Nobody else's X-Forwarded-Proto counts.
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)
    # Leaders' figures (department metrics, the quarterly ranking) are computed again after a
    # change to the tracker, but not more often than this: while the office keeps writing,
    # they are at most this many seconds behind, instead of costing every reader a computation.
    figures_settle_seconds: float = Field(default=2.0, ge=0, le=60)


class CrawlerSettings(BaseModel):
    """Where sources are configured, and where crawls keep what could not be stored."""

    sources_file: Path = CONFIG_DIR / "sources.yaml"
    spool_dir: Path = Path(f"{DATA_DIR}/spool")
    quarantine_dir: Path = Path(f"{DATA_DIR}/quarantine")
    batch_size: int = Field(default=500, ge=1, le=10_000)
    # How often a worker stores what its spool holds (posts kept while the store was down).
    replay_seconds: int = Field(default=60, ge=1, le=3600)
    user_agent: str = "yuqing-monitor/0.1 (+opinion-response office)"


class AnalysisSettings(BaseModel):
    """Per-post analysis and the clustering job."""

    # Whose score is a post's `sentiment`: "ngram", the n-gram model (trained on Weibo posts and
    # reviews), or "snownlp", SnowNLP's classifier. SnowNLP's score is kept either way.
    sentiment_engine: Literal["ngram", "snownlp"] = "ngram"
    # An n-gram model trained by `yuqing train-sentiment`; the shipped one while it is absent.
    ngram_model: Path = Path(f"{DATA_DIR}/models/sentiment_ngram.npz")
    # SnowNLP's classifier retrained by `yuqing train-sentiment --engine snownlp`; SnowNLP's
    # shipped model while it is absent.
    sentiment_model: Path = Path(f"{DATA_DIR}/models/sentiment.marshal")
    departments_file: Path = CONFIG_DIR / "departments.yaml"
    hot_issues_file: Path = CONFIG_DIR / "hot_issues.yaml"
    # How often the scheduler runs the clustering and hot-issue pass.
    interval_seconds: int = Field(default=30, ge=5, le=3600)


class CoordinationSettings(BaseModel):
    """How several workers share one tracker database (README, "Scaling out")."""

    # This worker's name in leases and run records; unset, host:pid.
    worker_name: str = Field(default="", max_length=100)
    # A source's crawl lease lasts this long unrenewed: a dead worker's source waits this long
    # (plus the source's interval) for another worker.
    crawl_lease_seconds: float = Field(default=60, ge=2, le=3600)
    # The clustering leader's lease: another worker takes over within this plus a third of it.
    leader_lease_seconds: float = Field(default=30, ge=2, le=600)
    # How many crawls one worker runs at once; the sources beyond wait, or go to other workers.
    crawls_at_once: int = Field(default=4, ge=1, le=64)
    # Without PostgreSQL's notifications, how often the leader looks for newly stored posts.
    nudge_poll_seconds: float = Field(default=2, ge=0.2, le=60)


class AlertChannel(BaseModel):
    """One place alerts are delivered to."""

    model_config = {"extra": "forbid"}

    name: str
    kind: Literal["webhook", "wecom", "dingtalk", "email"]
    # webhook / wecom / dingtalk: the robot's or receiver's URL (the key is part of it)
    url: str | None = None
    # dingtalk: the robot's signing secret ("加签"), when the robot has one
    secret: SecretStr | None = None
    # email over SMTP
    smtp_host: str | None = None
    smtp_port: int = 25
    starttls: bool = False
    username: str | None = None
    password: SecretStr | None = None
    sender: str | None = None
    recipients: list[str] = []
    timeout_seconds: float = Field(default=10.0, gt=0)
    # Only alerts at or above this level go here.
    min_level: Literal["normal", "urgent"] = "normal"

    @model_validator(mode="after")
    def _complete(self) -> AlertChannel:
        if self.kind == "email":
            if not (self.smtp_host and self.sender and self.recipients):
                raise ValueError(
                    f"alert channel {self.name}: email needs smtp_host, sender and recipients"
                )
        elif not self.url:
            raise ValueError(f"alert channel {self.name}: {self.kind} needs url")
        return self


class AlertSettings(BaseModel):
    """When hot issues become alerts, and where every notification goes."""

    # A cluster whose hot score reaches this fires an alert; `urgent_score` marks it urgent.
    threshold: float = Field(default=60.0, ge=0)
    urgent_score: float = Field(default=80.0, ge=0)
    # No second alert for the same cluster within this window unless its score rises by
    # `rearm_delta` or it turns urgent.
    suppression_minutes: int = Field(default=360, ge=0)
    rearm_delta: float = Field(default=15.0, ge=0)
    # Non-urgent alerts raised in quiet hours (local time, "22:00"-"07:00") wait for their end.
    quiet_hours: tuple[str, str] | None = None
    # Attempts per channel within one delivery pass.
    attempts: int = Field(default=3, ge=1, le=10)
    # A notification some channel has not accepted is retried on each of this many passes,
    # then every `slow_retry_minutes`, until every channel has accepted it.
    fast_retries: int = Field(default=20, ge=0)
    slow_retry_minutes: int = Field(default=30, ge=1, le=24 * 60)
    channels: list[AlertChannel] = []


class SlaSettings(BaseModel):
    """Where the statutory deadline rules and the holiday overrides are."""

    policy_file: Path = CONFIG_DIR / "sla.yaml"
    holidays_file: Path = CONFIG_DIR / "holidays.yaml"


class ReportSettings(BaseModel):
    """The daily brief and the quarterly bulletin: when the scheduler writes the brief, where."""

    # The scheduler writes the previous day's brief at this Beijing time each day.
    daily_at: str = Field(default="07:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    # Where the scheduler and `yuqing report` write.
    out_dir: Path = Path(f"{DATA_DIR}/reports")


class TestEngines(BaseModel):
    """Engines the test suite may use; unset means the tests that need them are skipped."""

    postgres_url: str | None = None


class Settings(BaseSettings):
    """Everything the product can be configured with."""

    model_config = SettingsConfigDict(
        env_prefix="YUQING_",
        env_nested_delimiter="__",
        yaml_file=CONFIG_DIR / "settings.yaml",
        extra="forbid",
    )

    env: Literal["development", "test", "production"] = "development"
    # Signs tokens and CSRF tokens. Unset (empty), it is the one made on first start and kept
    # in SECRET_KEY_FILE of the data directory, which every process reads.
    secret_key: SecretStr = SecretStr("")
    # The password of the `admin` account created on first start. Unset, that account gets a
    # random one, kept in ADMIN_PASSWORD_FILE of the data directory (`api.auth.service`).
    admin_password: SecretStr | None = None
    data_dir: Path = Path("var")
    # Derived data that can be rebuilt at any time (e.g. compact model tables).
    cache_dir: Path = Path(f"{DATA_DIR}/cache")
    log_level: str = "INFO"
    store: StoreSettings = StoreSettings()
    elasticsearch: ElasticsearchSettings = ElasticsearchSettings()
    database: DatabaseSettings = DatabaseSettings()
    api: ApiSettings = ApiSettings()
    crawler: CrawlerSettings = CrawlerSettings()
    analysis: AnalysisSettings = AnalysisSettings()
    coordination: CoordinationSettings = CoordinationSettings()
    alerts: AlertSettings = AlertSettings()
    sla: SlaSettings = SlaSettings()
    reports: ReportSettings = ReportSettings()
    test: TestEngines = TestEngines()
    # CI sets CI=true; then a test whose engine is missing fails instead of being skipped.
    ci: bool = Field(default=False, validation_alias=AliasChoices("YUQING_CI", "CI"))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            YamlConfigSettingsSource(settings_cls),
            file_secret_settings,
        )

    @model_validator(mode="after")
    def _paths_in_the_data_dir(self) -> Settings:
        """Every path and URL that names {data_dir} gets the (resolved) data directory."""
        root = str(self.resolve(self.data_dir))

        def place(path: Path) -> Path:
            return Path(str(path).replace(DATA_DIR, root)) if DATA_DIR in str(path) else path

        self.store.sqlite_path = place(self.store.sqlite_path)
        self.database.url = self.database.url.replace(DATA_DIR, root)
        self.crawler.spool_dir = place(self.crawler.spool_dir)
        self.crawler.quarantine_dir = place(self.crawler.quarantine_dir)
        self.analysis.ngram_model = place(self.analysis.ngram_model)
        self.analysis.sentiment_model = place(self.analysis.sentiment_model)
        self.cache_dir = place(self.cache_dir)
        self.reports.out_dir = place(self.reports.out_dir)
        return self

    @model_validator(mode="after")
    def _secrets_nobody_else_knows(self) -> Settings:
        """Make the secret key on first start if none is configured; refuse the secrets the
        code once shipped in every mode, and in production secrets that are easy to guess."""
        if not self.secret_key.get_secret_value():
            made = kept_secret(self.secret_file(SECRET_KEY_FILE), make_secret_key)
            self.secret_key = SecretStr(made)
        key = self.secret_key.get_secret_value()
        password = self.admin_password.get_secret_value() if self.admin_password else ""
        shipped = [
            name
            for name, value, default in (
                ("YUQING_SECRET_KEY", key, DEFAULT_SECRET_KEY),
                ("YUQING_ADMIN_PASSWORD", password, DEFAULT_ADMIN_PASSWORD),
            )
            if value == default
        ]
        if shipped:
            raise ValueError(
                "every mode refuses the shipped default for "
                + ", ".join(shipped)
                + ": anyone can read it in the code; leave it unset to have a random one made"
                " in the data directory, or set one of your own"
            )
        if self.env != "production":
            return self
        problems = []
        if reason := secret_key_weakness(key, published=DEFAULT_SECRET_KEY):
            problems.append(
                f"YUQING_SECRET_KEY {reason} (leave it unset to have one made, or use e.g."
                " `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        if password and (reason := password_weakness(password)):
            problems.append(f"YUQING_ADMIN_PASSWORD {reason}")
        if problems:
            raise ValueError("production mode refuses a weak secret: " + "; ".join(problems))
        return self

    def secret_file(self, name: str) -> Path:
        """Where a secret made on first start is kept: `name` in the data directory."""
        return self.resolve(self.data_dir) / name

    def resolve(self, path: Path) -> Path:
        """A configured path, relative paths taken from the project root."""
        return path if path.is_absolute() else PROJECT_ROOT / path


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once; a bad value is a `ConfigError`."""
    return load_settings()


def load_settings(**overrides: object) -> Settings:
    """Read settings afresh, turning validation errors into one readable `ConfigError`."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # pydantic validates each override
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc


def named_secret(name: str, *, needed_by: str) -> str:
    """The value of the environment variable a config file names instead of writing a secret
    (a source's login cookie or API token); a `ConfigError` saying who needs it when unset."""
    import os

    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"{needed_by} needs the environment variable {name}, which is not set")
    return value
