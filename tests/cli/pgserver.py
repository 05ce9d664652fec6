"""A throwaway PostgreSQL 15 server for the history tests: Debian's binaries
(/usr/lib/postgresql/15/bin, package postgresql-15 in scripts/bootstrap),
a fresh data dir, 127.0.0.1 on a free port, password authentication (user
gox, password `secret`), no Unix socket. PostgreSQL refuses to run as root
(CI runs as root), so as root the server runs as `nobody` (setpriv).
Stopped by PID; each running server leaves its PID in
$GOX_TEST_SCRATCH/pgservers/, which scripts/test checks at the end."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BIN = "/usr/lib/postgresql/15/bin"
PASSWORD = "secret"
SCRATCH = os.environ.get("GOX_TEST_SCRATCH", os.path.join(tempfile.gettempdir(), "gox-tests"))

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def _as_user():
    if os.getuid() != 0:
        return []
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]

class PgServer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="gox-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        pw = os.path.join(self.dir, "pw")
        with open(pw, "w") as f:
            f.write(PASSWORD + "\n")
        if os.getuid() == 0:
            import pwd
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            os.chown(pw, nobody.pw_uid, nobody.pw_gid)
        subprocess.run(_as_user() + [f"{BIN}/initdb", "-D", self.data, "-U", "gox", f"--pwfile={pw}",
                                     "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"],
                       check=True, capture_output=True, cwd=self.dir)
        self.port = free_port()
        self.proc = None
        self.start()

    def url(self, db="postgres", password=PASSWORD, host="127.0.0.1"):
        return f"postgresql://gox:{password}@{host}:{self.port}/{db}"

    def _pidfile(self):
        return os.path.join(SCRATCH, "pgservers", str(self.proc.pid))

    def start(self):
        log = open(os.path.join(self.dir, "log"), "a")
        self.proc = subprocess.Popen(
            _as_user() + [f"{BIN}/postgres", "-D", self.data, "-p", str(self.port), "-h", "127.0.0.1", "-k", "",
                          "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                          "-c", "max_connections=60", "-c", "shared_buffers=16MB"],
            stdout=log, stderr=log, cwd=self.dir)
        os.makedirs(os.path.dirname(self._pidfile()), exist_ok=True)
        open(self._pidfile(), "w").close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            r = subprocess.run([f"{BIN}/pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-t", "1"],
                               capture_output=True)
            if r.returncode == 0:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("postgres did not start: " + open(os.path.join(self.dir, "log")).read()[-2000:])

    def psql(self, sql, db="postgres"):
        env = dict(os.environ, PGPASSWORD=PASSWORD)
        r = subprocess.run([f"{BIN}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                            "-p", str(self.port), "-U", "gox", "-d", db, "-c", sql],
                           env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {r.stderr}")
        return r.stdout.strip()

    def new_db(self, name):
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self, sig=signal.SIGTERM):
        """Stops the server by PID (SIGQUIT: an immediate shutdown, like a crash)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            try:
                os.unlink(self._pidfile())
            except FileNotFoundError:
                pass

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
