"""A throwaway PostgreSQL cluster for tests and benchmarks: initdb into a temporary
directory, serve on a unix socket there (no TCP port, no system service), remove at stop.

The binaries are found on ``PATH`` or in ``/usr/lib/postgresql/<version>/bin`` (where
Debian's ``postgresql`` package puts them). ``initdb`` and ``postgres`` refuse to run
as root, so as root the cluster runs as an unprivileged user (``nobody`` unless
``WOOSIM_PG_USER`` names another) through ``runuser``; the directory is made theirs.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

#: The port only names the socket file (``.s.PGSQL.<port>``); nothing listens on TCP.
SOCKET_PORT = 5432


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL binaries here (or they cannot start a cluster)."""


def find_bindir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return candidates[-1].parent if candidates else None


class Cluster:
    """One PostgreSQL server for the life of a test session or a benchmark."""

    def __init__(self, *, fsync: bool = True) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise ClusterUnavailable(
                "PostgreSQL binaries (initdb, pg_ctl) are neither on PATH nor in "
                "/usr/lib/postgresql/*/bin; install the distribution's postgresql package"
            )
        self.bindir = bindir
        self.fsync = fsync
        self._user: str | None = None
        if os.geteuid() == 0:
            self._user = os.environ.get("WOOSIM_PG_USER", "nobody")
            try:
                pwd.getpwnam(self._user)
            except KeyError:
                raise ClusterUnavailable(f"running as root and no user {self._user!r}") from None
        # Not under a private (0700) pytest directory: the cluster's user must reach it.
        self.dir = Path(tempfile.mkdtemp(prefix="woosim-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.running = False

    @property
    def url(self) -> str:
        return f"postgresql://postgres@/postgres?host={quote(str(self.dir))}&port={SOCKET_PORT}"

    def url_for_schema(self, schema: str) -> str:
        """A URL whose connections use ``schema`` (tests isolate themselves this way)."""
        return self.url + "&options=" + quote(f"-csearch_path={schema}")

    def start(self) -> Cluster:
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        if not self.data.exists():
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                "--no-sync",
            )  # fmt: skip
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log), "-o", self._options())
        self.running = True
        return self

    def stop(self, mode: str = "fast") -> None:
        if self.running:
            self._pg_ctl("stop", "-w", "-m", mode)
            self.running = False

    def restart(self, mode: str = "immediate") -> None:
        """Stop (``immediate``: as a crash would, no checkpoint) and start again."""
        self.stop(mode)
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log), "-o", self._options())
        self.running = True

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def _options(self) -> str:
        settings = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{self.dir}'",
            "port": str(SOCKET_PORT),
            "max_connections": "100",
            "shared_buffers": "32MB",
            "fsync": "on" if self.fsync else "off",
        }
        return " ".join(f"-c {key}={value}" for key, value in settings.items())

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), *args)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        done = subprocess.run(
            command,
            cwd=self.dir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise ClusterUnavailable(
                f"{program} {' '.join(args[:1])} failed ({done.returncode}): "
                f"{done.stderr.strip()[-2000:]}\n{tail}"
            )


__all__ = ["SOCKET_PORT", "Cluster", "ClusterUnavailable", "find_bindir"]
