"""deploy/nginx.conf as deploy/serve.py renders it: complete, and accepted by nginx itself.

The running deployment (processes, affinity, failover) is proven in a real browser by
tests/browser/test_behind_nginx.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from deploy.serve import NGINX, render_config


def rendered(tmp_path: Path, ports: list[int]) -> str:
    return render_config(prefix=tmp_path, listen="127.0.0.1:8080", app_ports=ports)


def test_every_placeholder_is_filled_and_every_process_is_an_upstream(tmp_path: Path) -> None:
    config = rendered(tmp_path, [8501, 8502, 8503])
    assert "{{" not in config
    for port in (8501, 8502, 8503):
        assert f"server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" in config
    assert "hash $route_key consistent;" in config
    assert f"pid {tmp_path}/nginx.pid;" in config


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    if not Path(NGINX).exists():
        pytest.fail(f"nginx not found at {NGINX}: install Debian's nginx package (CI's .ci/run does)")
    config = tmp_path / "nginx.conf"
    config.write_text(rendered(tmp_path, [8501, 8502]))
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(config), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
