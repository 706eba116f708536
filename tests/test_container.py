"""The compose set-up (docker-compose.yml, deploy/nginx.conf) and the image's command.

No Docker engine runs here, so the compose file is read as data, and the Dockerfile's CMD
runs as a process with the compose file's environment: two of them against one scratch
PostgreSQL database, prepared by the migrate service's command, as app1 and app2 would.
nginx, when installed, is checked with the proxy's configuration in front of them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text

from app.core.config import REPO_ROOT, Settings
from app.core.limits import BodySizeLimit
from app.main import create_app
from tests.conftest import run_app, sqlite_url
from tests.serving import free_port, log_once_counted
from tests.test_catalogue_version import INTAKE, NEW_NAME, one_row_csv
from tests.test_postgres import scratch_database

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
DOCKERFILE = REPO_ROOT / "Dockerfile"
APP_SERVICES = ("app1", "app2")
STARTUP_TIMEOUT_S = 60.0
# How long a server may take to show an import (its check every 0.5 s, then a reload):
# a bound for a loaded machine, not a speed requirement.
VISIBLE_WITHIN_S = 30.0

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}; $$ is a "$".
_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable substitution, applied to every string in `value`."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        current = env.get(name)
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if op and op.endswith("?") and unset:
            raise AssertionError(f"compose refuses to start without {name}: {arg}")
        if op and op.endswith("-") and unset:
            return str(arg)
        return current or ""

    return _VARIABLE.sub(substitute, value)


def compose_raw() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def compose() -> dict[str, Any]:
    """The compose file as `docker compose config` would see it with .env.example."""
    resolved = interpolate(compose_raw(), env_example())
    assert isinstance(resolved, dict)
    return resolved


def services() -> dict[str, Any]:
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def dockerfile_cmd() -> list[str]:
    """The image's CMD (the last one), which must be in exec (JSON) form."""
    lines = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
    cmds = [line.strip()[len("CMD") :] for line in lines if line.strip().startswith("CMD ")]
    assert cmds, "the Dockerfile has no CMD"
    cmd = json.loads(cmds[-1])
    assert isinstance(cmd, list) and all(isinstance(part, str) for part in cmd)
    return cmd


def dockerfile_exposed() -> set[str]:
    text_ = DOCKERFILE.read_text(encoding="utf-8")
    return {p for m in re.finditer(r"^EXPOSE\s+(.+)$", text_, re.M) for p in m[1].split()}


def option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def nginx_conf() -> str:
    proxy = services()["proxy"]
    mounts = [v.split(":") for v in proxy["volumes"]]
    conf = [host for host, target, *_ in mounts if target == "/etc/nginx/nginx.conf"]
    assert len(conf) == 1, proxy["volumes"]
    path = (REPO_ROOT / str(conf[0])).resolve()
    assert path.is_relative_to(REPO_ROOT / "deploy")
    return path.read_text(encoding="utf-8")


def directives(conf: str, name: str) -> list[str]:
    """The arguments of every `name ...;` directive (comments removed)."""
    body = re.sub(r"#[^\n]*", "", conf)
    return [m[1].strip() for m in re.finditer(rf"(?<![\w$]){name}\s+([^;{{]*);", body)]


def location_block(conf: str, path: str) -> str:
    match = re.search(rf"location\s*=\s*{re.escape(path)}\s*\{{([^}}]*)\}}", conf)
    assert match, f"no `location = {path}` block"
    return match[1]


def size_in_bytes(value: str) -> int:
    units = {"k": 1024, "m": 1024 * 1024}
    value = value.strip().lower()
    return int(value[:-1]) * units[value[-1]] if value[-1] in units else int(value)


# --- the compose file, read as data ----------------------------------------------------


def test_compose_has_the_database_a_migration_two_apps_and_a_proxy() -> None:
    assert set(services()) == {"db", "migrate", *APP_SERVICES, "proxy"}


def test_the_database_is_postgres_16_on_a_named_volume_with_a_healthcheck() -> None:
    db = services()["db"]
    assert db["image"].startswith("postgres:16")
    volumes = [v.split(":") for v in db["volumes"]]
    assert [target for _, target in volumes] == ["/var/lib/postgresql/data"]
    assert volumes[0][0] in compose()["volumes"]  # a named volume, not a host folder
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    env = db["environment"]
    assert env["POSTGRES_PASSWORD"] == env_example()["POSTGRES_PASSWORD"]


