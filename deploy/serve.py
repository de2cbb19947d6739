"""Serve the course as several ``streamlit run`` processes behind nginx, on one machine.

    DATABASE_URL=postgresql://course@db/course python deploy/serve.py --processes 2 --port 8080
    python deploy/serve.py --print-config --processes 4     # the nginx configuration it would use

In order: migrate the database once (``python -m course migrate``), so that the processes do not
all start by racing for the migration lock; start N app processes on 127.0.0.1 (ports
``--app-port``, ``--app-port`` + 1, ...) sharing one Streamlit cookie secret, and wait until each
one's ``/healthz`` answers (it checks the database); render ``deploy/nginx.conf`` into a scratch
prefix folder and start Debian's nginx unprivileged in the foreground with it; wait until the
proxy answers. Ctrl-C or SIGTERM stops nginx (gracefully: open requests finish), then the app
processes (SIGTERM, then SIGKILL after 20 s), and removes the scratch folder.

``Deployment`` is the same thing as a context manager; the browser tests and
``bench/load.py --via-proxy`` use it.

Errors: :class:`DeployError` with a one-line reason (nginx missing, a process that exits while
starting, a readiness check that times out, a failed migration).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"
NGINX = os.environ.get("NGINX", shutil.which("nginx") or "/usr/sbin/nginx")
READY_SECONDS = 90.0  # a cold start on a busy 2-core machine takes tens of seconds


class DeployError(RuntimeError):
    """Starting the deployment failed; ``str(error)`` says why in one line."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def render_config(*, prefix: Path, listen: str, app_ports: list[int], workers: int = 1) -> str:
    """``deploy/nginx.conf`` with its double-brace placeholders filled in (see the file's header)."""
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in app_ports)
    values = {"prefix": str(prefix), "listen": listen, "servers": servers, "workers": str(workers)}
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    if "{{" in text:
        unfilled = text[text.index("{{") :][:40]
        raise DeployError(f"deploy/nginx.conf has a placeholder serve.py does not fill: {unfilled}")
    return text


