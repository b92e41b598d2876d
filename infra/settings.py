"""Runtime settings from the environment (prefix QUANTOPS_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
CONFIG_DIR = PROJECT_ROOT / "config"
TASK_RUNNERS = ("threads", "processes", "dask")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUANTOPS_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".quantops")
    database_url: SecretStr | None = None
    data_source: str = "sample"
    alert_urls: SecretStr = SecretStr("")
    # alert delivery (infra/notifications.py): a send slower than this is 'uncertain' and resent (same key);
    # a claim left 'sending' longer than the lease (a run died mid-send) is taken over by a later run
    alert_connect_timeout: float = Field(default=5.0, gt=0)
    alert_read_timeout: float = Field(default=10.0, gt=0)
    alert_lease_seconds: float = Field(default=300.0, gt=0)
    config_dir: Path = CONFIG_DIR
    # where parallel work (walk-forward folds, grids) runs: threads | processes | dask (see tasks/runners.py)
    task_runner: str = "threads"
    task_workers: int | None = Field(default=None, ge=1)  # threads/processes; default one per core
    dask_address: str | None = None  # e.g. tcp://scheduler:8786; unset with dask = a local cluster
    # live market-data providers (infra/providers): keys from the environment only; URLs overridable for tests
    tiingo_api_key: SecretStr | None = None
    fred_api_key: SecretStr | None = None
    tiingo_url: str = "https://api.tiingo.com/tiingo/daily"
    yahoo_url: str = "https://query1.finance.yahoo.com/v8/finance/chart"
    fred_url: str = "https://fred.stlouisfed.org/graph/fredgraph.csv"
    fred_api_url: str = "https://api.stlouisfed.org/fred/series/observations"
    cboe_url: str = "https://cdn.cboe.com/api/global/delayed_quotes/options"

    @field_validator("data_source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        from infra.providers.config import parse_data_source  # the providers package imports this module

        parse_data_source(value)
        return value

    @field_validator("task_runner")
    @classmethod
    def _known_runner(cls, value: str) -> str:
        if value not in TASK_RUNNERS:
            raise ValueError(f"QUANTOPS_TASK_RUNNER must be one of {', '.join(TASK_RUNNERS)}, got {value!r}")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url is not None and self.database_url.get_secret_value():
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.home / 'quantops.db'}"

    @property
    def alert_url_list(self) -> list[str]:
        raw = self.alert_urls.get_secret_value()
        return [u.strip() for u in raw.replace("\n", ",").split(",") if u.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
