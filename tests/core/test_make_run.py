"""`make run` (bin/run) as people and process managers stop it: a TERM to its process group
(with make's own TERM after it), a closed terminal (HUP), Ctrl-C while a task runs. Each time
the "Stopped ..." line is printed and no process is left. A part that dies is started again.

bin/run runs as `make run` does by default: SQLite and the embedded broker, in a temporary data
dir, in a session of its own (as in a terminal). Processes are found by the data dir in their
environment, so a worker that outlived its bin/run is found wherever it went.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.fixtures.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
STOPPED = "Stopped the web server, the worker and beat."

pytestmark = pytest.mark.make_run


class Portal:
    """A running bin/run: its process, port, data dir and output."""

    def __init__(self, tmp_path: Path) -> None:
        self.data_dir = tmp_path / "data"
        self.data_dir.mkdir()
        self.log = tmp_path / "run.log"
        self.port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}},
            "HOMEOPS_DATA_DIR": str(self.data_dir),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "HOMEOPS_HEARTBEAT_SECONDS": "1",  # the worker shows it is up within a second
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("wb") as out:
            # A session of its own: bin/run leads its process group, as in a terminal.
            self.process = subprocess.Popen(
                [str(ROOT / "bin" / "run")],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def get(self, path: str, timeout: float = 3) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def wait_until_up(self, *, since: float = 0.0, timeout: float = 60) -> None:
        """The sign-in page answers and the worker has recorded a heartbeat after `since`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"bin/run exited:\n{self.output}"
            try:
                if self.get("/accounts/login/")[0] == 200 and self.worker_seen_after(since):
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"the portal did not come up in {timeout} s:\n{self.output}")

    def worker_seen_after(self, since: float) -> bool:
        status, body = self.get("/healthz")
        worker = json.loads(body)["worker"]
        return worker["state"] == "ok" and time.time() - worker["age_seconds"] > since

    def manage(self, *args: str, stdin: str = "") -> None:
        python = str(ROOT / ".venv" / "bin" / "python")
        subprocess.run([python, "manage.py", *args], cwd=ROOT, env=self.env, input=stdin, text=True, check=True)

    def signal_group(self, signum: int) -> None:
        os.killpg(self.process.pid, signum)

    def wait_stopped(self, timeout: float = 30) -> None:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"bin/run did not stop in {timeout} s:\n{self.output}") from None

    def part(self, name: str) -> int | None:
        """The pid of a part's main process (a child of bin/run)."""
        for pid, (ppid, cmdline) in processes_with(self.data_dir).items():
            if ppid == self.process.pid and name in cmdline:
                return pid
        return None


def processes_with(data_dir: Path) -> dict[int, tuple[int, str]]:
    """Live processes whose environment carries this data dir: pid -> (parent pid, command line)."""
    needle = f"HOMEOPS_DATA_DIR={data_dir}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z":
            found[int(entry.name)] = (int(ppid), cmdline)
    return found


def assert_nothing_left(portal: Portal) -> None:
    deadline = time.monotonic() + 3  # killed processes may take a moment to go
    while (left := processes_with(portal.data_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"still running after bin/run stopped: {left}\n{portal.output}"


@contextmanager
def running_portal(tmp_path: Path) -> Iterator[Portal]:
    portal = Portal(tmp_path)
    portal.start()
    try:
        portal.wait_until_up()
        yield portal
    finally:
        # Whatever a failed test left behind (the group, and anything that escaped it).
        if portal.process.poll() is None:
            os.killpg(portal.process.pid, signal.SIGKILL)
            portal.process.wait()
        for pid in processes_with(portal.data_dir):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_term_to_the_group_stops_everything_even_with_make_passing_its_term_on(tmp_path):
    with running_portal(tmp_path) as portal:
        portal.signal_group(signal.SIGTERM)  # a process manager, a test harness: kill -- -PGID
        time.sleep(0.3)
        portal.process.send_signal(signal.SIGTERM)  # make passes the TERM it got on to its child
        portal.wait_stopped()
        assert STOPPED in portal.output
        assert_nothing_left(portal)


def test_a_closed_terminal_stops_everything(tmp_path):
    with running_portal(tmp_path) as portal:
        portal.signal_group(signal.SIGHUP)
        portal.wait_stopped()
        assert STOPPED in portal.output
        assert "Restarting celery worker" not in portal.output  # what the worker does on HUP
        assert_nothing_left(portal)


def test_ctrl_c_while_a_task_runs_stops_everything_within_the_grace_period(tmp_path):
    with running_portal(tmp_path) as portal, socket.create_server(("127.0.0.1", 0)) as silent:
        # A backend that accepts the connection and never answers: the model refresh task
        # waits for it for 30 s, longer than bin/run's 10 s grace.
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        backend = f"backends:\n  - {{name: silent, kind: openai, base_url: '{url}', timeout: 30}}\n"
        portal.manage("import_config", "-", stdin=backend)
        portal.manage("shell", "-c", "from apps.gateway.tasks import refresh_models; refresh_models.delay()")
        silent.settimeout(30)
        connection, _ = silent.accept()  # the task is running
        with connection:
            started = time.monotonic()
            portal.signal_group(signal.SIGINT)  # Ctrl-C in the terminal
            portal.wait_stopped()
            assert time.monotonic() - started < 20
        assert STOPPED in portal.output
        assert_nothing_left(portal)


def test_a_part_that_dies_is_started_again_and_the_others_stay_up(tmp_path):
    with running_portal(tmp_path) as portal:
        web, worker, beat = portal.part("uvicorn"), portal.part("worker"), portal.part("beat")
        assert web and worker and beat
        os.kill(worker, signal.SIGKILL)
        killed_at = time.time()
        deadline = time.monotonic() + 30
        while (portal.part("worker") in (None, worker)) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert re.search(r"The worker stopped \(killed by SIGKILL\); starting it again in 5 s\.", portal.output)
        portal.wait_until_up(since=killed_at + 1)  # a heartbeat from the new worker
        assert portal.part("worker") not in (None, worker)
        assert (portal.part("uvicorn"), portal.part("beat")) == (web, beat)
        assert portal.process.poll() is None

        portal.signal_group(signal.SIGTERM)
        portal.wait_stopped()
        assert STOPPED in portal.output
        assert_nothing_left(portal)


def test_the_address_and_the_owners_password_come_last_in_a_box(tmp_path):
    with running_portal(tmp_path) as portal:
        lines = portal.output.rstrip().splitlines()
        top = max(i for i, line in enumerate(lines) if line.strip().startswith("+--") and i < len(lines) - 1)
        box = lines[top:]
        assert box[-1].strip().startswith("+--")
        assert f"| HomeOps is running at http://127.0.0.1:{portal.port}/" in box[1]
        password = re.search(r"\| Sign in as owner with the password (\S+) ", "\n".join(box)).group(1)
        assert "Example household loaded" in "\n".join(lines[:top])  # what bootstrap did, above
        # The password in the box signs the owner in.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = f"http://127.0.0.1:{portal.port}/accounts/login/"
        page = opener.open(login, timeout=5).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "login": "owner", "password": password})
        request = urllib.request.Request(login, data=form.encode(), headers={"Referer": login})
        with opener.open(request, timeout=5) as answer:
            assert not answer.url.endswith("/accounts/login/"), "the password in the box did not sign in"
