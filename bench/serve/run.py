"""`mlp serve` against FastAPI + uvicorn + scikit-learn serving the same model.

    python3 bench/serve/run.py [--duration 60] [--no-build] [--connections 16]
        [--two-workers] [--pandas-peer] [--one-connection] [--retries 2]
        [--quiet-wait 600] [--json FILE] [--keep]

Needs wrk (apt-get install -y wrk), taskset, 2 cores, and
bench/serve/requirements.txt. Builds mlp in release (unless --no-build),
copies the binary (a build during the run cannot change what is measured),
trains the credit example's `scorer` in a copy of examples/credit in a
temporary folder (the repository is not written to), then:

1. checks the answers: every body of the run is posted to `mlp serve` and
   to the peer (bench/serve/fastapi_server.py, which loads the same
   coefficients and fitted steps from mlp's model file); the classes must
   be the same and the probabilities within 1e-9;
2. for each body size (1 row, 100 rows) and each server, starts a fresh
   server on core 0 (`taskset -c 0`) with one worker --
   `mlp serve RUN --model scorer --workers 1`, and
   `uvicorn fastapi_server:app --workers 1` --, waits for an idle machine,
   warms it up for 5 s, then loads it for `--duration` seconds with wrk on
   core 1 (`taskset -c 1 wrk -t1 -c16 --latency`, POST bodies from
   bench/serve/post.lua, cycling through distinct rows of
   examples/credit/data/credit_data.csv);
3. reads the server's RSS (VmRSS before the load, VmHWM after it) and CPU
   time, the CPU of wrk and of every other process, then stops the server
   with SIGTERM and checks that it exits cleanly. A load during which other
   processes took more than 25% of a core is repeated (--retries times) and
   the quietest attempt kept.

Servers are run in the order mlp, FastAPI, ... With --two-workers,
`mlp serve --workers 2` is loaded as well, unpinned (both cores, shared with
wrk); with --pandas-peer, the peer with PEER_TRANSFORMS=pandas; with
--one-connection, mlp and the numpy peer again with one connection.

Errors are wrk's socket errors (connect, read, write, timeout) plus its
count of responses that are not 2xx or 3xx. Latencies are wrk's (from the
request's write to its response's last byte, per connection).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

SERVE = Path(__file__).resolve().parent
REPO = SERVE.parent.parent
MLP = REPO / "target" / "release" / "mlp"
EXAMPLE = REPO / "examples" / "credit"
CSV = EXAMPLE / "data" / "credit_data.csv"
LUA = SERVE / "post.lua"
PEER = SERVE / "fastapi_server.py"

SERVER_CORE = "0"
CLIENT_CORE = "1"
SINGLE_BODIES = 1000  # distinct one-row bodies, cycled through
BATCH_ROWS = 100
BATCH_BODIES = 40  # distinct 100-row bodies (4 000 of the 4 454 rows)
WARMUP_S = 5
NOISY_PCT = 25.0  # other processes' CPU during a load, in % of one core
TOLERANCE = 1e-9  # probabilities: mlp against scikit-learn


# --- the rows ---------------------------------------------------------------


def schema(artifact: dict) -> list[dict]:
    return artifact["input"]["schema"]


def typed(value: str, column: dict):
    """A CSV cell as the JSON value its column takes: int as a JSON integer,
    float as a number, enum as a string, an empty cell as null."""
    if value == "":
        return None
    kind = column["type"]
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return value


def rows(artifact: dict) -> list[dict]:
    """The source rows that the filter keeps, without the target."""
    columns = {c["name"]: c for c in schema(artifact)}
    target = artifact["target"]
    out = []
    with open(CSV, newline="") as f:
        for record in csv.DictReader(f):
            row = {k: typed(v, columns[k]) for k, v in record.items() if k != target}
            if 0 < row["Amount"] <= row["Price"]:
                out.append(row)
    return out


def write_bodies(all_rows: list[dict], folder: Path) -> dict[str, Path]:
    single = folder / "single.jsonl"
    batch = folder / "batch.jsonl"
    with open(single, "w") as f:
        for row in all_rows[:SINGLE_BODIES]:
            f.write(json.dumps({"rows": [row]}, separators=(",", ":")) + "\n")
    with open(batch, "w") as f:
        for i in range(BATCH_BODIES):
            chunk = all_rows[i * BATCH_ROWS : (i + 1) * BATCH_ROWS]
            assert len(chunk) == BATCH_ROWS
            f.write(json.dumps({"rows": chunk}, separators=(",", ":")) + "\n")
    return {"1 row": single, f"{BATCH_ROWS} rows": batch}


# --- the servers --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def status(self) -> dict[str, int]:
        """VmRSS and VmHWM, in KiB."""
        out = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
        return out

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/task"))

    def stop(self) -> int:
        """SIGTERM, then the exit code (SIGKILL after 20 s: a failure).

        0 is a clean stop. uvicorn finishes its shutdown, then re-raises the
        signal (exit -15): that is clean too when its log says it finished."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"{self.name} did not stop within 20 s of SIGTERM (killed)")
        if code == -signal.SIGTERM and "Finished server process" in self.log.read_text(errors="replace"):
            return 0
        return code


