"""Train a scikit-learn model on Iris, export it to ONNX, serve it with berth, check berth's answers.

Each example script calls `train_and_serve(name, model)`. The check is strict: every label berth
returns must equal scikit-learn's `predict`, every probability must be within 1e-5 of
`predict_proba`, through both JSON and CSV requests. Any mismatch, non-200 answer or start-up
failure exits non-zero.

Environment:
  BERTH_BIN         the berth binary (default: target/release/berth in this repository)
  EXAMPLES_OUT      where models are written (default: examples/out/<name>/model.onnx)
  BERTH_URL         check an already running berth (e.g. the example image) instead of starting
                    the binary; it must serve the model this script trains (training and export
                    are deterministic, so the image built from its output serves the same bytes)
                    with RESPONSE_OUTPUTS=all
  EXAMPLE_SABOTAGE  `model-path` (point berth at a missing model) or `probability` (shift one
                    expected probability by 1e-3): used by `make examples-selfcheck` to show that
                    the checks fail when they should.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-5
READY_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url: str, body: bytes | None = None, content_type: str | None = None) -> tuple[int, bytes]:
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def request_status(url: str) -> int:
    try:
        return request(url)[0]
    except OSError:
        return 0


def start_berth(model: Path, port: int) -> subprocess.Popen:
    binary = Path(os.environ.get("BERTH_BIN", ROOT / "target" / "release" / "berth"))
    if not binary.exists():
        raise SystemExit(f"FAIL: berth binary not found at {binary} (run `make build`)")
    env = {k: v for k, v in os.environ.items() if k not in {"PORT", "SM_MODEL_DIR", "MODEL_FILENAME"}}
    env.update({"RESPONSE_OUTPUTS": "all", "LOG_LEVEL": "warn"})
    command = [str(binary), "serve", str(model), "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_ready(server: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            stderr = server.stderr.read().decode(errors="replace") if server.stderr else ""
            raise SystemExit(f"FAIL: berth exited with {server.returncode}: {stderr.strip()}")
        try:
            if request(base + "/ready")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"FAIL: berth not ready after {READY_TIMEOUT_S} s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def check(name: str, fmt: str, answer: dict, labels: np.ndarray, proba: np.ndarray) -> list[str]:
    """Mismatches between berth's answer and scikit-learn's, as messages."""
    problems = []
    got_labels = answer["predictions"]
    labels_equal = [int(v) for v in got_labels] == [int(v) for v in labels]
    if not labels_equal:
        problems.append(f"{fmt}: labels {got_labels} != scikit-learn {labels.tolist()}")
    rows = answer["outputs"]["output_probability"]
    worst = 0.0
    for i, row in enumerate(rows):
        for j, value in enumerate(proba[i]):
            diff = abs(float(row[str(j)]) - float(value))
            worst = max(worst, diff)
            if diff > TOLERANCE:
                problems.append(f"{fmt}: row {i} class {j}: berth {row[str(j)]} vs scikit-learn {value}")
    print(f"  {name:<22} {fmt:<5} rows={len(rows):<3} labels={'equal' if labels_equal else 'DIFFER'} "
          f"max |p_berth - p_sklearn|={worst:.2e}")
    return problems


def train_and_serve(name: str, model) -> int:
    iris = load_iris()
    x = iris.data.astype(np.float32)
    x_train, x_test, y_train, _ = train_test_split(x, iris.target, test_size=0.2, random_state=42, stratify=iris.target)
    model.fit(x_train, y_train)
    labels = model.predict(x_test)
    proba = model.predict_proba(x_test)

    out = Path(os.environ.get("EXAMPLES_OUT", ROOT / "examples" / "out")) / name
    out.mkdir(parents=True, exist_ok=True)
    path = out / "model.onnx"
    onx = to_onnx(model, initial_types=[("features", FloatTensorType([None, 4]))])
    path.write_bytes(onx.SerializeToString())
    print(f"{name}: trained on {len(x_train)} rows, exported {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
          f"({path.stat().st_size} bytes)")

    sabotage = os.environ.get("EXAMPLE_SABOTAGE", "")
    if sabotage == "probability":
        proba = proba.copy()
        proba[0][0] += 1e-3
    served = path if sabotage != "model-path" else out / "missing.onnx"

    external = os.environ.get("BERTH_URL", "").rstrip("/")
    if external:
        base, server = external, None
    else:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_berth(served, port)
    problems: list[str] = []
    try:
        if server is None:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while request_status(base + "/ready") != 200:
                if time.monotonic() > deadline:
                    raise SystemExit(f"FAIL: {base} not ready after {READY_TIMEOUT_S} s")
                time.sleep(0.1)
        else:
            wait_ready(server, base)
        bodies = {
            "json": (json.dumps({"instances": x_test.tolist()}).encode(), "application/json"),
            "csv": ("\n".join(",".join(repr(float(v)) for v in row) for row in x_test).encode(), "text/csv"),
        }
        for fmt, (body, content_type) in bodies.items():
            status, payload = request(base + "/invocations", body, content_type)
            if status != 200:
                problems.append(f"{fmt}: HTTP {status}: {payload[:200]!r}")
                continue
            problems += check(name, fmt, json.loads(payload), labels, proba)
    finally:
        if server is not None:
            stop(server)
    if problems:
        for problem in problems:
            print(f"  MISMATCH {problem}", file=sys.stderr)
        raise SystemExit(f"FAIL: {name}: {len(problems)} mismatches")
    print(f"PASS: {name}: {len(labels)} rows, labels equal, probabilities within {TOLERANCE}")
    return 0
