#!/usr/bin/env python3
"""berth against what users run today, in one run on this machine.

  bench/run.py [--quick] [--kit DIR] [--baseline-venv DIR] [--models DIR]
               [--out-json FILE] [--out-md FILE]

For each model (Iris logistic regression, random forest, MLP and the 50-feature forest, made by
the kit's make_models.py) it starts, one after another on 127.0.0.1:
  berth          target/release/berth serve MODEL (one core, one ONNX Runtime thread), default
                 settings: no dynamic batching
  berth-batch    the same with BATCH_MAX_ROWS=64: dynamic batching, which the kit's models allow
                 (each row's answer is its own; berth probes that at start and would refuse)
  baseline       the kit's FastAPI + onnxruntime app under uvicorn, ORT_INTRA_OP_NUM_THREADS=1
and once, as the ceiling, target/release/bench-reference (bare axum, fixed answer).
Every server runs on CPU 0 and the load generator (the kit's load.sh, wrk) on CPU 1, but for
the scaling runs at the end: berth and the baseline with one worker and then two, unpinned
(server and wrk share both cores), json1 and json100 on the Iris forest. For each it
measures the time from process start to the first 200 on its readiness route (berth: /ready;
the others answer /ping only once they can serve), idle RSS, then the scenarios json1, json100,
csv100 and ping (req/s, p50, p99, peak RSS). Then, but for --quick, the criterion bench of the
engine alone (crates/berth-engine/benches/engine.rs: Model::run on CPU 0 on the same 1 and 100
rows, no HTTP, the load's body repeated and, for context, sixteen blocks of its rows in turn),
whose rows/s berth's served rows/s are compared with.

Busy machine: the harness measures the CPU time other processes used during each load run
(/proc/stat minus the server's and wrk's own time). When others took more than 10% of a core,
the run is repeated (twice at most) and, if still busy, flagged in the results.

Writes bench/results/latest.json (a list of {server, model, scenario, rps, rows_per_s, p50_ms,
p99_ms, peak_rss_mb, ready_ms, busy}, and the engine's rows/s), docs/benchmarks.md (the goals of
issue 16, each met, not met or not measured with the figures of the run; the tables and ratios;
bench/notes.md appended) and its charts (docs/benchmarks-*.svg, bench/charts.py); with --quick,
the results go to --out-json and the page and charts beside it (FILE.md). The goal lines are
printed at the end too. `--render JSON` rewrites the page and the charts from a results file
without measuring (and prints the goals). On a terminal it shows which run of how many is going
and about how long is left.
Only loopback is contacted; every server is stopped at the end of its turn.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from charts import Bar, Panel, bar_chart

ROOT = Path(__file__).resolve().parent.parent
PORT = 18180
SERVER_CPU = "0"
WRK_CPU = "1"
BUSY_SHARE = 0.10  # of one core
BATCH_ROWS = "64"  # BATCH_MAX_ROWS of the berth-batch server
MODELS = [  # (name in the kit, features)
    ("logistic_regression_nozipmap", 4),
    ("random_forest_nozipmap", 4),
    ("mlp_nozipmap", 4),
    ("rf_wide_nozipmap", 50),
]
ROWS = {"json1": 1, "json100": 100, "csv100": 100, "ping": 0, "json1-c64": 1}
SHORT_NAMES = {"logistic_regression_nozipmap": "logreg", "random_forest_nozipmap": "forest",
               "mlp_nozipmap": "mlp", "rf_wide_nozipmap": "wide forest"}
COLOURS = {"berth": "#1b6e8f", "berth-batch": "#6fb3cf", "baseline": "#c2571a",
           "engine alone": "#7a7a7a", "berth JSON": "#1b6e8f", "berth CSV": "#4f9a5a"}
FORMATS = {"json1": "JSON", "json100": "JSON", "csv100": "CSV"}
BATCHED_MODELS = ("mlp_nozipmap", "rf_wide_nozipmap")  # json1-c64 runs on these

# The goals of issue 16, judged by report() and printed at the end of a run (see goals()).
GOAL_MODEL = "random_forest_nozipmap"  # the 1-row JSON goals' model
GOAL_REFERENCE_SHARE = 0.70  # berth json1 req/s over the bare axum server's
GOAL_P99_SHARE = 1 / 3  # berth json1 p99 over the baseline's
GOAL_ENGINE_SHARE = 0.95  # berth json100 and csv100 rows/s over the engine's, same rows
GOAL_BATCH_GAIN = 1.10  # berth-batch / berth json1-c64 req/s: "a real gain", above run-to-run noise
GOAL_IDLE_MIB, GOAL_PEAK_MIB, GOAL_READY_MS = 30, 60, 100  # berth, the Iris models
IRIS_MODELS = [m for m, _ in MODELS if m != "rf_wide_nozipmap"]


# The scaling runs: unpinned (server and wrk share both cores), one worker and then two, for
# berth (INFERENCE_WORKERS, one ONNX Runtime thread each) and the baseline (uvicorn, then
# gunicorn with two uvicorn workers), on the Iris forest.
SCALING_MODEL = ("random_forest_nozipmap", 4)
SCALING_SERVERS = ("berth-unpinned-w1", "berth-unpinned-w2", "baseline-unpinned-w1",
                   "baseline-unpinned-w2")
SCALING_SCENARIOS = ["json1", "json100"]


def scenarios_of(server_name: str, model: str | None) -> list[str]:
    if "-unpinned-" in server_name:
        return SCALING_SCENARIOS
    scenarios = ["json1", "json100", "csv100", "ping"]
    if server_name.startswith("berth") and model in BATCHED_MODELS:
        scenarios.append("json1-c64")
    return scenarios


def clear_status() -> None:
    """Wipe the status line (see Progress) before a line of output, on a terminal."""
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()


class Progress:
    """`[n/N]` on every result line and, on a terminal, a status line with the time left
    (the average of the runs so far times the runs to go)."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.started = total, 0, time.monotonic()
        self.tty = sys.stderr.isatty()

    def starting(self, what: str) -> None:
        if not self.tty:
            return
        left = ""
        if self.done:
            seconds = (time.monotonic() - self.started) / self.done * (self.total - self.done)
            left = f", about {int(seconds // 60)} min {int(seconds % 60):02d} s left"
        sys.stderr.write(f"\r\x1b[K[{self.done + 1}/{self.total}] {what}{left}")
        sys.stderr.flush()

    def finished(self) -> str:
        """Count a run; the prefix of its result line."""
        self.done += 1
        clear_status()
        return f"[{self.done}/{self.total}]"