def wait_ready(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.proc.returncode}:\n{server.log.read_text()[-4000:]}"
            )
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} not ready after {timeout} s:\n{server.log.read_text()[-4000:]}")


def pinned(core: str | None, cmd: list[str]) -> list[str]:
    return ["taskset", "-c", core, *cmd] if core is not None else cmd


def start_mlp(run: Path, logs: Path, workers: int, core: str | None) -> Server:
    """`mlp serve` from the private copy of the binary (see main)."""
    log = logs / f"mlp-{workers}w-{time.monotonic_ns()}.log"
    cmd = pinned(core, [
        str(MLP), "serve", str(run), "--model", "scorer",
        "--host", "127.0.0.1", "--port", "0", "--workers", str(workers),
    ])
    # stderr (the address line, then one JSON log line per request) goes to a
    # file: the server is not slowed down by a reader.
    with open(log, "wb") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    url = None
    while url is None:
        match = re.search(r"on (http://127\.0\.0\.1:\d+)", log.read_text(errors="replace"))
        if match:
            url = match.group(1)
        elif proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"mlp serve did not start:\n{log.read_text()[-4000:]}")
        else:
            time.sleep(0.05)
    server = Server(f"mlp serve --workers {workers}", proc, url, log)
    wait_ready(server)
    return server


def start_fastapi(model: Path, logs: Path, core: str | None, transforms: str = "numpy") -> Server:
    port = free_port()
    log = logs / f"fastapi-{transforms}-{time.monotonic_ns()}.log"
    cmd = pinned(core, [
        sys.executable, "-m", "uvicorn", "fastapi_server:app", "--app-dir", str(SERVE),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ])
    env = {**os.environ, "MLP_MODEL": str(model), "PEER_TRANSFORMS": transforms}
    with open(log, "wb") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    server = Server(f"FastAPI ({transforms})", proc, f"http://127.0.0.1:{port}", log)
    wait_ready(server)
    return server


# --- checking the answers -----------------------------------------------------


def post(url: str, body: bytes) -> tuple[int, dict]:
    req = urllib.request.Request(
        url + "/v1/predict", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def answers(server: Server, bodies: Path) -> list[list[dict]]:
    out = []
    for line in bodies.read_bytes().splitlines():
        status, answer = post(server.url, line)
        if status != 200:
            raise RuntimeError(f"{server.name}: {status} for a body of the run: {answer}")
        out.append(answer["predictions"])
    return out


def compare(mlp: list[list[dict]], peer: list[list[dict]]) -> dict:
    """Same classes and rejections; the largest probability difference."""
    rows = differ = rejected = 0
    worst = 0.0
    for a_body, b_body in zip(mlp, peer, strict=True):
        for a, b in zip(a_body, b_body, strict=True):
            rows += 1
            if ("rejected" in a) != ("rejected" in b):
                differ += 1
                continue
            if "rejected" in a:
                rejected += 1
                continue
            if a["prediction"] != b["prediction"]:
                differ += 1
            for cls, p in a["probabilities"].items():
                worst = max(worst, abs(p - b["probabilities"][cls]))
    return {"rows": rows, "different": differ, "rejected": rejected, "max_abs_diff": worst}


# --- load ---------------------------------------------------------------------


@dataclass
class Load:
    server: str
    body: str
    duration_s: float
    connections: int
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    errors: int
    rss_mib_idle: float
    rss_mib_peak: float
    server_cpu_pct: float
    wrk_cpu_pct: float
    other_cpu_pct: float
    steal_pct: float
    threads: int
    exit_code: int | None = None
    notes: list[str] = field(default_factory=list)


def cpu_total() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat (steal,
    the time the hypervisor gave to other guests, is not counted as busy)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:7])
    return total - idle, total


