"""pip-audit on the installed environment: no dependency with a known vulnerability.

Needs the PyPI vulnerability database; without a network (or behind a mirror that does not
serve it) the test is skipped with the reason, never passed silently.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from app.core.config import REPO_ROOT

# Seconds for the whole audit, and for each request to the database.
AUDIT_TIMEOUT = 90
SOCKET_TIMEOUT = 10
# What pip-audit (requests, urllib3) prints when the database cannot be reached.
NETWORK_ERROR = re.compile(
    r"ConnectionError|NameResolutionError|Max retries exceeded|Failed to resolve|"
    r"Temporary failure in name resolution|Name or service not known|Connection refused|"
    r"Network is unreachable|timed out|ReadTimeout|ConnectTimeout|SSLError|ProxyError",
    re.IGNORECASE,
)
UNREACHABLE = "the vulnerability database not reachable"


def _run_audit() -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--local",
        "--skip-editable",  # this project itself, installed with -e
        "--progress-spinner",
        "off",
        "--timeout",
        str(SOCKET_TIMEOUT),
        "--format",
        "json",
    ]
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=AUDIT_TIMEOUT, cwd=REPO_ROOT
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"pip-audit: {UNREACHABLE} within {AUDIT_TIMEOUT} s")


def _vulnerable(dependencies: list[dict[str, Any]]) -> list[str]:
    lines = []
    for dep in dependencies:
        for vuln in dep.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            lines.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    return lines


def audit_outcome(result: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    """("skip" | "fail" | "ok", why) for one pip-audit run."""
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        if NETWORK_ERROR.search(result.stderr):
            last = result.stderr.strip().splitlines()[-1:] or [""]
            return "skip", f"pip-audit: {UNREACHABLE} ({last[0][:200]})"
        return "fail", f"pip-audit failed (exit {result.returncode}):\n{result.stderr[-3000:]}"
    dependencies: list[dict[str, Any]] = report["dependencies"]
    audited = [d for d in dependencies if "skip_reason" not in d]
    if dependencies and not audited:
        # Every lookup failed ("not found on PyPI"): a mirror or proxy without the
        # vulnerability data, which is as good as no database at all.
        return "skip", (
            f"pip-audit: {UNREACHABLE}: none of the {len(dependencies)} installed packages "
            "could be looked up"
        )
    vulnerable = _vulnerable(audited)
    if vulnerable:
        return "fail", "Dependencies with known vulnerabilities:\n" + "\n".join(vulnerable)
    return "ok", f"{len(audited)} packages audited"


def test_no_installed_dependency_has_a_known_vulnerability() -> None:
    verdict, why = audit_outcome(_run_audit())
    if verdict == "skip":
        pytest.skip(why)
    assert verdict == "ok", why


def _done(returncode: int, stdout: str = "", stderr: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess([], returncode, stdout, stderr)


def _report(*dependencies: dict[str, Any]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


OFFLINE = (
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org', port=443): "
    "Max retries exceeded (Caused by NameResolutionError(...))"
)
CLEAN = {"name": "fastapi", "version": "0.165.0", "vulns": []}
NOT_FOUND = {"name": "fastapi", "skip_reason": "Dependency not found on PyPI"}
VULNERABLE = {
    "name": "jinja2",
    "version": "3.1.2",
    "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}],
}


@pytest.mark.parametrize(
    ("result", "verdict", "said"),
    [
        (_done(1, stderr=f"Traceback ...\n{OFFLINE}\n"), "skip", "not reachable"),
        (_done(0, _report(NOT_FOUND)), "skip", "none of the 1 installed packages"),
        (_done(1, _report(CLEAN, VULNERABLE)), "fail", "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95"),
        (_done(0, _report(CLEAN, NOT_FOUND)), "ok", "1 packages audited"),
        (_done(2, stderr="error: unrecognized arguments"), "fail", "unrecognized arguments"),
    ],
)
def test_audit_outcome(result: subprocess.CompletedProcess[str], verdict: str, said: str) -> None:
    got, why = audit_outcome(result)
    assert got == verdict and said in why