def test_migrate_upgrades_and_seeds_once_before_the_apps() -> None:
    migrate = services()["migrate"]
    assert migrate["command"] == ["python", "-m", "app", "db", "upgrade", "--seed"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert migrate.get("restart", "no") == "no"  # one shot


def test_both_apps_share_one_database_and_never_prepare_it() -> None:
    found = services()
    migrate = found["migrate"]
    urls = set()
    for name in APP_SERVICES:
        app = found[name]
        assert (app["image"], app["build"]) == (migrate["image"], migrate["build"])
        assert "command" not in app  # the image's CMD
        env = app["environment"]
        assert env["PREPARE_DATABASE"] == "false"
        urls.add(env["DATABASE_URL"])
        assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "/readyz" in " ".join(app["healthcheck"]["test"])
        assert "ports" not in app  # reachable through the proxy only
    assert urls == {migrate["environment"]["DATABASE_URL"]}
    url = urlsplit(urls.pop())
    db_env = found["db"]["environment"]
    assert url.scheme == "postgresql+psycopg"
    assert (url.hostname, url.port) == ("db", 5432)
    assert (url.username, url.password) == (db_env["POSTGRES_USER"], db_env["POSTGRES_PASSWORD"])
    assert url.path == f"/{db_env['POSTGRES_DB']}"


def test_the_password_comes_from_the_environment_only() -> None:
    raw = COMPOSE_FILE.read_text(encoding="utf-8")
    assert env_example()["POSTGRES_PASSWORD"] not in raw
    # Without POSTGRES_PASSWORD compose refuses to start, rather than use a default.
    without = {k: v for k, v in env_example().items() if k != "POSTGRES_PASSWORD"}
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
        interpolate(compose_raw(), without)
    # Every variable the compose file reads is documented in .env.example.
    used = {m["name"] for m in _VARIABLE.finditer(raw) if m["name"]}
    assert used == set(env_example())


def test_the_proxy_balances_over_both_apps() -> None:
    conf = nginx_conf()
    port = option(dockerfile_cmd(), "--port")
    assert port in dockerfile_exposed()
    servers = [d.split()[0] for d in directives(conf, "server")]
    assert sorted(servers) == [f"{name}:{port}" for name in APP_SERVICES]
    proxy = services()["proxy"]
    assert {n: c["condition"] for n, c in proxy["depends_on"].items()} == {
        name: "service_healthy" for name in APP_SERVICES
    }
    assert proxy["ports"]
    upstream = re.search(r"upstream\s+(\w+)\s*\{", conf)
    assert upstream
    assert set(directives(conf, "proxy_pass")) == {f"http://{upstream[1]}"}


def test_the_proxy_passes_the_client_and_keeps_connections_to_the_apps() -> None:
    conf = nginx_conf()
    headers = dict(d.split(None, 1) for d in directives(conf, "proxy_set_header"))
    assert headers["X-Forwarded-For"] == "$remote_addr"  # overwritten: not the client's say
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["Connection"] == '""'  # keep-alive to the apps needs HTTP/1.1 and this
    assert directives(conf, "proxy_http_version") == ["1.1"]
    assert directives(conf, "tcp_nodelay") == ["on"]
    assert len(directives(conf, "keepalive")) == 1
    # nginx must drop an idle upstream connection before the app does (uvicorn: 5 s).
    from app.server import KEEPALIVE_S

    upstream_idle = [d for d in directives(conf, "keepalive_timeout") if d.endswith("s")]
    assert any(int(d[:-1]) < KEEPALIVE_S for d in upstream_idle)
    for timeout in ("proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout"):
        assert len(directives(conf, timeout)) == 1, timeout
    # The apps trust the proxy's headers (they are reachable from nothing else).
    for name in APP_SERVICES:
        assert services()[name]["environment"]["FORWARDED_ALLOW_IPS"]


def test_the_proxy_limits_bodies_as_the_app_does() -> None:
    conf = nginx_conf()
    app = create_app(Settings())
    limits: dict[str, Any] = next(
        m.kwargs
        for m in app.user_middleware
        if m.cls is BodySizeLimit  # type: ignore[comparison-overlap]
    )
    outside_locations = re.sub(r"location[^{]*\{[^}]*\}", "", conf)
    assert [size_in_bytes(d) for d in directives(outside_locations, "client_max_body_size")] == [
        limits["max_bytes"]
    ]
    for path, limit in limits["overrides"].items():
        block = location_block(conf, path)
        assert [size_in_bytes(d) for d in directives(block, "client_max_body_size")] == [limit]


def test_the_proxy_logs_no_query_string() -> None:
    conf = nginx_conf()
    formats = re.findall(r"log_format\s+(\w+)((?:\s+'[^']*')+)\s*;", conf)
    assert len(formats) == 1
    name, pattern = formats[0]
    for variable in ("$request ", '$request"', "$request_uri", "$args", "$query_string"):
        assert variable not in pattern + " ", variable
    assert "$uri" in pattern
    assert [d.split()[-1] for d in directives(conf, "access_log")] == [name]
    # nginx's error-log lines carry the whole request line: critical ones only.
    assert [d.split()[-1] for d in directives(conf, "error_log")] == ["crit"]


def test_the_image_command_serves_on_all_addresses_with_web_concurrency() -> None:
    cmd = dockerfile_cmd()
    assert cmd[:4] == ["python", "-m", "app", "serve"]
    assert option(cmd, "--host") == "0.0.0.0"
    # No --workers: WEB_CONCURRENCY (set by the compose file) chooses.
    assert "--workers" not in cmd
    for name in APP_SERVICES:
        assert int(services()[name]["environment"]["WEB_CONCURRENCY"]) >= 1


# --- the image's command, run outside Docker --------------------------------------------


def process_env(service: str, database_url: str) -> dict[str, str]:
    """This process's environment without app settings, plus the service's from compose."""
    ours = {"DATABASE_URL", "PREPARE_DATABASE", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS"}
    env = {k: v for k, v in os.environ.items() if k not in ours}
    env.update({k: str(v) for k, v in services()[service]["environment"].items()})
    env["DATABASE_URL"] = database_url
    return env


def local(cmd: list[str]) -> list[str]:
    """A container command run here: this interpreter for `python`."""
    assert cmd[0] == "python"
    return [sys.executable, *cmd[1:]]


def run_migrate(database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        local(services()["migrate"]["command"]),
        capture_output=True,
        text=True,
        env=process_env("migrate", database_url),
        cwd=REPO_ROOT,
        timeout=60,
    )


@dataclass
class Container:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def container(name: str, database_url: str, log_dir: Path) -> Iterator[Container]:
    """The Dockerfile's CMD with the compose service's environment, on a free port."""
    cmd = local(dockerfile_cmd())
    port = free_port()
    cmd[cmd.index("--port") + 1] = str(port)
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=process_env(name, database_url),
            cwd=REPO_ROOT,
        )
    try:
        yield Container(name, f"http://127.0.0.1:{port}", process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(containers: list[Container]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    waiting = list(containers)
    while waiting:
        for c in list(waiting):
            if c.process.poll() is not None:
                raise AssertionError(f"{c.name} exited with {c.process.returncode}:\n{c.log()}")
            try:
                if httpx.get(f"{c.url}/readyz", timeout=2).status_code == 200:
                    waiting.remove(c)
            except httpx.TransportError:
                pass
        if waiting:
            assert time.monotonic() < deadline, f"not ready: {[c.name for c in waiting]}"
            time.sleep(0.1)


def advice(base: str) -> Any:
    """POST /api/v1/advice on a new connection, so that any worker may answer."""
    r = httpx.post(
        f"{base}/api/v1/advice", json=INTAKE, headers={"Connection": "close"}, timeout=10
    )
    assert r.status_code == 200, r.text
    return r.json()


@dataclass
class Deployment:
    database_url: str
    containers: list[Container]
    migrate_output: str
    log_dir: Path


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """A scratch database, the migrate service's command, then app1 and app2 at once."""
    with scratch_database("ezw_container") as url:
        log_dir = tmp_path_factory.mktemp("containers")
        migrated = run_migrate(url)
        assert migrated.returncode == 0, migrated.stderr
        with ExitStack() as stack:
            running = [stack.enter_context(container(n, url, log_dir)) for n in APP_SERVICES]
            wait_ready(running)
            yield Deployment(url, running, migrated.stdout, log_dir)


@pytest.mark.postgres
def test_migrate_prepares_the_database_once(deployment: Deployment) -> None:
    assert "seeded the catalogue with" in deployment.migrate_output
    again = run_migrate(deployment.database_url)
    assert again.returncode == 0, again.stderr
    assert "already at the newest revision" in again.stdout
    assert "the catalogue is not empty; left as it is" in again.stdout


@pytest.mark.postgres
def test_two_containers_serve_from_one_database(deployment: Deployment) -> None:
    for c in deployment.containers:
        # WEB_CONCURRENCY from the compose file; no migrating or seeding of their own.
        workers = int(services()[c.name]["environment"]["WEB_CONCURRENCY"])
        log = log_once_counted(c.log, "Booting worker", workers if workers > 1 else 0)
        assert log.count("Booting worker") == (workers if workers > 1 else 0), log
        assert "seeded the catalogue" not in log and "upgraded the database" not in log, log
        assert httpx.get(f"{c.url}/readyz").json()["status"] == "ready"
        answer = advice(c.url)
        assert 3 <= len(answer["plan"]) <= 5
        assert answer["initiatives"], "the seeded catalogue offers something"
        assert NEW_NAME not in [i["name"] for i in answer["initiatives"]]


@pytest.mark.postgres
def test_an_import_reaches_both_containers(deployment: Deployment, tmp_path: Path) -> None:
    first = advice(deployment.containers[0].url)["initiatives"][0]["name"]
    csv_path = tmp_path / "one.csv"
    csv_path.write_text(one_row_csv(first), encoding="utf-8")
    r = run_app(
        "initiatives", "import", str(csv_path), "--replace", database_url=deployment.database_url
    )
    assert r.returncode == 0, r.stderr
    # Poll (bounded, generous) until ten answers in a row from each container, on new
    # connections and so from each of its workers, show only the imported initiative.
    deadline = time.monotonic() + VISIBLE_WITHIN_S
    for c in deployment.containers:
        in_a_row = 0
        while in_a_row < 10:
            names = [i["name"] for i in advice(c.url)["initiatives"]]
            in_a_row = in_a_row + 1 if names == [NEW_NAME] else 0
            assert time.monotonic() < deadline, f"{c.name} still answers from {names}"
            if not in_a_row:
                time.sleep(0.1)


def test_an_app_container_refuses_a_database_nobody_prepared(tmp_path: Path) -> None:
    """PREPARE_DATABASE=false: the command neither migrates nor seeds, and says so."""
    url = sqlite_url(tmp_path / "empty.db")
    with container("app1", url, tmp_path) as c:
        try:
            c.process.wait(STARTUP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"it started on an unprepared database:\n{c.log()}")
    assert c.process.returncode == 1
    assert "run `python -m app db upgrade --seed` first" in c.log()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT name FROM sqlite_master")).all()
    finally:
        engine.dispose()
    assert tables == []


# --- the proxy's configuration in nginx, when nginx is installed ---------------------------

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None
)
needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")


def local_nginx_conf(workdir: Path, upstreams: dict[str, str], listen: int) -> Path:
    """deploy/nginx.conf with the compose hosts replaced by local addresses."""
    conf = nginx_conf()
    for host, address in upstreams.items():
        conf, n = re.subn(rf"\bserver\s+{host}:\d+", f"server {address}", conf)
        assert n == 1, host
    conf, n = re.subn(r"listen\s+80\b", f"listen 127.0.0.1:{listen}", conf)
    assert n == 1
    temp = workdir / "temp"
    temp.mkdir()
    paths = "".join(
        f"    {d} {temp / d.removesuffix('_path')};\n"
        for d in ("client_body_temp_path", "proxy_temp_path")
    )
    conf = conf.replace("http {\n", "http {\n" + paths, 1)
    path = workdir / "nginx.conf"
    path.write_text(conf, encoding="utf-8")
    return path


def nginx_args(conf: Path) -> list[str]:
    assert NGINX is not None
    main = f"pid {conf.parent / 'nginx.pid'};"
    if os.geteuid() == 0:
        main += " user root;"  # workers write request bodies under tmp_path
    return [NGINX, "-e", "stderr", "-p", str(conf.parent), "-c", str(conf), "-g", main]


@needs_nginx
def test_nginx_accepts_the_proxy_configuration(tmp_path: Path) -> None:
    conf = local_nginx_conf(
        tmp_path, {"app1": "127.0.0.1:18001", "app2": "127.0.0.1:18002"}, free_port()
    )
    r = subprocess.run([*nginx_args(conf), "-t"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr


@needs_nginx
@pytest.mark.postgres
def test_nginx_balances_over_both_containers(deployment: Deployment, tmp_path: Path) -> None:
    upstreams = {c.name: c.url.removeprefix("http://") for c in deployment.containers}
    port = free_port()
    conf = local_nginx_conf(tmp_path, upstreams, port)
    access_log = tmp_path / "access.log"
    with access_log.open("wb") as out:
        nginx = subprocess.Popen(
            [*nginx_args(conf), "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            assert nginx.poll() is None, access_log.read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "nginx did not answer"
            time.sleep(0.1)
        secret = "zeer-persoonlijk-antwoord"
        with httpx.Client(base_url=base, timeout=10) as client:  # keep-alive to nginx
            for _ in range(10):
                assert client.post("/api/v1/advice", json=INTAKE).status_code == 200
                assert client.get(f"/landschap?q={secret}").status_code == 200
            too_big = client.post(
                "/api/v1/advice",
                content=b"x" * (Settings().max_body_bytes + 1),
                headers={"content-type": "application/json"},
            )
            assert too_big.status_code == 413
    finally:
        nginx.terminate()
        nginx.wait(30)
    log = access_log.read_text(encoding="utf-8")
    assert "POST /api/v1/advice" in log and "GET /landschap " in log
    # The body too large was refused by nginx itself, before any app saw it.
    assert re.search(r'"POST /api/v1/advice HTTP/1\.1" 413 .* upstream=- ', log), log
    assert secret not in log
    # least_conn with idle apps spreads requests over both.
    for address in upstreams.values():
        assert f"upstream={address}" in log, log
