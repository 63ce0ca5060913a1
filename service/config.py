"""Service configuration: one defaults file, layered overrides.

Order (later wins): ``defaults.toml`` shipped with the package, a TOML file
named by ``PAGESIEVE_CONFIG``, ``PAGESIEVE_<SECTION>_<KEY>`` environment
variables, then explicit overrides passed by the caller (tests, CLI flags).
This is the only module that reads the environment.
"""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
DEFAULTS_FILE = PACKAGE_DIR / "defaults.toml"
ENV_PREFIX = "PAGESIEVE_"
# Well-known variables accepted without the prefix, as deployment tooling expects.
ENV_ALIASES = {"DATABASE_URL": ("storage", "database_url")}


class ConfigError(ValueError):
    """A configuration value is missing or has the wrong type."""


def _merge(base: dict, override: Mapping) -> dict:
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


_KINDS = {bool: "true or false", int: "an integer", float: "a number"}


def _coerce(raw: str, like: Any) -> Any:
    """Parse an environment string into the type of the default it replaces."""
    if isinstance(like, bool):
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"expected a boolean, got {raw!r}")
    if isinstance(like, int):
        return int(raw.replace("_", ""))
    if isinstance(like, float):
        return float(raw)
    return raw


def _from_environ(defaults: dict, environ: Mapping[str, str]) -> dict:
    found: dict = {}
    for section, values in defaults.items():
        if not isinstance(values, dict):
            continue
        for key, default in values.items():
            name = f"{ENV_PREFIX}{section}_{key}".upper()
            if name in environ:
                try:
                    found.setdefault(section, {})[key] = _coerce(environ[name], default)
                except ValueError:  # ConfigError too: name the variable, not only the value
                    raise ConfigError(f"{name}={environ[name]!r}: expected {_KINDS.get(type(default), 'a string')}") \
                        from None
    for name, (section, key) in ENV_ALIASES.items():
        if name in environ and f"{ENV_PREFIX}{section}_{key}".upper() not in environ:
            found.setdefault(section, {})[key] = environ[name]
    return found


@dataclass(frozen=True)
class Config:
    """Resolved settings; sections are plain dicts (``cfg.section('limits')``)."""

    values: dict

    def section(self, name: str) -> dict:
        return self.values.get(name, {})

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.values.get(section, {}).get(key, default)

    def path(self, section: str, key: str) -> Path:
        """A path setting, resolved against the repository root when relative."""
        value = Path(str(self.get(section, key)))
        return value if value.is_absolute() else REPO_ROOT / value

    def database_url(self) -> str:
        """``storage.database_url``, else the SQLite file at ``storage.sqlite_path``."""
        url = self.get("storage", "database_url")
        if url:
            return url
        return f"sqlite:///{self.path('storage', 'sqlite_path')}"

    def with_overrides(self, overrides: Mapping) -> Config:
        return Config(_merge(copy.deepcopy(self.values), overrides))


def load_config(overrides: Mapping | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Build the configuration from defaults, config file, environment and overrides."""
    environ = os.environ if environ is None else environ
    with DEFAULTS_FILE.open("rb") as fh:
        values = tomllib.load(fh)
    config_file = environ.get(f"{ENV_PREFIX}CONFIG")
    if config_file:
        with open(config_file, "rb") as fh:
            _merge(values, tomllib.load(fh))
    _merge(values, _from_environ(values, environ))
    if overrides:
        _merge(values, overrides)
    return Config(values)
