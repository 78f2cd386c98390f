from __future__ import annotations

from pathlib import Path

import pytest

from tradeforge.common.config import ConfigError, Profile, load_config

YAML = """
data:
  default_timeframe: 1h
  outlier_sigma: 8
venues:
  binance:
    exchange: binance
profiles:
  paper:
    data:
      default_venue: sandbox
  live:
    log_level: WARNING
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "tradeforge.yaml"
    path.write_text(YAML)
    return path


def test_defaults() -> None:
    config = load_config(environ={})
    assert config.profile is Profile.DEV
    assert config.catalog_path == Path(".tradeforge/catalog")
    assert config.data.default_timeframe == "5m"


def test_yaml_with_profile_and_secrets_from_environment(config_file: Path) -> None:
    env = {"TRADEFORGE_BINANCE_API_KEY": "key-1", "TRADEFORGE_BINANCE_API_SECRET": "s3cret"}
    config = load_config(config_file, profile="paper", environ=env)
    assert config.profile is Profile.PAPER
    assert config.data.default_venue == "sandbox"
    assert config.data.outlier_sigma == 8.0
    credentials = config.venues["binance"].credentials
    assert credentials.complete
    assert credentials.api_secret is not None
    assert credentials.api_secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(config)


def test_profile_from_environment(config_file: Path) -> None:
    config = load_config(config_file, environ={"TRADEFORGE_PROFILE": "live"})
    assert config.log_level == "WARNING"
    assert config.data.default_venue == "binance"


def test_toml(tmp_path: Path) -> None:
    path = tmp_path / "tradeforge.toml"
    path.write_text('home = "/srv/tf"\n[data]\ncatalog_path = "/data/catalog"\n')
    config = load_config(path, environ={})
    assert config.catalog_path == Path("/data/catalog")
    assert config.home == Path("/srv/tf")


def test_config_is_frozen() -> None:
    config = load_config(environ={})
    with pytest.raises(ValueError, match="frozen"):
        config.log_level = "DEBUG"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("data:\n  catalgo_path: x\n", "data.catalgo_path: unknown key"),
        ("dta: {}\n", "dta: unknown key"),
        ("data:\n  default_timeframe: 7m\n", "data.default_timeframe: unsupported timeframe '7m'"),
        ("data:\n  outlier_sigma: -1\n", "data.outlier_sigma: Input should be greater than 0"),
        ("data:\n  default_quote: XYZ\n", "data.default_quote: unknown quote 'XYZ'"),
        ("venues:\n  binance:\n    exchange: binance\n    api_secret: abc\n",
         "venues.binance.api_secret: secrets are read only from environment variables"),
        ("profiles:\n  prod: {}\n", "profiles.prod: unknown profile"),
        ("- a\n- b\n", "the top level must be a mapping"),
        ("data: [unclosed\n", "not valid YAML"),
    ],
)  # fmt: skip
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert f"{path}: " in str(error.value)
    assert message in str(error.value)


def test_unknown_profile_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown profile 'prod'"):
        load_config(environ={"TRADEFORGE_PROFILE": "prod"})
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "missing.yaml", environ={})
    (tmp_path / "c.ini").write_text("x")
    with pytest.raises(ConfigError, match=r"\.yaml, \.yml or \.toml"):
        load_config(tmp_path / "c.ini", environ={})