def http_status(url: str, timeout: float = 5.0) -> int:
    """The status of a GET, or 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def _wait_ready(url: str, process: subprocess.Popen[bytes], what: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
            raise DeployError(f"{what} exited with code {process.returncode} while starting: {tail.strip()}")
        if http_status(url, timeout=2) == 200:
            return
        time.sleep(0.3)
    raise DeployError(f"{what} did not answer {url} within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = 20.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class AppProcess:
    """One ``streamlit run streamlit_app.py`` on 127.0.0.1:``port``; output goes to ``log``."""

    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, env: Mapping[str, str], options: Mapping[str, str]) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
                    "--server.headless", "true", "--server.port", str(self.port),
                    "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
                    *(arg for name, value in options.items() for arg in (f"--{name}", value)),
                ],
                cwd=REPO, env=dict(env), stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def wait_ready(self, timeout: float = READY_SECONDS) -> None:
        assert self.process is not None
        _wait_ready(f"{self.url}/healthz", self.process, f"the app on port {self.port}", self.log, timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean shutdown, open websockets just drop."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)


@dataclass
class Deployment:
    """N app processes behind nginx on ``127.0.0.1:port``, all on ``database_url``.

    ``env`` is the environment of the app processes (default: this process's); ``DATABASE_URL`` in it
    is replaced by ``database_url``. ``options`` are extra ``streamlit run`` options for each process.
    """

    database_url: str
    processes: int = 2
    port: int = 0  # 0: a free port
    app_port: int = 0  # the first app process's port; 0: free ports
    env: Mapping[str, str] | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    workers: int = 1
    folder: Path | None = None  # scratch folder for nginx's prefix and the logs; None: a new temp folder
    apps: list[AppProcess] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None
    _own_folder: bool = False
    _env: dict[str, str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        assert self.folder is not None
        return self.folder / "nginx" / "access.log"

    def app_env(self) -> dict[str, str]:
        """The app processes' environment; the same for every process and every restart."""
        if self._env is not None:
            return self._env
        env = dict(os.environ if self.env is None else self.env)
        env["DATABASE_URL"] = self.database_url
        # Streamlit signs its XSRF cookie with this secret and checks it on every websocket connect (a
        # failed check drops the st.login identity) and upload: every process must share it, or a tab
        # that fails over to another process loses both. Kept if the operator set one.
        env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_urlsafe(32))
        # The proxy is on this machine: its X-Forwarded-* headers are to be believed (issue 16's setting).
        env.setdefault("COURSE_TRUSTED_PROXIES", "127.0.0.1")
        self._env = env
        return env

    def start(self) -> Deployment:
        if not Path(NGINX).exists():
            raise DeployError(f"nginx not found at {NGINX}: install Debian's nginx package (apt-get install nginx)")
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="course-deploy-"))
            self._own_folder = True
        self.folder.mkdir(parents=True, exist_ok=True)
        env = self.app_env()
        try:
            migrate(env, self.folder / "migrate.log")
            self.port = self.port or free_port()
            ports = [self.app_port + n if self.app_port else free_port() for n in range(self.processes)]
            self.apps = [AppProcess(port, self.folder / f"app-{port}.log") for port in ports]
            for app in self.apps:
                app.start(env, self.options)
            for app in self.apps:
                app.wait_ready()
            self._start_nginx(ports)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_nginx(self, ports: list[int]) -> None:
        assert self.folder is not None
        prefix = self.folder / "nginx"
        prefix.mkdir(exist_ok=True)
        config = prefix / "nginx.conf"
        config.write_text(
            render_config(prefix=prefix, listen=f"127.0.0.1:{self.port}", app_ports=ports, workers=self.workers)
        )
        log = prefix / "stderr.log"
        checked = subprocess.run(
            [NGINX, "-t", "-q", "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")],
            capture_output=True,
            text=True,
        )
        if checked.returncode != 0:
            raise DeployError(f"nginx rejected the configuration: {checked.stderr.strip()}")
        with log.open("ab") as output:
            self.nginx = subprocess.Popen(
                [NGINX, "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        _wait_ready(f"{self.url}/healthz", self.nginx, "nginx", prefix / "error.log", READY_SECONDS)

    def stop(self) -> None:
        """nginx first (SIGQUIT: finish open requests), then every app process; idempotent."""
        if self.nginx is not None:
            _stop(self.nginx, signal.SIGQUIT, grace=10.0)
            self.nginx = None
        for app in self.apps:
            app.stop()
        if self._own_folder and self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
            self._own_folder = False

    def __enter__(self) -> Deployment:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def migrate(env: Mapping[str, str], log: Path) -> None:
    """``python -m course migrate`` once, before any app process starts."""
    done = subprocess.run(
        [sys.executable, "-m", "course", "migrate"], cwd=REPO, env=dict(env), capture_output=True, text=True
    )
    log.write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise DeployError(f"migration failed: {(done.stderr or done.stdout).strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="app processes (default: cores)")
    parser.add_argument("--port", type=int, default=8080, help="where nginx listens on 127.0.0.1 (default 8080)")
    parser.add_argument("--app-port", type=int, default=8501, help="first app process's port (default 8501)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""), help="default: $DATABASE_URL")
    parser.add_argument("--print-config", action="store_true", help="print the rendered nginx.conf and exit")
    args = parser.parse_args(argv)
    if args.print_config:
        ports = [args.app_port + n for n in range(args.processes)]
        print(render_config(prefix=Path("/var/lib/course-nginx"), listen=f"127.0.0.1:{args.port}", app_ports=ports))
        return 0
    if not args.database_url:
        print("error: set DATABASE_URL (or --database-url): several processes need one PostgreSQL database")
        return 2
    deployment = Deployment(args.database_url, processes=args.processes, port=args.port, app_port=args.app_port)
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        deployment.start()
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"serving {args.processes} processes at {deployment.url} (logs in {deployment.folder}); Ctrl-C stops")
    try:
        while not stopping:
            if deployment.nginx is not None and deployment.nginx.poll() is not None:
                print("nginx exited; stopping", file=sys.stderr)
                break
            for app in deployment.apps:
                if not app.alive:  # a crash: start it again; nginx sends its learners elsewhere meanwhile
                    print(f"app on port {app.port} exited; restarting it", file=sys.stderr)
                    app.start(deployment.app_env(), deployment.options)
            time.sleep(1)
    finally:
        deployment.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
