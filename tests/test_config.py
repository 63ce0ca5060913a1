"""Settings from the config file and the environment are checked: type of the default, range, known names."""

from __future__ import annotations

import subprocess
import sys

import pytest

from service.config import REPO_ROOT, ConfigError, load_config


def _with_file(tmp_path, text: str, **env):
    path = tmp_path / "pagesieve.toml"
    path.write_text(text)
    return load_config(environ={"PAGESIEVE_CONFIG": str(path), **env})


@pytest.mark.parametrize("text,says", [
    ('[service]\nallow_anonymous_localhost = "false"\n', r"service\.allow_anonymous_localhost is 'false', expected true or false"),
    ('[service]\nport = "abc"\n', r"service\.port is 'abc', expected an integer"),
    ('[limits]\nmax_batch = "x"\n', r"limits\.max_batch is 'x', expected an integer"),
    ("[limits]\nmax_batch = 0\n", r"limits\.max_batch is 0, it must be at least 1"),
    ("[review]\nsample_rate = 7\n", r"review\.sample_rate is 7\.0, it must be 0\.0 to 1\.0"),
    ("[service]\nworker = 8\n", r"unknown setting worker in \[service\]; did you mean workers\?"),
    ("[limit]\nmax_batch = 8\n", r"unknown section \[limit\]; did you mean limits\?"),
    ("port = 8080\n", r"port = \.\.\. is outside any section; did you mean \[service\] port\?"),
    ('[service]\nlog_level = "loud"\n', r"service\.log_level is 'loud', expected one of debug"),
])
def test_a_bad_config_file_setting_is_a_config_error_naming_it(tmp_path, text, says):
    with pytest.raises(ConfigError, match=says):
        _with_file(tmp_path, text)


def test_a_good_config_file_is_read(tmp_path):
    config = _with_file(tmp_path, '[service]\nallow_anonymous_localhost = false\nworkers = 3\n[review]\nsample_rate = 1\n')
    assert config.get("service", "allow_anonymous_localhost") is False
    assert config.get("service", "workers") == 3 and config.get("review", "sample_rate") == 1.0


@pytest.mark.parametrize("name,value,says", [
    ("PAGESIEVE_LIMITS_MAX_BATCH", "0", "PAGESIEVE_LIMITS_MAX_BATCH: limits.max_batch is 0, it must be at least 1"),
    ("PAGESIEVE_LIMITS_MAX_PAGE_BYTES", "-1", "it must be at least 1"),
    ("PAGESIEVE_LIMITS_MAX_BODY_BYTES", "-5", "it must be at least 1"),
    ("PAGESIEVE_REVIEW_QUEUE_MAX", "-1", "review.queue_max is -1, it must be at least 1"),
    ("PAGESIEVE_REVIEW_SAMPLE_RATE", "7", "review.sample_rate is 7.0, it must be 0.0 to 1.0"),
    ("PAGESIEVE_SERVICE_PORT", "70000", "service.port is 70000, it must be 0 to 65535"),
    ("PAGESIEVE_SERVICE_LOG_LEVEL", "loud", "expected one of debug, info"),
    ("PAGESIEVE_LIMITS_MAXBATCH", "8", "PAGESIEVE_LIMITS_MAXBATCH is not a setting; did you mean PAGESIEVE_LIMITS_MAX_BATCH?"),
])
def test_a_bad_environment_setting_is_a_config_error_naming_the_variable(name, value, says):
    with pytest.raises(ConfigError) as info:
        load_config(environ={name: value})
    assert says in str(info.value)


@pytest.mark.parametrize("content,says", [
    (None, "cannot read it"),
    ("[service\n", "not valid TOML"),
])
def test_an_unreadable_or_invalid_config_file_is_one_line_and_exit_2(tmp_path, content, says):
    path = tmp_path / "pagesieve.toml"
    if content is not None:
        path.write_text(content)
    run = subprocess.run([sys.executable, "-m", "service", "serve", "--port", "8623"], cwd=REPO_ROOT,
                         env={"PATH": "/usr/bin:/bin", "PAGESIEVE_CONFIG": str(path)}, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(f"error: PAGESIEVE_CONFIG={path}: {says}") and "Traceback" not in run.stderr, \
        run.stderr
