"""Several worker processes: gunicorn's arbiter with uvicorn workers (`serve --workers N`).

gunicorn binds the socket once, with TCP_NODELAY (uvicorn's own `--workers` socket lacks it,
which holds every keep-alive response back ~40 ms for a delayed ACK) and restarts a worker
that dies; each worker adds a socket of its own so that connections are spread (Worker).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import warnings
from typing import Any

from fastapi import FastAPI
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]
from sqlalchemy.exc import SQLAlchemyError

with warnings.catch_warnings():
    # uvicorn marks the module deprecated in favour of the uvicorn-worker package, which
    # holds the same class; this one comes with uvicorn itself.
    warnings.simplefilter("ignore", DeprecationWarning)
    from uvicorn.workers import UvicornWorker

from app.catalogue.service import preload_snapshot
from app.core.db import make_engine

log = logging.getLogger("eenzaamheidswijzer")

# Seconds a worker may stay silent (e.g. loading a large catalogue at start-up) before the
# arbiter replaces it, and may take to finish its requests when asked to stop.
WORKER_TIMEOUT_S = 120
GRACEFUL_TIMEOUT_S = 30
# As uvicorn alone: an idle keep-alive connection is closed after 5 s.
KEEPALIVE_S = 5


class Worker(UvicornWorker):
    """A uvicorn worker that also listens on a socket of its own (SO_REUSEPORT).

    On the one shared socket, the worker that wakes first accepts every connection waiting
    (asyncio accepts in batches): eight keep-alive clients that connect at once all end up
    on one worker. The kernel spreads new connections over the sockets of a SO_REUSEPORT
    group by their addresses, so each worker gets its share; the shared socket stays in
    the group and every worker keeps accepting from it too.
    """

    # No access log: uvicorn's prints the query string; app.core.access_log logs each
    # request with an allow-list of fields instead. (A plain dict, as uvicorn declares it.)
    CONFIG_KWARGS: dict[str, Any] = {"loop": "auto", "http": "auto", "access_log": False}  # noqa: RUF012

    sockets: list[Any]  # set by gunicorn's Worker (untyped)

    def _install_sigquit_handler(self) -> None:
        # gunicorn's quick stop (SIGINT or SIGQUIT to the master) sends SIGQUIT; uvicorn's
        # worker only marks itself not alive then, and keeps serving until gunicorn kills it
        # 30 s later, or never when the master was killed meanwhile (orphaned workers). Stop
        # as on SIGTERM instead: uvicorn's own handler ends the server.
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGQUIT, os.kill, os.getpid(), signal.SIGTERM)

    def run(self) -> None:
        own = [_own_listener(s, self.cfg.backlog) for s in self.sockets if _is_tcp(s)]
        self.sockets = [*own, *self.sockets]
        super().run()


def _is_tcp(sock: Any) -> bool:
    return bool(sock.family in (socket.AF_INET, socket.AF_INET6))


def _own_listener(shared: Any, backlog: int) -> socket.socket:
    """A listening socket on the shared socket's address, in its SO_REUSEPORT group."""
    sock = socket.socket(shared.family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # Without it every keep-alive response waits ~40 ms for a delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(shared.getsockname())
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


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


def _preload_catalogue(app: FastAPI) -> None:
    """Load the catalogue snapshot and its indexes once, here, before the workers fork:
    each starts serving with it at once instead of every worker loading it at the same time
    on the same CPUs (a catalogue of 100 000 initiatives takes seconds)."""
    settings = app.state.settings
    engine = make_engine(settings.database_url)
    try:
        preload_snapshot(engine)
    except SQLAlchemyError as exc:
        # Not fatal: each worker loads the catalogue itself, and says so if it cannot.
        log.warning("could not preload the catalogue (%s)", type(exc).__name__)
    finally:
        engine.dispose()


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
        # The shared socket joins each worker's own one in a SO_REUSEPORT group (Worker).
        "reuse_port": True,
        # No control socket in $HOME: not needed, and two servers would share its path.
        "control_socket_disable": True,
    }
    _preload_catalogue(app)
    # What the parent loaded stays untouched by the collector, so the forked workers keep
    # sharing its memory pages instead of copying them.
    gc.freeze()
    WorkersApplication(app, options).run()
    return 0
