"""Who may classify without a key: decided once, in the gunicorn master (``resolve_anonymous``)."""

from __future__ import annotations

import pytest

from service.config import load_config
from service.server import resolve_anonymous


@pytest.mark.parametrize("host,hops,allow,anonymous", [
    ("127.0.0.1", 0, True, True),
    ("::1", 0, True, True),
    ("127.0.0.1", 1, True, False),  # a proxy on the same host: every client arrives from loopback
    ("127.0.0.1", 0, False, False),
    ("0.0.0.0", 0, True, False),
])
def test_anonymous_classify_only_on_loopback_with_no_proxy_in_front(host, hops, allow, anonymous):
    config = load_config({"service": {"host": host, "proxy_hops": hops, "allow_anonymous_localhost": allow}},
                         environ={})
    assert resolve_anonymous(config).get("service", "anonymous_classify") is anonymous
