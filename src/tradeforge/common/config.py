"""Typed configuration: frozen pydantic models loaded from YAML or TOML.

A config file holds settings; secrets never live in it. Secrets come only from environment
variables named ``TRADEFORGE_<VENUE>_API_KEY``, ``..._API_SECRET`` and ``..._PASSWORD``. A file
may carry ``profiles:`` (``dev``, ``paper``, ``live``), each a partial config merged over the
base when that profile is selected (``--profile`` or ``TRADEFORGE_PROFILE``).

Every key is checked: an unknown or misspelt key is refused by its dotted name, so a typo never
silently falls back to a default.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from tradeforge.model.symbol import KNOWN_QUOTES
from tradeforge.model.timeframe import Timeframe, TimeframeError

ENV_PREFIX = "TRADEFORGE_"
SECRET_FIELDS = ("api_key", "api_secret", "password")


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the file and key."""


class Profile(StrEnum):
    """Where a configuration is meant to run."""

    DEV = "dev"
    PAPER = "paper"
    LIVE = "live"


class StrictModel(BaseModel):
    """Base of every config section: immutable, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class DataConfig(StrictModel):
    """Market data: where the catalog lives and how it is checked."""

    catalog_path: Path = Field(
        default=Path("catalog"), description="Parquet catalog; relative paths sit under home."
    )
    default_venue: str = "binance"
    default_quote: str = "USDT"
    default_timeframe: str = "5m"
    outlier_sigma: float = Field(default=10.0, gt=0)

    @field_validator("default_timeframe")
    @classmethod
    def _known_timeframe(cls, value: str) -> str:
        try:
            return str(Timeframe.parse(value))
        except TimeframeError as error:
            raise ValueError(str(error)) from None

    @field_validator("default_quote")
    @classmethod
    def _known_quote(cls, value: str) -> str:
        if value.upper() not in KNOWN_QUOTES:
            raise ValueError(f"unknown quote {value!r}; known: {', '.join(KNOWN_QUOTES)}")
        return value.upper()


class VenueCredentials(StrictModel):
    """API credentials of one venue, read from the environment only."""

    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    password: SecretStr | None = None

    @property
    def complete(self) -> bool:
        """True when both key and secret are present."""
        return self.api_key is not None and self.api_secret is not None


class VenueConfig(StrictModel):
    """One venue (a ccxt exchange id), its options and its credentials."""

    exchange: str = Field(description="ccxt exchange id, e.g. 'binance'")
    sandbox_url: str | None = Field(
        default=None, description="Base URL of a local Binance-compatible sandbox."
    )
    credentials: VenueCredentials = VenueCredentials()


class TradeforgeConfig(StrictModel):
    """The whole configuration of one tradeforge process."""

    profile: Profile = Profile.DEV
    home: Path = Field(default=Path(".tradeforge"), description="Where state and data live.")
    log_level: str = "INFO"
    data: DataConfig = DataConfig()
    venues: dict[str, VenueConfig] = Field(default_factory=dict)

    @property
    def catalog_path(self) -> Path:
        """The catalog folder, resolved against ``home`` when relative."""
        path = self.data.catalog_path
        return path if path.is_absolute() else self.home / path


def load_config(
    path: Path | None = None,
    *,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> TradeforgeConfig:
    """Load and validate a configuration.

    Parameters
    ----------
    path : Path, optional
        A ``.yaml``/``.yml`` or ``.toml`` file; without one, the defaults (and
        ``TRADEFORGE_CONFIG`` when set) are used.
    profile : str, optional
        ``dev``, ``paper`` or ``live``; defaults to ``TRADEFORGE_PROFILE``, then the file's
        ``profile`` key, then ``dev``.
    environ : mapping, optional
        The environment to read ``TRADEFORGE_*`` variables from (default ``os.environ``).

    Raises
    ------
    ConfigError
        For an unreadable file, an unknown key, a bad value, or a secret written in a file.
    """
    env = os.environ if environ is None else environ
    if path is None and env.get(f"{ENV_PREFIX}CONFIG"):
        path = Path(env[f"{ENV_PREFIX}CONFIG"])
    raw = read_config_file(path) if path is not None else {}
    source = str(path) if path is not None else "defaults"
    _refuse_secrets_in_file(raw, source)
    chosen = profile or env.get(f"{ENV_PREFIX}PROFILE") or raw.get("profile") or "dev"
    merged = _apply_profile(raw, str(chosen), source)
    if env.get(f"{ENV_PREFIX}HOME"):
        merged["home"] = env[f"{ENV_PREFIX}HOME"]
    _inject_secrets(merged, env)
    try:
        return TradeforgeConfig.model_validate(merged)
    except ValidationError as error:
        raise ConfigError(describe_validation(error, source)) from None


def read_config_file(
    path: Path, what: str = "config", error: type[ConfigError] = ConfigError
) -> dict[str, Any]:
    """The top-level mapping of a YAML or TOML file; ``error`` (a :class:`ConfigError`)
    naming the file and ``what`` it is when it cannot be read or is not a mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as failure:
        raise error(f"{path}: cannot read {what} file: {failure.strerror}") from None
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix.lower() in {".yaml", ".yml"}:
            data = yaml.safe_load(text) or {}
        else:
            raise error(f"{path}: {what} files are .yaml, .yml or .toml")
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as failure:
        raise error(f"{path}: not valid {path.suffix[1:].upper()}: {failure}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: the top level must be a mapping of keys to values")
    return data


def _refuse_secrets_in_file(raw: Mapping[str, Any], source: str, prefix: str = "") -> None:
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if key in SECRET_FIELDS or key == "credentials":
            raise ConfigError(
                f"{source}: {dotted}: secrets are read only from environment variables "
                f"({ENV_PREFIX}<VENUE>_API_KEY, _API_SECRET, _PASSWORD), never from files"
            )
        if isinstance(value, Mapping):
            _refuse_secrets_in_file(value, source, f"{dotted}.")


def _apply_profile(raw: Mapping[str, Any], profile: str, source: str) -> dict[str, Any]:
    try:
        chosen = Profile(profile)
    except ValueError:
        names = ", ".join(p.value for p in Profile)
        raise ConfigError(f"{source}: unknown profile {profile!r}; use one of {names}") from None
    base = {key: value for key, value in raw.items() if key != "profiles"}
    profiles = raw.get("profiles") or {}
    if not isinstance(profiles, Mapping):
        raise ConfigError(f"{source}: profiles must map profile names to settings")
    for name in profiles:
        if name not in {p.value for p in Profile}:
            raise ConfigError(f"{source}: profiles.{name}: unknown profile")
    merged = _deep_merge(base, profiles.get(chosen.value) or {})
    merged["profile"] = chosen.value
    return merged


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _inject_secrets(merged: dict[str, Any], env: Mapping[str, str]) -> None:
    venues = merged.get("venues")
    if not isinstance(venues, dict):
        return
    for name, venue in venues.items():
        if not isinstance(venue, dict):
            continue
        found = {
            field: env[variable]
            for field in SECRET_FIELDS
            if (variable := f"{ENV_PREFIX}{name.upper()}_{field.upper()}") in env
        }
        venue["credentials"] = found


def describe_validation(error: ValidationError, source: str) -> str:
    """Each problem of a pydantic validation as ``source: dotted.key: message``, a line each."""
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        message = "unknown key" if problem["type"] == "extra_forbidden" else problem["msg"]
        message = message.removeprefix("Value error, ")
        lines.append(f"{source}: {where}: {message}")
    return "\n".join(lines)
