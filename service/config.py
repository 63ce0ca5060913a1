"""Service configuration: one defaults file, layered overrides.

Order (later wins): ``defaults.toml`` shipped with the package, a TOML file
named by ``PAGESIEVE_CONFIG``, ``PAGESIEVE_<SECTION>_<KEY>`` environment
variables, then explicit overrides passed by the caller (tests, CLI flags).
The file's and the environment's settings are checked against the type of
their default and the setting's range (:data:`RANGES`, :data:`CHOICES`); an
unknown section, key or ``PAGESIEVE_*`` variable is refused, naming the
nearest known one. This is the only module that reads the environment.
"""

from __future__ import annotations

import copy
import difflib
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
    """A configuration value is missing, unknown, of the wrong type or out of range."""


# (section, key) -> (lowest, highest) allowed, None for no bound. Settings not named here take any value of the
# default's type.
RANGES: dict[tuple[str, str], tuple[float | None, float | None]] = {
    ("service", "port"): (0, 65535),
    ("service", "workers"): (1, None),
    ("service", "proxy_hops"): (0, None),
    ("service", "worker_timeout"): (1, None),
    ("limits", "max_body_bytes"): (1, None),
    ("limits", "max_page_bytes"): (1, None),
    ("limits", "max_batch"): (1, None),
    ("limits", "max_raw_html_bytes"): (0, None),
    ("review", "sample_rate"): (0.0, 1.0),
    ("review", "spool_retry_seconds"): (1, None),
    ("review", "queue_max"): (1, None),
    ("review", "page_size"): (1, 200),
}
CHOICES = {("service", "log_level"): ("debug", "info", "warning", "error", "critical")}


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


def _nearest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    return f"; did you mean {close[0]}?" if close else f"; known: {', '.join(known)}"


def _check_value(section: str, key: str, value: Any, like: Any, source: str) -> Any:
    """``value`` if it has the type of the default ``like`` and is in the setting's range, else a ConfigError."""
    kind = _KINDS.get(type(like), "a string")
    if isinstance(like, bool):
        ok = isinstance(value, bool)
    elif isinstance(like, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(like, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    else:
        ok = isinstance(value, str)
    if not ok:
        raise ConfigError(f"{source}: {section}.{key} is {value!r}, expected {kind}")
    low, high = RANGES.get((section, key), (None, None))
    if (low is not None and value < low) or (high is not None and value > high):
        span = f"{low} to {high}" if high is not None else f"at least {low}"
        raise ConfigError(f"{source}: {section}.{key} is {value!r}, it must be {span}")
    choices = CHOICES.get((section, key))
    if choices and str(value).lower() not in choices:
        raise ConfigError(f"{source}: {section}.{key} is {value!r}, expected one of {', '.join(choices)}")
    return value


def _check_file(values: Mapping, defaults: dict, source: str) -> None:
    """Refuse a config file's unknown sections and keys (naming the nearest known one) and ill-typed values."""
    sections = [name for name, v in defaults.items() if isinstance(v, dict)]
    for section, table in values.items():
        if section not in sections:
            if not isinstance(table, Mapping):
                owner = {k: s for s in sections for k in defaults[s]}
                close = difflib.get_close_matches(section, list(owner), n=1, cutoff=0.5)
                hint = f"; did you mean [{owner[close[0]]}] {close[0]}?" if close else ""
                raise ConfigError(f"{source}: {section} = ... is outside any section{hint}")
            raise ConfigError(f"{source}: unknown section [{section}]{_nearest(section, sections)}")
        if not isinstance(table, Mapping):
            raise ConfigError(f"{source}: {section} must be a section ([{section}]), not a value")
        for key, value in table.items():
            if key not in defaults[section]:
                raise ConfigError(f"{source}: unknown setting {key} in [{section}]"
                                  f"{_nearest(key, list(defaults[section]))}")
            _check_value(section, key, value, defaults[section][key], source)


def _from_environ(defaults: dict, environ: Mapping[str, str]) -> dict:
    """The settings named by ``PAGESIEVE_<SECTION>_<KEY>`` variables (and the aliases), parsed and checked; an
    unknown ``PAGESIEVE_*`` variable is a ConfigError naming the nearest known one."""
    known = {f"{ENV_PREFIX}{section}_{key}".upper(): (section, key)
             for section, values in defaults.items() if isinstance(values, dict) for key in values}
    for name in environ:
        if name.startswith(ENV_PREFIX) and name not in known and name != f"{ENV_PREFIX}CONFIG":
            raise ConfigError(f"{name} is not a setting{_nearest(name, sorted(known) + [f'{ENV_PREFIX}CONFIG'])}")
    found: dict = {}
    for section, values in defaults.items():
        if not isinstance(values, dict):
            continue
        for key, default in values.items():
            name = f"{ENV_PREFIX}{section}_{key}".upper()
            if name in environ:
                try:
                    value = _coerce(environ[name], default)
                except ValueError:  # ConfigError too: name the variable, not only the value
                    raise ConfigError(f"{name}={environ[name]!r}: expected {_KINDS.get(type(default), 'a string')}") \
                        from None
                found.setdefault(section, {})[key] = _check_value(section, key, value, default, name)
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
    defaults = copy.deepcopy(values)
    config_file = environ.get(f"{ENV_PREFIX}CONFIG")
    if config_file:
        source = f"{ENV_PREFIX}CONFIG={config_file}"
        try:
            with open(config_file, "rb") as fh:
                from_file = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"{source}: cannot read it ({exc.strerror or exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML ({exc})") from None
        _check_file(from_file, defaults, source)
        _merge(values, from_file)
    _merge(values, _from_environ(defaults, environ))
    if overrides:
        _merge(values, overrides)
    return Config(values)
