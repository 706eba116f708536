"""Several worker processes: gunicorn's arbiter with uvicorn workers (`serve --workers N`).

gunicorn binds the socket once, with TCP_NODELAY (uvicorn's own `--workers` socket lacks it,
which holds every keep-alive response back ~40 ms for a delayed ACK), restarts a worker
that dies and hands out connections to whichever worker accepts first.
"""

from __future__ import annotations

import gc
import warnings
from typing import Any

from fastapi import FastAPI
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

with warnings.catch_warnings():
    # uvicorn marks the module deprecated in favour of the uvicorn-worker package, which
    # holds the same class; this one comes with uvicorn itself.
    warnings.simplefilter("ignore", DeprecationWarning)
    from uvicorn.workers import UvicornWorker

# Seconds a worker may stay silent (e.g. loading a large catalogue at start-up) before the
# arbiter replaces it, and may take to finish its requests when asked to stop.
WORKER_TIMEOUT_S = 120
GRACEFUL_TIMEOUT_S = 30
# As uvicorn alone: an idle keep-alive connection is closed after 5 s.
KEEPALIVE_S = 5


class Worker(UvicornWorker):
    # No access log: uvicorn's prints the query string; app.core.access_log logs each
    # request with an allow-list of fields instead. (A plain dict, as uvicorn declares it.)
    CONFIG_KWARGS: dict[str, Any] = {"loop": "auto", "http": "auto", "access_log": False}  # noqa: RUF012


class WorkersApplication(BaseApplication):  # type: ignore[misc]
    """gunicorn configured in code, serving the already imported app."""

    def __init__(self, app: FastAPI, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> FastAPI:
        return self._app


def serve_workers(app: FastAPI, *, host: str, port: int, workers: int) -> int:
    """Serve `app` with `workers` processes until stopped (SIGTERM or SIGINT)."""
    options: dict[str, Any] = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": f"{__name__}.Worker",
        "timeout": WORKER_TIMEOUT_S,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "keepalive": KEEPALIVE_S,
        # The app (rules, templates) is imported here once and shared by the workers.
        "preload_app": True,
        "accesslog": None,
        # No control socket in $HOME: not needed, and two servers would share its path.
        "control_socket_disable": True,
    }
    # What the parent loaded stays untouched by the collector, so the forked workers keep
    # sharing its memory pages instead of copying them.
    gc.freeze()
    WorkersApplication(app, options).run()
    return 0
