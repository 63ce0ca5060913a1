"""``python -m service healthcheck``: exit 0 when this host's server says ready on ``/readyz``, 1 otherwise.

The Docker image's HEALTHCHECK: it asks the port the configuration names (``service.port``, so
``PAGESIEVE_SERVICE_PORT``), on loopback when the server binds to every address.
"""

from __future__ import annotations

import argparse
import http.client
import sys

from service.config import load_config

ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service healthcheck",
                                     description="Ask this host's server whether it is ready (GET /readyz): exit 0 "
                                                 "if it answers 200, else 1 with the reason on standard error.")
    parser.add_argument("--timeout", type=float, default=4.0, help="seconds to wait for the answer (default 4)")
    args = parser.parse_args(argv)
    config = load_config()
    host = str(config.get("service", "host")).strip("[]")
    host, port = ANY_ADDRESS.get(host, host), int(config.get("service", "port"))
    conn = http.client.HTTPConnection(host, port, timeout=args.timeout)
    try:
        conn.request("GET", "/readyz")
        resp = conn.getresponse()
        body = resp.read(2000).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        print(f"not ready: no answer from {host}:{port} ({exc})", file=sys.stderr)
        return 1
    finally:
        conn.close()
    if resp.status != 200:
        print(f"not ready: /readyz on {host}:{port} answered {resp.status} {body}", file=sys.stderr)
        return 1
    return 0