def steal() -> int:
    """Jiffies stolen by the hypervisor, all cores."""
    return int(Path("/proc/stat").read_text().split("\n", 1)[0].split()[8])


def wait_quiet(limit_s: float, threshold: float = 0.15) -> tuple[float, float]:
    """Waits (up to `limit_s`) until the machine is idle: less than
    `threshold` of its CPU busy over one second (the server under test is
    idle then). Returns (seconds waited, the last busy fraction)."""
    start = time.monotonic()
    while True:
        b0, t0 = cpu_total()
        time.sleep(1.0)
        b1, t1 = cpu_total()
        busy = (b1 - b0) / max(1, t1 - t0)
        waited = time.monotonic() - start
        if busy < threshold or waited >= limit_s:
            return waited, busy
        print(f"  the machine is {100 * busy:.0f}% busy: waiting for it to be idle...", file=sys.stderr, flush=True)
        time.sleep(4.0)


def wrk(url: str, bodies: Path, seconds: float, connections: int, core: str | None) -> tuple[dict, float]:
    cmd = pinned(core, [
        "wrk", "-t1", f"-c{connections}", f"-d{round(seconds)}s", "--latency", "--timeout", "5s",
        "-s", str(LUA), url + "/v1/predict",
    ])
    start = os.times()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "BODIES": str(bodies)})
    end = os.times()
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    match = re.search(r"^WRK_JSON (\{.*\})$", proc.stdout, re.M)
    if not match:
        raise RuntimeError(f"no summary from wrk:\n{proc.stdout}\n{proc.stderr}")
    summary = json.loads(match.group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", proc.stdout)
    summary["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    summary["stdout"] = proc.stdout
    wrk_cpu = (end.children_user - start.children_user) + (end.children_system - start.children_system)
    return summary, wrk_cpu


def load(
    server: Server, body: str, bodies: Path, seconds: float, connections: int,
    client_core: str | None, quiet_wait: float,
) -> Load:
    idle = server.status()["VmRSS"]
    waited, busy = wait_quiet(quiet_wait)
    wrk(server.url, bodies, WARMUP_S, connections, client_core)  # warm-up, not counted
    cpu0 = server.cpu_seconds()
    busy0, total0 = cpu_total()
    steal0 = steal()
    summary, wrk_cpu = wrk(server.url, bodies, seconds, connections, client_core)
    busy1, total1 = cpu_total()
    steal1 = steal()
    cpu1 = server.cpu_seconds()
    status = server.status()
    threads = server.threads()
    duration = summary["duration_us"] / 1e6
    socket_errors = sum(
        summary[k] for k in ("connect_errors", "read_errors", "write_errors", "timeout_errors")
    )
    ticks = os.sysconf("SC_CLK_TCK")
    machine_busy = (busy1 - busy0) / ticks  # CPU-seconds, all cores
    server_cpu = cpu1 - cpu0
    other = max(0.0, machine_busy - server_cpu - wrk_cpu)
    return Load(
        server=server.name,
        body=body,
        duration_s=duration,
        connections=connections,
        requests=summary["requests"],
        rps=summary["requests"] / duration,
        p50_ms=summary["p50_us"] / 1000,
        p90_ms=summary["p90_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        p999_ms=summary["p999_us"] / 1000,
        max_ms=summary["latency_max_us"] / 1000,
        non_2xx=summary["non_2xx"],
        socket_errors=socket_errors,
        errors=summary["non_2xx"] + socket_errors,
        rss_mib_idle=idle / 1024,
        rss_mib_peak=status["VmHWM"] / 1024,
        server_cpu_pct=100 * server_cpu / duration,
        wrk_cpu_pct=100 * wrk_cpu / duration,
        other_cpu_pct=100 * other / duration,
        steal_pct=100 * (steal1 - steal0) / ticks / duration,
        threads=threads,
        notes=(
            [f"the machine was still {100 * busy:.0f}% busy after waiting {waited:.0f} s"]
            if busy >= 0.15 else []
        ),
    )


# --- the run ------------------------------------------------------------------


def build() -> None:
    print("building mlp (cargo build --release --bin mlp)...", file=sys.stderr, flush=True)
    subprocess.run(["cargo", "build", "--release", "--bin", "mlp"], cwd=REPO, check=True)


def train(work: Path) -> Path:
    """Runs the credit example in a copy; returns the run folder."""
    copy = work / "credit"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".mlp", "target"))
    run = work / "run"
    proc = subprocess.run(
        [str(MLP), "run", str(copy), "--out", str(run)], capture_output=True, text=True
    )
    model = run / "models" / "scorer.json"
    if not model.exists():
        raise RuntimeError(f"mlp run wrote no {model} (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return run


def machine() -> dict:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    def version(cmd: list[str]) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"
    import fastapi, numpy, pandas, pydantic, sklearn, uvicorn  # noqa: E401

    try:
        import uvloop, httptools  # noqa: E401
        loop = f"uvloop {uvloop.__version__}, httptools {httptools.__version__}"
    except ImportError:
        loop = "asyncio, h11"
    return {
        "date": subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "mlp": version([str(MLP), "--version"]),
        "mlp_binary": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(MLP.stat().st_mtime))
        + ", sha256 " + hashlib.sha256(MLP.read_bytes()).hexdigest()[:16],
        "commit": version(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        "dirty_files": len(subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True,
        ).stdout.splitlines()),
        "wrk": version(["wrk", "-v"]),
        "python": platform.python_version(),
        "peer": (
            f"fastapi {fastapi.__version__}, uvicorn {uvicorn.__version__} ({loop}), "
            f"pydantic {pydantic.__version__}, scikit-learn {sklearn.__version__}, "
            f"pandas {pandas.__version__}, numpy {numpy.__version__}"
        ),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


def fmt_table(loads: list[Load]) -> str:
    head = (
        f"{'server':<34} {'body':<9} {'conns':>5} {'thr':>4} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} "
        f"{'max ms':>8} {'errors':>7} {'RSS idle/peak':>13} {'srv CPU':>8} {'wrk CPU':>8} {'other':>6} {'steal':>6}"
    )
    lines = [head, "-" * len(head)]
    for l in loads:
        lines.append(
            f"{l.server:<34} {l.body:<9} {l.connections:>5} {l.threads:>4} {l.rps:>9.0f} {l.p50_ms:>8.3f} {l.p99_ms:>8.3f} "
            f"{l.p999_ms:>9.3f} {l.max_ms:>8.1f} {l.errors:>7} {l.rss_mib_idle:>6.1f}/{l.rss_mib_peak:>6.1f} "
            f"{l.server_cpu_pct:>7.0f}% {l.wrk_cpu_pct:>7.0f}% {l.other_cpu_pct:>5.0f}% {l.steal_pct:>5.0f}%"
        )
    return "\n".join(lines)


def main() -> int:
    global MLP
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load per server and body size")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--two-workers", action="store_true", help="also load mlp serve --workers 2 (unpinned)")
    parser.add_argument("--one-connection", action="store_true", help="also load mlp and the numpy peer with 1 connection (latency without queueing)")
    parser.add_argument("--retries", type=int, default=2, help="loads repeated when other processes took more than 25%% of a core")
    parser.add_argument("--pandas-peer", action="store_true", help="also load the peer with PEER_TRANSFORMS=pandas")
    parser.add_argument("--quiet-wait", type=float, default=600, help="longest wait, in seconds, for an idle machine before each load")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, run)")
    args = parser.parse_args()

    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (apt-get install -y {'wrk' if tool == 'wrk' else 'util-linux'})", file=sys.stderr)
            return 2
    if os.cpu_count() < 2:
        print("needs 2 cores (server on core 0, wrk on core 1)", file=sys.stderr)
        return 2
    if not args.no_build:
        build()
    if not MLP.exists():
        print(f"{MLP} does not exist: build it (or drop --no-build)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="mlp-bench-serve-"))
    logs = work / "logs"
    logs.mkdir()
    print(f"working in {work}", file=sys.stderr)

    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    # SIGTERM (and SIGINT, even when started in the background) unwind
    # through the `finally`s, which stop the servers.
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        # A private copy of the binary: a `cargo build` during the run
        # cannot change what is measured half-way.
        copy = work / "mlp"
        shutil.copy2(MLP, copy)
        info = machine()
        MLP = copy
        run = train(work)
        model = run / "models" / "scorer.json"
        artifact = json.loads(model.read_text())
        all_rows = rows(artifact)
        bodies = write_bodies(all_rows, work)
        print(json.dumps(info, indent=2), file=sys.stderr)

        # Correctness first: both servers, every body of the run.
        checks = {}
        peers = ["numpy", "pandas"] if args.pandas_peer else ["numpy"]
        for transforms in peers:
            mlp = start_mlp(run, logs, 1, SERVER_CORE)
            peer = start_fastapi(model, logs, SERVER_CORE, transforms)
            try:
                for body, path in bodies.items():
                    key = f"{peer.name}, {body}"
                    checks[key] = compare(answers(mlp, path), answers(peer, path))
                    print(f"check {key}: {checks[key]}", file=sys.stderr)
            finally:
                exits = {mlp.name: mlp.stop(), peer.name: peer.stop()}
            for name, code in exits.items():
                if code != 0:
                    raise RuntimeError(f"{name} exited with {code} after SIGTERM")
        for key, c in checks.items():
            if c["different"] or c["max_abs_diff"] > TOLERANCE:
                raise RuntimeError(f"the servers disagree ({key}): {c}")

        # (server kind, body, connections)
        plan: list[tuple[str, str, int]] = []
        for body in bodies:
            plan += [("mlp", body, args.connections), ("fastapi", body, args.connections)]
            if args.two_workers:
                plan.append(("mlp2", body, args.connections))
            if args.pandas_peer:
                plan.append(("pandas", body, args.connections))
        if args.one_connection:
            for body in bodies:
                plan += [("mlp", body, 1), ("fastapi", body, 1)]
        loads: list[Load] = []
        for kind, body, connections in plan:
            attempts: list[Load] = []
            while True:
                if kind == "mlp":
                    server = start_mlp(run, logs, 1, SERVER_CORE)
                    client_core = CLIENT_CORE
                elif kind == "mlp2":
                    server = start_mlp(run, logs, 2, None)
                    client_core = None
                else:
                    transforms = "pandas" if kind == "pandas" else "numpy"
                    server = start_fastapi(model, logs, SERVER_CORE, transforms)
                    client_core = CLIENT_CORE
                print(
                    f"loading {server.name} with {body} bodies, {connections} connections, "
                    f"for {args.duration:g} s...", file=sys.stderr, flush=True,
                )
                try:
                    result = load(
                        server, body, bodies[body], args.duration, connections, client_core, args.quiet_wait
                    )
                finally:
                    code = server.stop()
                result.exit_code = code
                if kind == "mlp2":
                    result.server += " (unpinned)"
                if code != 0:
                    result.notes.append(f"exit code {code} after SIGTERM")
                attempts.append(result)
                print(fmt_table([result]).splitlines()[-1], file=sys.stderr, flush=True)
                if result.other_cpu_pct <= NOISY_PCT or len(attempts) > args.retries:
                    break
                print(
                    f"  other processes took {result.other_cpu_pct:.0f}% of a core during the load: again",
                    file=sys.stderr, flush=True,
                )
            best = min(attempts, key=lambda l: l.other_cpu_pct)
            if len(attempts) > 1:
                best.notes.append(
                    f"the quietest of {len(attempts)} attempts (other CPU "
                    + ", ".join(f"{a.other_cpu_pct:.0f}%" for a in attempts) + "; req/s "
                    + ", ".join(f"{a.rps:.0f}" for a in attempts) + ")"
                )
            loads.append(best)

        print()
        print(f"{info['date']}; {info['cpu']}, {info['cores']} cores; {info['mlp']}; {info['peer']}")
        print(
            f"wrk -t1 -c{args.connections} -d{args.duration:g}s (after {WARMUP_S} s of warm-up); "
            f"servers on core {SERVER_CORE}, wrk on core {CLIENT_CORE} (unless unpinned)"
        )
        print(fmt_table(loads))
        print()
        by = {(l.server, l.body): l for l in loads if l.connections == args.connections}
        for body in bodies:
            m = by[("mlp serve --workers 1", body)]
            f = by[("FastAPI (numpy)", body)]
            print(
                f"{body}: mlp / FastAPI requests/s = {m.rps / f.rps:.1f}x; "
                f"p99 {m.p99_ms:.3f} ms vs {f.p99_ms:.3f} ms; "
                f"RSS {m.rss_mib_peak:.1f} MiB vs {f.rss_mib_peak:.1f} MiB"
            )
        for l in loads:
            for note in l.notes:
                print(f"{l.server}, {l.body}: {note}")
        if args.json:
            args.json.write_text(json.dumps(
                {"machine": info, "duration_s": args.duration, "connections": args.connections,
                 "checks": checks, "loads": [asdict(l) for l in loads]},
                indent=2,
            ) + "\n")
        return 0
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
