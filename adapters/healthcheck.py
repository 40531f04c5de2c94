"""`python -m adapters.healthcheck`: exit 0 when this container's /healthz says healthy.

Docker's HEALTHCHECK runs it; the slim image has no curl. It asks TAPMARK_HEALTH_LISTEN (a
wildcard host is asked on 127.0.0.1) and prints the answer.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def url() -> str:
    host, _, port = os.environ.get("TAPMARK_HEALTH_LISTEN", "127.0.0.1:9090").rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}/healthz"


def main() -> int:
    try:
        with urllib.request.urlopen(url(), timeout=4) as reply:
            print(reply.read().decode())
            return 0
    except urllib.error.HTTPError as exc:
        print(exc.read().decode() or exc, file=sys.stderr)
    except OSError as exc:
        print(f"no answer from {url()}: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
