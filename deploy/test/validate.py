#!/usr/bin/env python3
"""Render every kustomization of deploy/, validate what comes out, and check it against berth.

    validate.py --berth BIN --fixtures DIR --tools DIR

1. `kubectl kustomize` renders deploy/kserve and both overlays of deploy/kubernetes, offline.
2. Core kinds go through `kubernetes-validate --strict` for Kubernetes KUBERNETES_VERSION; custom
   resources through the openAPIV3Schema of their own CRD (schemas/, see schemas/SOURCE.md). A kind
   neither knows fails. Each validator is first shown a misspelt field, which it must refuse.
3. What ties the pieces together: selectors match the pod labels, Service and ServiceMonitor ports
   exist, the HPA targets the Deployment, the grace period covers preStop + SHUTDOWN_TIMEOUT.
4. Every container of every manifest is started as berth for real, with its own args and env
   (the model directory and port swapped for a temporary one and a free one, after checking the
   port is the one its probes and scrape annotations use), and each probe path and the metrics path
   must answer 200 on the port berth listens on. An argument berth does not accept, or a path it
   does not serve, fails here.
Prints one line per check; exits 1 on the first failure.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
# The Kubernetes release the core kinds are validated for.
KUBERNETES_VERSION = "1.33.0"
KUSTOMIZATIONS = ["deploy/kserve", "deploy/kubernetes/overlays/packaged", "deploy/kubernetes/overlays/volume"]
SCHEMAS = ROOT / "deploy/test/schemas"
CRD_SCHEMAS = {
    ("serving.kserve.io/v1alpha1", "ClusterServingRuntime"): "kserve-v0.20.0/ClusterServingRuntime-v1alpha1.json",
    ("serving.kserve.io/v1beta1", "InferenceService"): "kserve-v0.20.0/InferenceService-v1beta1.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "prometheus-operator-v0.93.0/ServiceMonitor-v1.json",
}
CORE_GROUPS = {"v1", "apps/v1", "policy/v1", "autoscaling/v2"}
# berth's own defaults (crates/berth-serve/src/config.rs, crates/berth/src/serve.rs), which a
# manifest that sets nothing gets.
BERTH_PORT = 8080
BERTH_SHUTDOWN_TIMEOUT = "30s"
# KServe's default grace period for predictor pods (it sets none of its own).
KUBERNETES_DEFAULT_GRACE_SECONDS = 30
# The fixture model every container serves (tests/fixtures/make_fixtures.py).
FIXTURE = "iris_logreg"
# How long berth may take to load a fixture model and turn ready.
READY_WITHIN_SECONDS = 60


def fail(message: str) -> None:
    print(f"FAIL: {message}")
    sys.exit(1)


def ok(message: str) -> None:
    print(f"ok: {message}")


def render(kubectl: Path, directory: str) -> list[dict]:
    done = subprocess.run([str(kubectl), "kustomize", str(ROOT / directory)], capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"kubectl kustomize {directory}: {done.stderr}")
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def kubernetes_validate(tool: Path, docs: list[dict], scratch: Path) -> subprocess.CompletedProcess:
    path = scratch / "core.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return subprocess.run([str(tool), "--strict", "--kubernetes-version", KUBERNETES_VERSION, "--quiet", str(path)],
                          capture_output=True, text=True)


def crd_errors(doc: dict) -> list[str]:
    schema = json.loads((SCHEMAS / CRD_SCHEMAS[(doc["apiVersion"], doc["kind"])]).read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def validate(name: str, docs: list[dict], tool: Path, scratch: Path) -> None:
    core = [d for d in docs if d["apiVersion"] in CORE_GROUPS]
    custom = [d for d in docs if (d["apiVersion"], d["kind"]) in CRD_SCHEMAS]
    unknown = [f"{d['apiVersion']} {d['kind']}" for d in docs if d not in core and d not in custom]
    if unknown:
        fail(f"{name}: no schema validates {unknown}")
    if core:
        done = kubernetes_validate(tool, core, scratch)
        if done.returncode != 0:
            fail(f"{name}: kubernetes-validate --strict {KUBERNETES_VERSION}:\n{done.stdout}{done.stderr}")
    for doc in custom:
        errors = crd_errors(doc)
        if errors:
            fail(f"{name}: {doc['kind']}/{doc['metadata']['name']} against its CRD schema: {errors[:5]}")
    kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs)
    ok(f"{name}: {len(core)} core resources (kubernetes-validate --strict {KUBERNETES_VERSION}) and "
       f"{len(custom)} custom resources (CRD schemas) valid: {', '.join(kinds)}")


def validators_refuse_misspelt_fields(docs: list[dict], tool: Path, scratch: Path) -> None:
    """The validators are not vacuous: one misspelt field each, which each must refuse."""
    deployment = copy.deepcopy(next(d for d in docs if d["kind"] == "Deployment"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    if kubernetes_validate(tool, [deployment], scratch).returncode == 0:
        fail("kubernetes-validate --strict accepted a Deployment with `readinesProbe`")
    monitor = copy.deepcopy(next(d for d in docs if d["kind"] == "ServiceMonitor"))
    monitor["spec"]["endpoints"][0]["intervall"] = monitor["spec"]["endpoints"][0].pop("interval")
    if not crd_errors(monitor):
        fail("the ServiceMonitor schema accepted `intervall`")
    ok("validators refuse a misspelt field (Deployment readinesProbe, ServiceMonitor intervall)")


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def duration_seconds(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for unit in ("ms", "s", "m", "h"):
        if text.endswith(unit) and text[: -len(unit)].replace(".", "", 1).isdigit():
            return float(text[: -len(unit)]) * units[unit]
    fail(f"cannot read the duration {text!r}")


def env_of(container: dict) -> dict:
    return {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}


def check_wiring(name: str, docs: list[dict]) -> None:
    for deployment in by_kind(docs, "Deployment"):
        pod = deployment["spec"]["template"]
        labels = pod["metadata"]["labels"]
        if not matches(deployment["spec"]["selector"]["matchLabels"], labels):
            fail(f"{name}: the Deployment's selector does not match its pods")
        ports = {p["name"] for c in pod["spec"]["containers"] for p in c.get("ports", [])}
        for service in by_kind(docs, "Service"):
            if not matches(service["spec"]["selector"], labels):
                fail(f"{name}: Service {service['metadata']['name']} selects no berth pod")
            for port in service["spec"]["ports"]:
                if port["targetPort"] not in ports:
                    fail(f"{name}: Service targetPort {port['targetPort']} is not a container port {ports}")
        for budget in by_kind(docs, "PodDisruptionBudget"):
            if not matches(budget["spec"]["selector"]["matchLabels"], labels):
                fail(f"{name}: the PodDisruptionBudget selects no berth pod")
        service_ports = {p["name"] for s in by_kind(docs, "Service") for p in s["spec"]["ports"]}
        for monitor in by_kind(docs, "ServiceMonitor"):
            service_labels = by_kind(docs, "Service")[0]["metadata"]["labels"]
            if not matches(monitor["spec"]["selector"]["matchLabels"], service_labels):
                fail(f"{name}: the ServiceMonitor selects no Service")
            for endpoint in monitor["spec"]["endpoints"]:
                if endpoint["port"] not in service_ports:
                    fail(f"{name}: ServiceMonitor port {endpoint['port']} is not a Service port")
        for scaler in by_kind(docs, "HorizontalPodAutoscaler"):
            target = scaler["spec"]["scaleTargetRef"]
            if (target["kind"], target["name"]) != ("Deployment", deployment["metadata"]["name"]):
                fail(f"{name}: the HPA scales {target}, not the Deployment")
        grace = pod["spec"].get("terminationGracePeriodSeconds", KUBERNETES_DEFAULT_GRACE_SECONDS)
        for container in pod["spec"]["containers"]:
            pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
            drain = duration_seconds(env_of(container).get("SHUTDOWN_TIMEOUT", BERTH_SHUTDOWN_TIMEOUT))
            if not pre_stop + drain < grace:
                fail(f"{name}: preStop {pre_stop} s + SHUTDOWN_TIMEOUT {drain} s must be under the grace period {grace} s")
        ok(f"{name}: selectors, ports, HPA target and shutdown timing ({grace} s grace) line up")
    for runtime in by_kind(docs, "ClusterServingRuntime"):
        formats = runtime["spec"]["supportedModelFormats"]
        if not any(f["name"] == "onnx" and f.get("autoSelect") and f.get("priority", 0) > 1 for f in formats):
            fail(f"{name}: the runtime must auto-select onnx above Triton's priority 1")
        for container in runtime["spec"]["containers"]:
            drain = duration_seconds(env_of(container).get("SHUTDOWN_TIMEOUT", BERTH_SHUTDOWN_TIMEOUT))
            if not drain < KUBERNETES_DEFAULT_GRACE_SECONDS:
                fail(f"{name}: SHUTDOWN_TIMEOUT {drain} s is not under KServe's grace period")
        ok(f"{name}: runtime {runtime['metadata']['name']} selects onnx over v2 at priority > 1")
    kserve_containers = [c for r in by_kind(docs, "ClusterServingRuntime") for c in r["spec"]["containers"]]
    kserve_containers += [c for i in by_kind(docs, "InferenceService") for c in i["spec"]["predictor"].get("containers", [])]
    for container in kserve_containers:
        for port in container.get("ports", []):
            if any(word in port.get("name", "").lower() for word in ("h2c", "grpc")):
                fail(f"{name}: port {port['name']} would be routed as gRPC by KServe; berth speaks HTTP/1.1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def port_number(port, container: dict) -> int:
    if isinstance(port, int):
        return port
    named = {p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p}
    if port not in named:
        fail(f"probe port {port!r} is not a named port of the container")
    return named[port]


def served_paths(container: dict, annotations: dict) -> list[tuple[str, int]]:
    """(path, port) of every probe and of the metrics scrape the manifests point at."""
    paths = []
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        if probe in container:
            get_ = container[probe]["httpGet"]
            paths.append((get_["path"], port_number(get_["port"], container)))
    for prefix in ("prometheus.io", "prometheus.kserve.io"):
        if f"{prefix}/port" in annotations:
            paths.append((annotations.get(f"{prefix}/path", "/metrics"), int(annotations[f"{prefix}/port"])))
    return paths


def tritonclient_answers(port: int, name: str, fixtures: Path) -> str:
    """tests/kserve/tritonclient_check.py against the running berth: a real v2 client checks
    liveness, readiness, the repository index, metadata and predictions under `name`."""
    done = subprocess.run([sys.executable, str(ROOT / "tests/kserve/tritonclient_check.py"), "--url",
                           f"127.0.0.1:{port}", "--model", FIXTURE, "--name", name, "--expected",
                           str(fixtures / "expected.json")], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        fail(f"tritonclient against the KServe runtime's berth: {done.stdout}{done.stderr}")
    return f"; tritonclient got onnxruntime's answers from /v2/models/{name}"


def run_container(berth: str, what: str, container: dict, annotations: dict, model_dir: Path,
                  kserve_name: str | None, fixtures: Path) -> None:
    """Start berth as `container` would, then GET every path the manifests point at (and for a
    KServe runtime, talk v2 to it with tritonclient)."""
    ports = [p["containerPort"] for p in container.get("ports", [])]
    if len(ports) != 1:
        fail(f"{what}: expected one container port, found {ports}")
    (port,) = ports
    paths = served_paths(container, annotations)
    if not paths:
        fail(f"{what}: no probe and no scrape path")
    for path, probe_port in paths:
        if probe_port != port:
            fail(f"{what}: {path} is probed on port {probe_port}, berth listens on {port}")
    local = free_port()
    args, port_given = [], False
    for arg in container.get("args", []):
        arg = arg.replace("{{.Name}}", kserve_name or "")
        if arg.startswith("--model_dir="):
            arg = f"--model_dir={model_dir}"
        flag, _, value = arg.partition("=")
        if flag in ("--http_port", "--port"):
            if value != str(port):
                fail(f"{what}: {arg}, but the container port is {port}")
            arg, port_given = f"{flag}={local}", True
        args.append(arg)
    env = dict(os.environ)
    env.update(env_of(container))
    if "PORT" in env_of(container):
        if env["PORT"] != str(port):
            fail(f"{what}: PORT={env['PORT']}, but the container port is {port}")
        env["PORT"], port_given = str(local), True
    if not port_given and port != BERTH_PORT:
        fail(f"{what}: berth listens on {BERTH_PORT} unless told otherwise, the manifest says {port}")
    if not port_given:
        env["PORT"] = str(local)
    env["SM_MODEL_DIR"] = str(model_dir)
    env["HOST"] = "127.0.0.1"
    process = subprocess.Popen([berth, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + READY_WITHIN_SECONDS
        answers = {}
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answers = {path: get(f"http://127.0.0.1:{local}{path}") for path, _ in paths}
                statuses = [status for status, _ in answers.values()]
                # 404 is no passing state: a path berth does not serve.
                if all(status == 200 for status in statuses) or 404 in statuses:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        if process.poll() is not None:
            fail(f"{what}: berth {' '.join(args)} exited {process.returncode}:\n{process.stdout.read()}")
        bad = {path: (status, body[:200]) for path, (status, body) in answers.items() if status != 200}
        if not answers or bad:
            fail(f"{what}: not every path answered 200 (waited at most {READY_WITHIN_SECONDS} s): {bad or 'no answer'}")
        for path, (_, body) in answers.items():
            if path == "/metrics" and b"berth_model_ready 1" not in body:
                fail(f"{what}: {path} does not report berth_model_ready 1")
        client = tritonclient_answers(local, kserve_name, fixtures) if kserve_name else ""
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            fail(f"{what}: berth did not stop on SIGTERM within 30 s")
    if process.returncode != 0:
        fail(f"{what}: berth exited {process.returncode} on SIGTERM")
    ok(f"{what}: berth {' '.join(args)} answered 200 on {', '.join(sorted({p for p, _ in paths}))}{client}")


def containers_of(docs: list[dict]):
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind == "Deployment":
            pod = doc["spec"]["template"]
            for c in pod["spec"]["containers"]:
                yield f"{kind}/{name}", c, pod["metadata"].get("annotations", {}), None
        elif kind == "ClusterServingRuntime":
            for c in doc["spec"]["containers"]:
                yield f"{kind}/{name}", c, doc["spec"].get("annotations", {}), "iris"
        elif kind == "InferenceService":
            for c in doc["spec"]["predictor"].get("containers", []):
                yield f"{kind}/{name}", c, doc["metadata"].get("annotations", {}), None


def compose_lines_up() -> None:
    """deploy/compose: the stop grace period covers SHUTDOWN_TIMEOUT, the published port and
    Prometheus' target are the port berth listens on, and the target names the service."""
    compose = yaml.safe_load((ROOT / "deploy/compose/compose.yaml").read_text())
    berth = compose["services"]["berth"]
    drain = duration_seconds(berth["environment"]["SHUTDOWN_TIMEOUT"])
    grace = duration_seconds(berth["stop_grace_period"])
    if not drain < grace:
        fail(f"compose.yaml: stop_grace_period {grace} s does not cover SHUTDOWN_TIMEOUT {drain} s")
    port = int(berth["environment"].get("PORT", BERTH_PORT))
    if not all(str(p).endswith(f":{port}") for p in berth["ports"]):
        fail(f"compose.yaml: berth publishes {berth['ports']}, it listens on {port}")
    scrape = yaml.safe_load((ROOT / "deploy/compose/prometheus.yml").read_text())
    targets = [t for job in scrape["scrape_configs"] for c in job["static_configs"] for t in c["targets"]]
    if targets != [f"berth:{port}"]:
        fail(f"prometheus.yml scrapes {targets}, berth is berth:{port}")
    ok(f"deploy/compose: {grace:.0f} s to stop covers SHUTDOWN_TIMEOUT {drain:.0f} s; port {port} published and scraped")