def cpu_busy_jiffies() -> int:
    """Time the CPUs spent running processes: user, nice, system and steal.

    Interrupt and softirq time is left out: loopback TCP at this rate is processed there, on
    behalf of the server and wrk themselves, and would read as "another process".
    """
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9])
    return user + nice + system + steal


def tree_jiffies(pid: int) -> int:
    """utime + stime (self and reaped children) of `pid` and its descendants."""
    total = 0
    pending = [pid]
    while pending:
        p = pending.pop()
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
            parts = stat[stat.rindex(")") + 2:].split()
            total += sum(int(v) for v in parts[11:15])
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
            pending.extend(int(c) for c in children)
        except (OSError, ValueError):
            continue
    return total


def rss_mib(pid: int) -> float:
    total = 0
    pending = [pid]
    while pending:
        p = pending.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            pending.extend(int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split())
        except (OSError, ValueError):
            continue
    return total / 1024


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status
    except Exception:  # noqa: BLE001 - any failure means "not yet"
        return 0


class Server:
    """One server process; `cpus` is its taskset CPU list, None for unpinned (the scaling runs)."""

    def __init__(self, name: str, command: list[str], env: dict, ready_path: str, cwd: Path | None = None,
                 cpus: str | None = SERVER_CPU):
        self.name, self.command, self.env, self.ready_path, self.cwd = name, command, env, ready_path, cwd
        self.cpus = cpus
        self.proc: subprocess.Popen | None = None

    def start(self) -> float:
        """Starts the server; returns ms from spawn to the first 200 on its readiness route.

        A variable set to None in the server's env is removed from the inherited environment.
        """
        env = {k: v for k, v in {**os.environ, **self.env, "PORT": str(PORT)}.items() if v is not None}
        started = time.monotonic()
        pin = ["taskset", "-c", self.cpus] if self.cpus else []
        self.proc = subprocess.Popen([*pin, *self.command], env=env, cwd=self.cwd,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{PORT}{self.ready_path}"
        while time.monotonic() - started < 120:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.proc.returncode} before it was ready")
            if get_status(url) == 200:
                return (time.monotonic() - started) * 1000
            time.sleep(0.002)
        raise SystemExit(f"{self.name} not ready after 120 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def make_server(name: str, model: str | None, args, berth: Path, reference: Path) -> Server:
    """The server of one turn: `reference`, `berth`, `berth-batch`, `baseline`, or a scaling
    run `{berth,baseline}-unpinned-w{1,2}`."""
    if name == "reference":
        return Server("reference", [str(reference)], {}, "/ping")
    workers = name.rsplit("-w", 1)[1] if "-unpinned-" in name else "1"
    cpus = None if "-unpinned-" in name else SERVER_CPU
    if name.startswith("berth"):
        # berth: the defaults, whatever the caller's environment says; berth-batch: merging on.
        env = {"LOG_LEVEL": "warn", "ORT_INTRA_OP_THREADS": "1", "INFERENCE_WORKERS": workers,
               "BATCH_MAX_ROWS": BATCH_ROWS if name == "berth-batch" else None}
        return Server(name, [str(berth), "serve", str(args.models / f"{model}.onnx"),
                             "--host", "127.0.0.1"], env, "/ready", cpus=cpus)
    env = {"SM_MODEL_DIR": str(args.models), "MODEL_FILENAME": f"{model}.onnx",
           "ORT_INTRA_OP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    bin_dir = args.baseline_venv / "bin"
    if workers == "1":
        command = [str(bin_dir / "uvicorn"), "baseline_fastapi:app", "--host", "127.0.0.1",
                   "--port", str(PORT), "--log-level", "warning", "--no-access-log"]
    else:
        command = [str(bin_dir / "gunicorn"), "baseline_fastapi:app", "-k", "uvicorn.workers.UvicornWorker",
                   "-w", workers, "-b", f"127.0.0.1:{PORT}", "--log-level", "warning"]
    return Server(name, command, env, "/ping", cwd=args.kit, cpus=cpus)


def load(kit: Path, server: Server, features: int, scenario: str, args) -> dict:
    """One scenario through the kit's load.sh, repeated while the machine is busy."""
    attempts = 1 if args.quick else 3
    for attempt in range(attempts):
        out = Path(tempfile.mkstemp(suffix=".tsv")[1])
        # json1-c64: the 1-row scenario at 64 connections, where dynamic batching matters most.
        wrk_scenario, connections = ("json1", 64) if scenario == "json1-c64" else (scenario, args.connections)
        command = [str(kit / "load.sh"), f"http://127.0.0.1:{PORT}", "--pid", str(server.proc.pid),
                   "--features", str(features), "--wrk-cpus", WRK_CPU if server.cpus else "none",
                   "--scenarios", wrk_scenario,
                   "--connections", str(connections), "--duration", args.duration,
                   "--warmup", args.warmup, "--label", server.name, "--out", str(out)]
        busy_before = cpu_busy_jiffies()
        ours_before = tree_jiffies(server.proc.pid)
        started = time.monotonic()
        runner = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runner.wait()
        ours = tree_jiffies(server.proc.pid) - ours_before
        # wrk ran under load.sh, now reaped: its CPU time is in our children's usage.
        elapsed = time.monotonic() - started
        others = max(0, cpu_busy_jiffies() - busy_before - ours - wrk_jiffies.pop_delta())
        hz = os.sysconf("SC_CLK_TCK")
        others_share = others / hz / elapsed
        fields = out.read_text().strip().split("\t") if out.exists() and out.read_text().strip() else []
        out.unlink(missing_ok=True)
        if len(fields) < 11 or fields[2] in ("", "-"):
            raise SystemExit(f"{server.name} {scenario}: load.sh gave no result (is wrk installed?)")
        result = {
            "rps": float(fields[2]), "p50_ms": float(fields[3]), "p99_ms": float(fields[5]),
            "non2xx": int(fields[7] or 0), "sock_errors": int(fields[8] or 0),
            "peak_rss_mb": float(fields[9]) if fields[9] not in ("-", "") else None,
            "others_share": round(others_share, 3), "busy": others_share > BUSY_SHARE,
        }
        if not result["busy"]:
            return result
        clear_status()
        print(f"  {server.name} {scenario}: other processes used {others_share:.0%} of a core; "
              f"{'repeating' if attempt < attempts - 1 else 'flagged'}", flush=True)
    return result


class ChildClock:
    """CPU time of reaped children (wrk and load.sh), as deltas between calls."""

    def __init__(self) -> None:
        self.last = self.now()

    @staticmethod
    def now() -> int:
        usage = os.times()
        return int((usage.children_user + usage.children_system) * os.sysconf("SC_CLK_TCK"))

    def pop_delta(self) -> int:
        now = self.now()
        delta, self.last = now - self.last, now
        return delta


wrk_jiffies = ChildClock()


def engine_alone(models: Path) -> dict:
    """rows/s of berth-engine's Model::run alone on CPU 0 (the criterion bench `engine`)."""
    env = {**os.environ, "BERTH_BENCH_MODELS": str(models)}
    subprocess.run(["taskset", "-c", SERVER_CPU, "cargo", "bench", "--locked", "-p", "berth-engine",
                    "--bench", "engine", "--", "--warm-up-time", "2", "--measurement-time", "5"],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    result = {}
    # `engine`: the load's body repeated, as the load sends it; `engine-in-turn`: sixteen blocks
    # of the load's stream in turn (a tree ensemble's run time depends on whether the branch
    # predictor has just seen the rows; engine.rs says more). The goals use `engine`.
    for group, key in (("engine", "rows_per_s"), ("engine-in-turn", "in_turn_rows_per_s")):
        for case in sorted((ROOT / "target" / "criterion" / group).glob("*/new/estimates.json")):
            name = case.parent.parent.name  # e.g. rf_wide_nozipmap_100
            model, _, batch = name.rpartition("_")
            if not batch.isdigit():
                continue  # a case of an older version of the bench, still in target/criterion
            mean_ns = json.loads(case.read_text())["mean"]["point_estimate"]
            figures = result.setdefault(f"{model}/{batch}", {})
            figures[key] = int(batch) / (mean_ns / 1e9)
            if group == "engine":
                figures["run_us"] = mean_ns / 1e3
    return {case: figures for case, figures in result.items() if "rows_per_s" in figures}


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(int(mem) / 1024 / 1024, 1),
        "kernel": platform.release(), "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="harness smoke: 1 s runs, two models")
    parser.add_argument("--kit", type=Path, default=ROOT.parent / "shared" / "bench")
    parser.add_argument("--baseline-venv", type=Path, default=ROOT / ".venv-bench")
    parser.add_argument("--models", type=Path, default=ROOT / "bench" / "out" / "models")
    parser.add_argument("--out-json", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    parser.add_argument("--out-md", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="write docs/benchmarks.md and its charts from this results file, no runs")
    args = parser.parse_args()
    for name in ("kit", "baseline_venv", "models", "out_json", "out_md"):
        setattr(args, name, getattr(args, name).resolve())
    if args.render:
        document = json.loads(args.render.read_text())
        write_report(args.out_md, document)
        print_goals(document)
        return 0
    args.duration, args.warmup = ("1s", "0") if args.quick else ("10s", "3s")
    if not shutil.which("wrk") or not shutil.which("taskset"):
        raise SystemExit("wrk and taskset are needed (apt-get install wrk util-linux)")
    berth = ROOT / "target" / "release" / "berth"
    reference = ROOT / "target" / "release" / "bench-reference"
    for binary in (berth, reference):
        if not binary.exists():
            raise SystemExit(f"{binary} missing: run `make bench` (it builds them)")
    models = MODELS[1:2] + MODELS[3:] if args.quick else MODELS
    info = machine()
    print(f"# {info['cpu']}, {info['cores']} cores, load {' '.join(info['loadavg_at_start'])}", flush=True)

    results = []
    turns = [("reference", None, 4)] + [(server, model, nf) for model, nf in models
                                          for server in ("berth", "berth-batch", "baseline")]
    turns += [(server, SCALING_MODEL[0], SCALING_MODEL[1]) for server in SCALING_SERVERS]
    progress = Progress(sum(len(scenarios_of(server, model)) for server, model, _ in turns))
    for server_name, model, features in turns:
        server = make_server(server_name, model, args, berth, reference)
        ready = []
        for _ in range(1 if args.quick else 3):
            ready.append(server.start())
            server.stop()
            time.sleep(0.3)
        try:
            ready.append(server.start())
            time.sleep(1)
            idle = rss_mib(server.proc.pid)
            for scenario in scenarios_of(server_name, model):
                progress.starting(f"{server_name} {model or '-'} {scenario}")
                wrk_jiffies.pop_delta()
                r = load(args.kit, server, features, scenario, args)
                row = {"server": server_name, "model": model or "-", "scenario": scenario,
                       "rps": r["rps"], "rows_per_s": r["rps"] * ROWS[scenario], "p50_ms": r["p50_ms"],
                       "p99_ms": r["p99_ms"], "peak_rss_mb": r["peak_rss_mb"], "idle_rss_mb": round(idle, 1),
                       "ready_ms": round(statistics.median(ready), 1), "non2xx": r["non2xx"],
                       "sock_errors": r["sock_errors"], "others_share": r["others_share"], "busy": r["busy"]}
                results.append(row)
                print(f"{progress.finished():>8} {server_name:<14} {model or '-':<30} {scenario:<8} {r['rps']:>10.0f} req/s  "
                      f"p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  rss {r['peak_rss_mb']} MiB"
                      f"{'  BUSY' if r['busy'] else ''}", flush=True)
        finally:
            server.stop()

    engine = {} if args.quick else engine_alone(args.models)
    for case, figures in engine.items():
        print(f"engine alone   {case:<30} {figures['rows_per_s']:>10.0f} rows/s  ({figures['run_us']:.1f} us a run)")
    args.out_json.parent.mkdir(parents=True, exist_ok=True)
    document = {"machine": info, "quick": args.quick, "engine_alone": engine, "results": results}
    args.out_json.write_text(json.dumps(document, indent=1) + "\n")
    if not args.quick:
        write_report(args.out_md, document)
        print(f"wrote {shown(args.out_json)}")
    else:
        bad = [r for r in results if r["rps"] <= 0 or r["non2xx"] > 0]
        if bad:
            raise SystemExit(f"bench-quick: failed scenarios: {bad}")
        # The report and charts too, beside the results, so the smoke test runs their code.
        write_report(args.out_json.with_suffix(".md"), document)
        print(f"bench-quick: {len(results)} scenario runs, all answered 2xx; wrote {shown(args.out_json)}")
    print_goals(document)
    return 0


def shown(path: Path) -> Path:
    """`path` relative to the repository when it is inside it (--out-json may be anywhere)."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def write_report(out_md: Path, document: dict) -> None:
    """docs/benchmarks.md and the charts beside it, from one results document."""
    svgs = charts(document)
    for name, svg in svgs.items():
        (out_md.parent / name).write_text(svg)
    out_md.write_text(report(document["machine"], document["results"], document["engine_alone"],
                             list(svgs)))
    print(f"wrote {out_md} and {', '.join(svgs)}")


def find_result(results: list[dict], server: str, model: str, scenario: str) -> dict | None:
    for r in results:
        if r["server"] == server and r["model"] == model and r["scenario"] == scenario:
            return r
    return None


def scaling_pairs(results: list[dict]):
    """(server, scenario, one-worker result, two-worker result) of each scaling comparison."""
    for server in ("berth", "baseline"):
        for scenario in SCALING_SCENARIOS:
            yield (server, scenario,
                   find_result(results, f"{server}-unpinned-w1", SCALING_MODEL[0], scenario),
                   find_result(results, f"{server}-unpinned-w2", SCALING_MODEL[0], scenario))


def served_rows(results: list[dict], engine: dict) -> list[tuple[str, str, dict | None, dict | None]]:
    """berth's runs beside the engine-alone case of the same model and rows: (case, scenario,
    engine figures, berth's result), None where not measured. Every model's json100 and csv100
    against `<model>/100`; json1 against `<model>/1` where the engine bench has that case."""
    pairs = []
    for model, _ in MODELS:
        for batch, scenarios in (("1", ("json1",)), ("100", ("json100", "csv100"))):
            case = f"{model}/{batch}"
            for scenario in scenarios:
                row = find_result(results, "berth", model, scenario)
                if case in engine or (batch == "100" and row):
                    pairs.append((case, scenario, engine.get(case), row))
    return pairs


def charts(document: dict) -> dict[str, str]:
    """File name -> SVG: req/s and p99 per scenario and server, rows/s against the engine's."""
    results, engine = document["results"], document["engine_alone"]
    models = [m for m, _ in MODELS if any(r["model"] == m for r in results)]

    def panels(metric: str, unit: str, fmt) -> list[Panel]:
        out = []
        for scenario in ("json1", "json100", "csv100", "json1-c64"):
            groups = []
            for model in models:
                bars = [Bar(server, r[metric], fmt(r[metric]))
                        for server in ("berth", "berth-batch", "baseline")
                        if (r := find_result(results, server, model, scenario))]
                if bars:
                    groups.append((SHORT_NAMES.get(model, model), bars))
            reference = find_result(results, "reference", "-", scenario)
            line = (f"bare axum {fmt(reference[metric])}", reference[metric]) if reference else None
            if groups:
                out.append(Panel(scenario, groups, unit, line))
        return out

    def rate(value: float) -> str:
        if value >= 1_000_000:
            return f"{value / 1_000_000:.1f}M"
        if value >= 10_000:
            return f"{value / 1000:.0f}k"
        return f"{value / 1000:.1f}k" if value >= 1000 else f"{value:.0f}"

    machine = document["machine"]
    where = f"{machine['cpu']}, {machine['date']}; server on one core, wrk on the other"
    svgs = {
        "benchmarks-throughput.svg": bar_chart(
            "Requests per second (higher is better)", where,
            panels("rps", "", rate), {k: COLOURS[k] for k in ("berth", "berth-batch", "baseline")},
            ["json1-c64: 64 connections, where dynamic batching (berth-batch) can merge requests.",
             "Dashed: the bare axum server with a fixed answer, the ceiling of the HTTP stack."],
            panel_width=300),
        "benchmarks-p99.svg": bar_chart(
            "p99 latency in ms (lower is better)", where,
            panels("p99_ms", "ms", lambda v: f"{v:.1f}"),
            {k: COLOURS[k] for k in ("berth", "berth-batch", "baseline")},
            ["Dashed: the bare axum server."], panel_width=300),
    }
    scaling = []
    for scenario in SCALING_SCENARIOS:
        groups = []
        for workers in ("1", "2"):
            bars = [Bar(server, r["rps"], rate(r["rps"])) for server in ("berth", "baseline")
                    if (r := find_result(results, f"{server}-unpinned-w{workers}", SCALING_MODEL[0], scenario))]
            if bars:
                groups.append((f"{workers} worker{'s' if workers != '1' else ''}", bars))
        if groups:
            scaling.append(Panel(scenario, groups))
    if scaling:
        svgs["benchmarks-scaling.svg"] = bar_chart(
            "From one core to two: requests per second (higher is better)",
            f"{machine['cpu']}, {machine['date']}; {SHORT_NAMES[SCALING_MODEL[0]]} model, "
            "nothing pinned: the servers and wrk share both cores",
            scaling, {k: COLOURS[k] for k in ("berth", "baseline")},
            ["berth: INFERENCE_WORKERS=1 then 2, one ONNX Runtime thread each;",
             "baseline: uvicorn, then gunicorn with 2 uvicorn workers."], panel_width=300)
    # One panel per engine case: the engine's bar, then berth's JSON and CSV runs of those rows.
    cases: dict[str, list[Bar]] = {}
    for case, scenario, figures, row in served_rows(results, engine):
        if figures and row:
            bars = cases.setdefault(case, [Bar("engine alone", figures["rows_per_s"],
                                               rate(figures["rows_per_s"]))])
            share = row["rows_per_s"] / figures["rows_per_s"]
            bars.append(Bar(f"berth {FORMATS[scenario]}", row["rows_per_s"],
                            f"{rate(row['rows_per_s'])} ({share:.2f})"))
    engine_panels = []
    for case, bars in cases.items():
        model, rows = case.split("/")
        label = f"{SHORT_NAMES.get(model, model)}, {rows} row{'s' if rows != '1' else ''}"
        engine_panels.append(Panel(label, [(label, bars)], ""))
    if engine_panels:
        svgs["benchmarks-engine.svg"] = bar_chart(
            "Rows per second: berth served against ONNX Runtime alone", where, engine_panels,
            {k: COLOURS[k] for k in ("engine alone", "berth JSON", "berth CSV")},
            ["engine alone: the criterion bench, Model::run on the same rows, no HTTP.",
             "berth JSON / CSV: json1, json100 and csv100; (N.NN): berth's share of the engine's rows/s."],
            panel_width=200)
    return svgs


def goals(results: list[dict], engine: dict) -> list[tuple[str, str, str]]:
    """The goals of issue 16 judged from one run: (goal, measured figures, verdict).

    The verdict is `met` when every figure the goal needs was measured and meets it, `not met`
    when one measured figure misses it, else `not measured`; `reported` for figures the issue
    asks to see but sets no bar for. A figure from a busy run (see load()) says so.
    """
    def find(server, model, scenario):
        return find_result(results, server, model, scenario)

    def busy(*rows) -> str:
        return " (busy)" if any(r and r.get("busy") for r in rows) else ""

    def verdict(checks: list[bool | None]) -> str:
        if any(check is False for check in checks):
            return "not met"
        return "met" if checks and all(checks) else "not measured"

    def short(model: str) -> str:
        return SHORT_NAMES.get(model, model)

    out = []
    forest = short(GOAL_MODEL)
    b, ref, base = (find("berth", GOAL_MODEL, "json1"), find("reference", "-", "json1"),
                    find("baseline", GOAL_MODEL, "json1"))
    goal = f"1-row JSON, {forest}: berth >= {GOAL_REFERENCE_SHARE:.2f} of bare axum req/s"
    if b and ref and ref["rps"]:
        share = b["rps"] / ref["rps"]
        out.append((goal, f"{b['rps']:.0f} / {ref['rps']:.0f} req/s = {share:.2f}{busy(b, ref)}",
                    verdict([share >= GOAL_REFERENCE_SHARE])))
    else:
        out.append((goal, "not measured", "not measured"))
    goal = f"1-row JSON, {forest}: berth p99 <= 1/3 of the baseline's"
    if b and base and base["p99_ms"]:
        share = b["p99_ms"] / base["p99_ms"]
        out.append((goal, f"{b['p99_ms']:.2f} / {base['p99_ms']:.2f} ms = {share:.2f}{busy(b, base)}",
                    verdict([share <= GOAL_P99_SHARE])))
    else:
        out.append((goal, "not measured", "not measured"))

    figures, checks = [], []
    pairs = {(case, scenario): (alone, row) for case, scenario, alone, row in served_rows(results, engine)}
    for model, _ in MODELS:
        for scenario in ("json100", "csv100"):
            alone, row = pairs.get((f"{model}/100", scenario), (None, None))
            if alone and row:
                share = row["rows_per_s"] / alone["rows_per_s"]
                figures.append(f"{short(model)} {scenario} {share:.2f}{busy(row)}")
                checks.append(share >= GOAL_ENGINE_SHARE)
            else:
                figures.append(f"{short(model)} {scenario} not measured")
                checks.append(None)
    out.append((f"100 rows, JSON and CSV, every model: berth >= {GOAL_ENGINE_SHARE:.2f} of the engine's "
                "rows/s", "; ".join(figures), verdict(checks)))

    figures, checks = [], []
    for model, _ in MODELS:
        json100, csv100 = find("berth", model, "json100"), find("berth", model, "csv100")
        if json100 and csv100 and json100["rps"]:
            share = csv100["rps"] / json100["rps"]
            figures.append(f"{short(model)} {share:.2f}{busy(json100, csv100)}")
            checks.append(share >= 1)
        else:
            figures.append(f"{short(model)} not measured")
            checks.append(None)
    out.append(("CSV no slower than JSON: berth csv100 / json100 req/s >= 1, every model",
                "; ".join(figures), verdict(checks)))

    figures, checks = [], []
    for model in BATCHED_MODELS:
        plain, batched = find("berth", model, "json1-c64"), find("berth-batch", model, "json1-c64")
        if plain and batched and plain["rps"]:
            gain = batched["rps"] / plain["rps"]
            figures.append(f"{short(model)} {batched['rps']:.0f} / {plain['rps']:.0f} req/s = "
                           f"{gain:.2f}{busy(plain, batched)}")
            checks.append(gain >= GOAL_BATCH_GAIN)
        else:
            figures.append(f"{short(model)} not measured")
            checks.append(None)
    out.append((f"Batching opted in, json1-c64: berth-batch / berth req/s >= {GOAL_BATCH_GAIN:.2f}",
                "; ".join(figures), verdict(checks)))

    def berth_rows(model: str) -> list[dict]:
        return [r for r in results if r["server"] == "berth" and r["model"] == model]

    def peak(rows: list[dict]) -> float | None:
        values = [r["peak_rss_mb"] for r in rows if r["peak_rss_mb"] is not None]
        return max(values) if values else None

    for goal, limit, unit, figure in (
            (f"Idle RSS < {GOAL_IDLE_MIB} MiB", GOAL_IDLE_MIB, "MiB", lambda rows: rows[0]["idle_rss_mb"]),
            (f"Peak RSS under load < {GOAL_PEAK_MIB} MiB", GOAL_PEAK_MIB, "MiB", peak),
            (f"Ready (start to first 200 on /ready) < {GOAL_READY_MS} ms", GOAL_READY_MS, "ms",
             lambda rows: rows[0]["ready_ms"])):
        figures, checks = [], []
        for model in IRIS_MODELS:
            rows = berth_rows(model)
            value = figure(rows) if rows else None
            if value is None:
                figures.append(f"{short(model)} not measured")
                checks.append(None)
            else:
                figures.append(f"{short(model)} {value:.1f} {unit}")
                checks.append(value < limit)
        out.append((f"{goal}, berth, Iris models", "; ".join(figures), verdict(checks)))
    goal = "Idle RSS, peak RSS, ready: the wide forest (300 trees; not judged against the Iris goals)"
    rows = berth_rows("rf_wide_nozipmap")
    if rows:
        wide_peak = peak(rows)
        out.append((goal, f"idle {rows[0]['idle_rss_mb']:.1f} MiB; peak "
                    f"{f'{wide_peak:.1f} MiB' if wide_peak is not None else 'not measured'}; "
                    f"ready {rows[0]['ready_ms']:.1f} ms", "reported"))
    else:
        out.append((goal, "not measured", "not measured"))

    figures = []
    for server, scenario, one, two in scaling_pairs(results):
        if one and two and one["rps"]:
            figures.append(f"{server} {scenario} {two['rps'] / one['rps']:.2f}{busy(one, two)}")
        else:
            figures.append(f"{server} {scenario} not measured")
    out.append((f"Scaling, unpinned, 1 -> 2 workers, {short(SCALING_MODEL[0])}: 2 / 1 req/s",
                "; ".join(figures),
                "not measured" if all(f.endswith("not measured") for f in figures) else "reported"))
    return out


def print_goals(document: dict) -> None:
    """The goal lines of the report, on stdout."""
    print(f"Goals (issue 16){' (--quick: 1 s runs, a smoke test, not figures)' if document.get('quick') else ''}:")
    for goal, figures, verdict in goals(document["results"], document["engine_alone"]):
        print(f"  {verdict:<12}  {goal}: {figures}")


def report(info: dict, results: list[dict], engine: dict, chart_files: list[str]) -> str:
    def find(server, model, scenario):
        return find_result(results, server, model, scenario)

    lines = [
        "# Benchmarks",
        "",
        "Made by `make bench` (bench/run.py); the figures below are the last run's, in",
        "`bench/results/latest.json` too. Every server ran on CPU 0 with one ONNX Runtime thread,",
        "wrk on CPU 1, 32 connections (64 for `json1-c64`, run on both berths with the MLP and the wide",
        "forest to show dynamic batching), 3 s warm-up then 10 s measured per scenario.",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, Linux {info['kernel']};"
        f" load average at start {' '.join(info['loadavg_at_start'])}; {info['date']}.",
        "",
        "Servers: **berth** (`berth serve MODEL` with its defaults: no dynamic batching),",
        f"**berth-batch** (BATCH_MAX_ROWS={BATCH_ROWS}: queued requests merged into one run, which the",
        "kit's models allow), **baseline** (the FastAPI + onnxruntime app users write, under uvicorn,",
        "ORT_INTRA_OP_NUM_THREADS=1), **reference** (bare axum, reads the body and returns a fixed",
        "answer: the ceiling of the HTTP stack). `batching gain` is berth-batch / berth req/s.",
        "",
        "## Goals (issue 16)",
        "",
        "Judged from this run's figures; `not measured` where the run has no figure for it.",
        "",
        "| goal | measured | met |",
        "|---|---|---|",
        *[f"| {goal} | {figures} | {verdict} |" for goal, figures, verdict in goals(results, engine)],
        "",
        "## Results",
        "",
        *[f"![{name.removesuffix('.svg').replace('-', ' ')}]({name})" for name in chart_files],
        "",
        "| server | model | scenario | req/s | rows/s | p50 ms | p99 ms | peak RSS MiB | idle RSS MiB | ready ms | busy |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['server']} | {r['model']} | {r['scenario']} | {r['rps']:.0f} | {r['rows_per_s']:.0f} | "
            f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['peak_rss_mb']} | {r['idle_rss_mb']} | {r['ready_ms']} | "
            f"{'yes (' + str(round(r['others_share'] * 100)) + '% of a core)' if r['busy'] else 'no'} |")
    lines += ["", "## Ratios (same run)", "",
              "| model | scenario | berth / baseline req/s | berth p99 / baseline p99 | berth / reference req/s | batching gain |",
              "|---|---|---:|---:|---:|---:|"]
    for model in sorted({r["model"] for r in results if r["model"] != "-"}):
        for scenario in ("json1", "json100", "csv100", "ping", "json1-c64"):
            b, base = find("berth", model, scenario), find("baseline", model, scenario)
            batched, ref = find("berth-batch", model, scenario), find("reference", "-", scenario)
            if not b:
                continue
            gain = f"{batched['rps'] / b['rps']:.2f}" if batched and b["rps"] else "-"
            if not base:
                lines.append(f"| {model} | {scenario} | - | - | - | {gain} |")
                continue
            ratio_ref = f"{b['rps'] / ref['rps']:.2f}" if ref and ref["rps"] else "-"
            lines.append(f"| {model} | {scenario} | {b['rps'] / base['rps']:.1f}x | "
                         f"{b['p99_ms'] / base['p99_ms']:.2f} | {ratio_ref} | {gain} |")
    lines += ["", "## The server's cost over the engine alone (same core, same rows)", "",
              "`engine alone` is the criterion bench `crates/berth-engine/benches/engine.rs`: `Model::run` on",
              "the load's own body, repeated as the load repeats it; the ratio is berth's served rows/s over it.",
              "`in turn` runs sixteen blocks of the load's rows in turn instead: a tree ensemble is slower",
              "on rows the branch predictor has not just seen, and between two HTTP requests it has seen",
              "other code, so for the forests the truth for berth lies between the two.", "",
              "| case | format | engine alone rows/s | in turn rows/s | berth rows/s | berth / engine |",
              "|---|---|---:|---:|---:|---:|"]
    scaling_rows = []
    for server, scenario, one, two in scaling_pairs(results):
        if one and two and one["rps"]:
            scaling_rows.append(f"| {server} | {scenario} | {one['rps']:.0f} | {two['rps']:.0f} | "
                                f"{two['rps'] / one['rps']:.2f} |")
    for case, scenario, figures, row in served_rows(results, engine):
        alone = f"{figures['rows_per_s']:.0f}" if figures else "not measured"
        in_turn = f"{figures['in_turn_rows_per_s']:.0f}" if figures and "in_turn_rows_per_s" in figures else "-"
        served = f"{row['rows_per_s']:.0f}" if row else "not measured"
        ratio = f"{row['rows_per_s'] / figures['rows_per_s']:.2f}" if figures and row else "-"
        lines.append(f"| {case} | {FORMATS[scenario]} ({scenario}) | {alone} | {in_turn} | {served} | {ratio} |")
    if scaling_rows:
        lines += ["", "## From one core to two (unpinned)", "",
                  f"The {SHORT_NAMES[SCALING_MODEL[0]]} model with nothing pinned: the server and wrk share both cores.",
                  "berth with INFERENCE_WORKERS=1 then 2 (one ONNX Runtime thread each), the baseline under",
                  "uvicorn then gunicorn with two uvicorn workers.", "",
                  "| server | scenario | 1 worker req/s | 2 workers req/s | 2 / 1 |", "|---|---|---:|---:|---:|",
                  *scaling_rows]
    notes = ROOT / "bench" / "notes.md"
    if notes.is_file():
        lines += ["", notes.read_text().rstrip()]
    lines.append("")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
