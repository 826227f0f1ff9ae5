#!/usr/bin/env python3
"""deploy/compose/compose.yaml, up and down for real, with `docker compose` or `podman-compose`.

    compose_test.py --engine docker|podman --berth BIN --ort-lib LIB --fixtures DIR --tools DIR

Makes a model image the way docs/deploy.md does (`berth package` onto a runner-shaped base from
scripts/images/make-dev-runner.py, `--output docker-archive:`, loaded into the engine), builds the
Prometheus test image from Debian's package (prometheus-image/), then `compose up` on free ports and
checks: both services report healthy, every Iris check row's prediction is onnxruntime's label,
Prometheus reports berth's target up and has scraped `berth_` series (including the predictions
just made), and `compose down` leaves no container, network or volume of the project behind.
Exits 0 when all holds; otherwise prints what did not and exits 1.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "deploy/compose/compose.yaml"
# Every wait of this test is bounded by this.
WAIT_SECONDS = 120


def run(*command: str, env: dict | None = None, check: bool = True) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    if check and done.returncode != 0:
        raise SystemExit(f"FAIL: {' '.join(command)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url: str, body: bytes | None = None, content_type: str = "text/csv") -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for(what: str, check) -> object:
    deadline = time.monotonic() + WAIT_SECONDS
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (OSError, ValueError, KeyError) as error:
            last = error
        time.sleep(1)
    raise SystemExit(f"FAIL: {what} within {WAIT_SECONDS} s (last error: {last})")


class Project:
    """One compose project on this engine, taken down (with its volumes) however the test ends."""

    def __init__(self, engine: str, tools: Path, env: dict):
        self.engine = engine
        self.name = f"berth-test-{os.getpid()}"
        self.env = env
        if engine == "docker":
            # Compose v2 as a Docker CLI plugin, from the deploy tools (Makefile: deploy-tools).
            self.env["DOCKER_CONFIG"] = str(tools / "docker-config")
            self.compose = ["docker", "compose"]
        else:
            self.compose = [str(tools / "bin/podman-compose")]
        self.compose += ["--project-name", self.name, "--file", str(COMPOSE_FILE)]

    def __call__(self, *args: str, check: bool = True) -> str:
        return run(*self.compose, *args, env=self.env, check=check)

    def containers(self, *service: str) -> list[str]:
        # Both tools label what they start with the Compose project and service.
        filters = ["--filter", f"label=com.docker.compose.project={self.name}"]
        filters += [f for s in service for f in ("--filter", f"label=com.docker.compose.service={s}")]
        return run(self.engine, "ps", "--all", "--quiet", *filters, env=self.env).split()

    def leftovers(self) -> list[str]:
        left = [f"container {c}" for c in self.containers()]
        volumes = run(self.engine, "volume", "ls", "--quiet", env=self.env).split()
        left += [f"volume {v}" for v in volumes if v.startswith(self.name)]
        networks = run(self.engine, "network", "ls", "--format", "{{.Name}}", env=self.env).split()
        left += [f"network {n}" for n in networks if n.startswith(self.name)]
        return left

    def health(self, service: str) -> str:
        ids = self.containers(service)
        if not ids:
            return "absent"
        if self.engine == "podman":
            # podman schedules health checks with systemd timers, and this machine has no
            # systemd: run the service's own check once, as the timer would.
            done = subprocess.run([self.engine, "healthcheck", "run", ids[0]], env=self.env,
                                  capture_output=True, text=True, timeout=60)
            return "healthy" if done.returncode == 0 else f"unhealthy: {done.stdout}{done.stderr}"
        return run(self.engine, "inspect", "--format", "{{.State.Health.Status}}", ids[0], env=self.env).strip()


def podman_settings(home: Path) -> dict:
    """podman with a store of its own (vfs: nothing mounted to leave behind) and this machine's
    settings (scripts/images/env.sh says why each); a bridge network, unlike the image tests,
    since Compose services find each other by name."""
    home.mkdir(parents=True)
    (home / "storage.conf").write_text(
        f'[storage]\ndriver = "vfs"\nrunroot = "{home}/run"\ngraphroot = "{home}/storage"\n')
    (home / "containers.conf").write_text(
        '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n'
        'cgroup_manager = "cgroupfs"\nevents_logger = "file"\n')
    return {"CONTAINERS_STORAGE_CONF": str(home / "storage.conf"),
            "CONTAINERS_CONF": str(home / "containers.conf"), "BUILDAH_ISOLATION": "chroot"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["docker", "podman"], required=True)
    parser.add_argument("--berth", required=True)
    parser.add_argument("--ort-lib", required=True)
    parser.add_argument("--fixtures", required=True, type=Path)
    parser.add_argument("--tools", required=True, type=Path)
    args = parser.parse_args()
    engine = args.engine
    expected = json.loads((args.fixtures / "expected.json").read_text())["models"]["iris_logreg"]
    tag = f"{os.getpid()}"
    model_image = f"localhost/berth-compose-test/iris:{tag}"
    prometheus_image = f"localhost/berth-compose-test/prometheus:{tag}"
    berth_port, prometheus_port = free_port(), free_port()
    env = dict(os.environ, BERTH_IMAGE=model_image, PROMETHEUS_IMAGE=prometheus_image,
               BERTH_PORT=str(berth_port), PROMETHEUS_PORT=str(prometheus_port))

    with tempfile.TemporaryDirectory(dir="/var/tmp") as scratch:
        scratch = Path(scratch)
        if engine == "podman":
            env.update(podman_settings(scratch / "podman"))
        project = Project(engine, args.tools, env)
        run(sys.executable, str(ROOT / "scripts/images/make-dev-runner.py"), "--berth", args.berth,
            "--ort-lib", args.ort_lib, "--out", str(scratch / "runner"), "--format", "docker")
        archive = scratch / "iris.tar"
        run(args.berth, "package", str(args.fixtures / "iris_logreg.onnx"), "--model-name", "iris",
            "--base", f"oci:{scratch / 'runner'}:latest", "-t", model_image,
            "--output", f"docker-archive:{archive}")
        run(engine, "load", "--input", str(archive), env=env)
        print(run(str(ROOT / "deploy/test/prometheus-image/make-image.sh"), prometheus_image,
                  env=dict(env, ENGINE=engine)).strip())
        config = ROOT / "deploy/compose/prometheus.yml"
        checked = run(engine, "run", "--rm", "--entrypoint", "promtool", "--volume",
                      f"{config}:/etc/prometheus/prometheus.yml:ro", prometheus_image,
                      "check", "config", "/etc/prometheus/prometheus.yml", env=env)
        print(f"promtool: {checked.strip().splitlines()[-1].strip()}")
        try:
            project("up", "--detach")
            print(f"{engine}: compose up, berth on :{berth_port}, prometheus on :{prometheus_port}")
            wait_for("berth healthy", lambda: project.health("berth") == "healthy")
            wait_for("prometheus healthy", lambda: project.health("prometheus") == "healthy")

            rows = expected["check_inputs"]["features"]
            csv = "\n".join(",".join(repr(v) for v in row) for row in rows).encode()
            status, body = http(f"http://127.0.0.1:{berth_port}/invocations", csv)
            answer = json.loads(body)
            if status != 200 or answer.get("predictions") != expected["expected"]["output_label"]:
                raise SystemExit(f"FAIL: /invocations {status} {answer} vs {expected['expected']['output_label']}")
            print(f"predictions: {len(rows)} rows, onnxruntime's labels")

            api = f"http://127.0.0.1:{prometheus_port}/api/v1"

            def target_up():
                _, body = http(f"{api}/targets")
                targets = json.loads(body)["data"]["activeTargets"]
                return [t for t in targets if t["labels"]["job"] == "berth" and t["health"] == "up"]

            wait_for("Prometheus reports berth's target up", target_up)

            def scraped_predictions():
                query = urllib.parse.quote("sum(berth_rows_predicted_total)")
                _, body = http(f"{api}/query?query={query}")
                result = json.loads(body)["data"]["result"]
                return result and float(result[0]["value"][1]) >= len(rows)

            wait_for("Prometheus has scraped the predictions (berth_rows_predicted_total)", scraped_predictions)
            _, body = http(f"{api}/label/__name__/values")
            series = [n for n in json.loads(body)["data"] if n.startswith("berth_")]
            print(f"prometheus: target berth up, {len(series)} berth_ series scraped")
        finally:
            project("down", "--volumes", "--timeout", "30", check=False)
            left = project.leftovers()
            run(engine, "rmi", "--force", model_image, prometheus_image, env=env, check=False)
        if left:
            raise SystemExit(f"FAIL: compose down left {', '.join(left)}")
        print(f"{engine}: compose down left nothing of {project.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
