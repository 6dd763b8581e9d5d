"""Liveness probe of the web container: `python -m fwconsole.probe [PORT]`.

Exits 0 when the web server on 127.0.0.1 answers a request for the sign-in
page with anything but a server error. A redirect to HTTPS or a refused host
still proves that gunicorn and Django serve requests; whether the database,
broker and worker are healthy is the health endpoint's question, and a web
container that waited on the worker would never start before it.

It imports nothing from Django so that it stays cheap to run every few
seconds.
"""

import os
import sys
import urllib.error
import urllib.request


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def probe_host():
    """Return a name from FWCONSOLE_ALLOWED_HOSTS to send as the Host header."""
    for name in os.environ.get("FWCONSOLE_ALLOWED_HOSTS", "").split(","):
        name = name.strip().lstrip(".")
        if name and name != "*":
            return name
    return "localhost"


def main(argv):
    port = int(argv[1]) if len(argv) > 1 else 8000
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/accounts/login/", headers={"Host": probe_host()}
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=5) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        print(f"web server unreachable: {error}", file=sys.stderr)  # noqa: T201
        return 1
    if status >= 500:
        print(f"web server answered {status}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