def docs_name_what_is_checked() -> None:
    """docs/deploy.md shows only what this test renders: every `kubectl kustomize DIR` is one of
    KUSTOMIZATIONS, and every deploy/ path it names exists."""
    text = (ROOT / "docs/deploy.md").read_text()
    rendered = set(re.findall(r"kubectl kustomize (\S+)", text))
    if not rendered or not rendered <= set(KUSTOMIZATIONS):
        fail(f"docs/deploy.md renders {sorted(rendered)}; the test renders {KUSTOMIZATIONS}")
    missing = [p for p in set(re.findall(r"`(deploy/[^`\s]*)`", text)) if not (ROOT / p).exists()]
    if missing:
        fail(f"docs/deploy.md names paths that do not exist: {missing}")
    ok(f"docs/deploy.md renders only what is checked here: {', '.join(sorted(rendered))}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--berth", required=True)
    parser.add_argument("--fixtures", required=True, type=Path)
    parser.add_argument("--tools", required=True, type=Path)
    args = parser.parse_args()
    kubectl, tool = args.tools / "bin/kubectl", args.tools / "bin/kubernetes-validate"
    version = subprocess.run([str(kubectl), "version", "--client"], capture_output=True, text=True).stdout
    print(" ".join(version.split()))
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        # Laid out as KServe's storage initializer leaves it: the model under its own name,
        # beside files that are not models.
        model_dir = scratch / "models"
        model_dir.mkdir()
        shutil.copy(args.fixtures / f"{FIXTURE}.onnx", model_dir / f"{FIXTURE}.onnx")
        (model_dir / "README.txt").write_text("not a model\n")
        docs_name_what_is_checked()
        compose_lines_up()
        rendered = {name: render(kubectl, name) for name in KUSTOMIZATIONS}
        validators_refuse_misspelt_fields(rendered["deploy/kubernetes/overlays/packaged"], tool, scratch)
        for name, docs in rendered.items():
            validate(name, docs, tool, scratch)
            check_wiring(name, docs)
            for what, container, annotations, kserve_name in containers_of(docs):
                run_container(args.berth, f"{name} {what}", container, annotations, model_dir, kserve_name,
                              args.fixtures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
