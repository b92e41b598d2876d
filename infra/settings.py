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
    config_dir: Path = CONFIG_DIR
    # where parallel work (walk-forward folds, grids) runs: threads | processes | dask (see tasks/runners.py)
    task_runner: str = "threads"
    task_workers: int | None = Field(default=None, ge=1)  # threads/processes; default one per core
    dask_address: str | None = None  # e.g. tcp://scheduler:8786; unset with dask = a local cluster

    @field_validator("data_source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if value != "sample" and not value.startswith("dir:"):
            raise ValueError("QUANTOPS_DATA_SOURCE must be 'sample' or 'dir:PATH'")
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
