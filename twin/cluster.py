"""The embedded default: a private PostgreSQL + PostGIS cluster in a folder the twin owns.

The cluster lives in ``<home>/postgres``, listens on 127.0.0.1 only, on a free port chosen at start,
with a generated password kept in ``<home>/cluster.json`` (mode 0600). PostgreSQL refuses to run as
root, so when the twin runs as root the server runs as an unprivileged system user; if that user
cannot enter ``<home>`` (a checkout under /root), the data folder is made under
``/var/lib/urban-twin/`` and ``<home>/postgres`` links to it.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

SERVER_CONF = """
# written by the twin's embedded cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
shared_buffers = 256MB
work_mem = 32MB
maintenance_work_mem = 256MB
max_wal_size = 2GB
"""
SUPERUSER = "twin"
DATABASE = "twin"
SERVICE_ACCOUNT = "twin-postgres"
SYSTEM_DATA_ROOT = Path("/var/lib/urban-twin")


class ClusterError(RuntimeError):
    """The embedded cluster cannot be set up or started; the message says why and what to do."""


@dataclass
class ClusterInfo:
    port: int
    password: str
    bindir: str


def find_bindir(given: Path | None = None) -> Path:
    """The PostgreSQL server binaries to run: ``given`` (the ``TWIN_PG_BINDIR`` setting), else the
    newest Debian ``/usr/lib/postgresql/N/bin`` that has PostGIS beside it, else ``initdb`` on
    PATH (conda's postgresql package) when no Debian server is installed.
    """
    if given is not None:
        if not (given / "initdb").exists():
            raise ClusterError(f"TWIN_PG_BINDIR={given} holds no initdb")
        return given
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    with_postgis = [
        p for p in debian
        if Path(f"/usr/share/postgresql/{Path(p).parts[-3]}/extension/postgis.control").exists()
    ]
    if with_postgis:
        return Path(with_postgis[-1]).parent
    if debian:
        major = Path(debian[-1]).parts[-3]
        raise ClusterError(
            f"PostGIS is not installed for PostgreSQL {major}: "
            f"install postgresql-{major}-postgis-3 (./run setup does it)"
        )
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise ClusterError(
        "no PostgreSQL server found: install postgresql and postgresql-N-postgis-3 "
        "(./run setup does it), or set TWIN_DATABASE_URL to an existing server"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class EmbeddedCluster:
    """Initialise, start, stop and describe the private cluster under ``home``."""

    def __init__(self, home: Path, bindir: Path | None = None) -> None:
        self.home = home
        self.bindir = bindir
        """Server binaries to use at initialisation (None: found by :func:`find_bindir`)."""
        self.info_file = home / "cluster.json"

    @property
    def data_dir(self) -> Path:
        return (self.home / "postgres").resolve()

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / "postgres.log"

    # -- state -------------------------------------------------------------------------------
    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists() and self.info_file.exists()

    def info(self) -> ClusterInfo:
        try:
            return ClusterInfo(**json.loads(self.info_file.read_text()))
        except FileNotFoundError:
            raise ClusterError(f"no embedded cluster in {self.home}: run 'twin db start'") from None

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        result = self._pg_ctl("status", check=False)
        return result.returncode == 0

    def url(self, database: str = DATABASE) -> str:
        info = self.info()
        return f"postgresql+psycopg://{SUPERUSER}:{info.password}@127.0.0.1:{info.port}/{database}"

    def status(self) -> str:
        if not self.is_initialised():
            return f"not initialised ({self.data_dir})"
        if self.is_running():
            return f"running on 127.0.0.1:{self.info().port} ({self.data_dir})"
        return f"stopped ({self.data_dir})"

    # -- actions -----------------------------------------------------------------------------
    def start(self) -> str:
        """Initialise on first use, start if stopped, and return the connection URL."""
        if not self.is_initialised():
            self._init()
        if not self.is_running():
            self._start_server()
            self._ensure_database()
        return self.url()

    def stop(self) -> None:
        if self.is_running():
            self._pg_ctl("stop", "-m", "fast")

    # -- internals ---------------------------------------------------------------------------
    def _init(self) -> None:
        bindir = find_bindir(self.bindir)
        self.home.mkdir(parents=True, exist_ok=True)
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise ClusterError(f"{self.data_dir} exists but holds no cluster: move it away first")
        self._make_data_dir()
        info = ClusterInfo(port=_free_port(), password=secrets.token_urlsafe(24), bindir=str(bindir))
        pwfile = self.data_dir.parent / ".pwfile"
        _write_private(pwfile, info.password + "\n")
        self.log_file.touch()
        user = _server_user()
        if user is not None:
            for path in (self.data_dir, pwfile, self.log_file):
                os.chown(path, user.pw_uid, user.pw_gid)
        try:
            self._run(
                [str(bindir / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER,
                 "-A", "scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--no-locale"],
                what="initdb",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(SERVER_CONF)
        self._save(info)

    def _save(self, info: ClusterInfo) -> None:
        _write_private(self.info_file, json.dumps(asdict(info), indent=1))

    def _ensure_database(self) -> None:
        import psycopg

        info = self.info()
        try:
            with psycopg.connect(
                host="127.0.0.1", port=info.port, user=SUPERUSER, password=info.password,
                dbname="postgres", autocommit=True,
            ) as conn:
                query = "SELECT 1 FROM pg_database WHERE datname = %s"
                if not conn.execute(query, [DATABASE]).fetchone():
                    conn.execute(f'CREATE DATABASE "{DATABASE}"')
        except psycopg.Error as exc:
            raise ClusterError(f"the embedded cluster in {self.data_dir} started but refuses "
                               f"connections: {exc}") from exc

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        pg_ctl = str(Path(self.info().bindir) / "pg_ctl")
        return self._run([pg_ctl, "-D", str(self.data_dir), "-w", *args], what="pg_ctl", check=check)

    def _run(self, cmd: list[str], what: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        user = _server_user()
        kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
        except FileNotFoundError:
            raise ClusterError(f"{cmd[0]} is missing (PostgreSQL upgraded or removed?): install "
                               "it again, or set TWIN_PG_BINDIR to the server's binaries") from None
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            log_tail = self.log_file.read_text().strip().splitlines()[-5:] if self.log_file.exists() else []
            raise ClusterError(
                f"{what} failed for the embedded cluster in {self.data_dir}: "
                + " | ".join(detail[-3:] + log_tail)
            )
        return result

    def _start_server(self, attempts: int = 3) -> None:
        """Start on the saved port, or on a fresh one when another process holds it (or takes
        it between our check and the server's bind: clusters started side by side)."""
        info = self.info()
        for attempt in range(1, attempts + 1):
            if _port_in_use(info.port):
                info.port = _free_port()
                self._save(info)
            started = self._pg_ctl("start", "-l", str(self.log_file), "-o", f"-p {info.port}",
                                   check=attempt == attempts)
            if started.returncode == 0:
                return
            info.port = _free_port()
            self._save(info)

    def _make_data_dir(self) -> None:
        """``<home>/postgres``, or a folder the server user can reach, linked from there."""
        link = self.home / "postgres"
        user = _server_user()
        if user is None or _reachable(self.home, user):
            link.mkdir(mode=0o700, exist_ok=True)
            return
        digest = hashlib.sha256(str(self.home.resolve()).encode()).hexdigest()[:16]
        target = SYSTEM_DATA_ROOT / digest / "postgres"
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        SYSTEM_DATA_ROOT.chmod(0o755)
        target.mkdir(mode=0o700, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink() if link.is_symlink() else link.rmdir()
        link.symlink_to(target)


def _server_user() -> pwd.struct_passwd | None:
    """The account the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", SERVICE_ACCOUNT):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    made = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_ACCOUNT],
        capture_output=True, text=True,
    )
    if made.returncode != 0:
        raise ClusterError(f"running as root, the twin needs an unprivileged user for the "
                           f"database server and could not create '{SERVICE_ACCOUNT}': "
                           f"{made.stderr.strip()}")
    return pwd.getpwnam(SERVICE_ACCOUNT)


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, from its first byte (it holds the password)."""
    path.unlink(missing_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(text)


def _reachable(folder: Path, user: pwd.struct_passwd) -> bool:
    """Whether ``user`` (not root) may walk down to ``folder``: every folder on the way lets
    others (or that user, as owner) enter."""
    for parent in [folder.resolve(), *folder.resolve().parents]:
        st = parent.stat()
        if st.st_uid != user.pw_uid and not st.st_mode & 0o001:
            return False
    return True
