#!/usr/bin/env python3
"""`berth package` against buildah and the Docker Engine: seconds from a model file to a pushed
image, in one run on this machine.

  bench/package.py [--quick] [--runs N] [--berth FILE] [--out-json FILE] [--out-md FILE]
                   [--out-svg FILE] [--render JSON]

Run it with the project's venv (`make bench-package` does: it builds target/release/berth first);
it needs the `onnx` and `onnxruntime` packages to make the models, and skopeo, buildah, the Docker
Engine, Debian's docker-registry, GNU time and setpriv (scripts/images/install-tools.sh).

What it sets up, all under one temporary directory and all on 127.0.0.1:
  models    a 1 MB and a 200 MB ONNX model, y = x @ W with W a float32 initializer of random
            normal values from a fixed seed, stored inline; each is run once in onnxruntime
  base      the runner-like base of scripts/images/make-dev-runner.py (docker format, one
            platform: this build of berth, the ONNX Runtime library and the host's C libraries)
  registry  docker-registry on a free port, with the base pushed as base/runner:latest (skopeo)
  buildah   a private store (overlay) and containers.conf, as scripts/images/env.sh sets up;
            the base pulled into it from the registry
  docker    the base pulled into the engine from the registry, so that the engine, like buildah
            and berth, knows the base layer is already in that registry and mounts it

After one round on the 1 MB model that is not counted (everything warm), per model size, N
rounds (default 5; the order of the tools turns from round to round), each tool pushing to a
repository of its own that nothing was ever pushed to:
  berth        berth package MODEL -t REG/bench/berth-SIZE-I:1 --base REG/base/runner:latest
               (the default: the layer uncompressed, gzip of stored blocks on this docker-format base)
  berth-gzip   the same with --compression gzip
  buildah      buildah bud --pull=never --isolation chroot of the two-line Dockerfile
               (FROM the base, COPY model.onnx /opt/ml/model/model.onnx), then buildah push
  docker       docker build --no-cache of the same Dockerfile, then docker push
The time of each is wall time from the first command's start to the end of the push; the peak
memory is GNU time's %M (the largest process: for buildah and docker that is the client, and the
Docker Engine's work happens in its daemon, which is not counted). Every pushed digest is kept,
and the registry's access log says what each push uploaded and what it mounted. Each round also
runs berth with --output oci:DIR (the base read from its layout), which stops before the push:
with the line berth prints after its model check, that splits berth's time into check, layer
and push.

Then berth once more per size as the user nobody (setpriv: no root, no capabilities, no
supplementary groups, no new privileges), from copies of the binary and the ONNX Runtime library
in a world-readable directory and with a home of its own; and, for the largest model, the pull
side of the compression choice: `docker pull` (the model layer only: the base is in the engine)
and `skopeo copy ... dir:` (which stores blobs as they are) of berth's uncompressed and gzip
images, N times each.

Writes bench/results/package.json (every timing, size, digest and tool version),
docs/package-benchmark.md (tables and ratios; bench/package-notes.md is appended to it) and
docs/package-benchmark.svg (the chart). --quick (one round, the 1 MB model only) is a smoke test
of the harness and writes under bench/out/ instead.

Every image, container, store, registry and directory it makes is removed on the way out, on
success, failure or interruption; every command has a time limit and so has the whole run.
"""
from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# The serving benchmark beside this file: one description of the machine for both, one chart
# helper.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as run_bench  # noqa: E402
from charts import nice_step  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261129
# W's shape per model (rows x columns of float32): 1,000,000 and 200,000,000 bytes of weights.
SIZES = {"1mb": (500, 500), "200mb": (5000, 10000)}
SIZE_LABELS = {"1mb": "1 MB", "200mb": "200 MB"}
TOOLS = ["berth", "berth-gzip", "buildah", "docker"]
TOOL_LABELS = {"berth": "berth package", "berth-gzip": "berth package --compression gzip",
               "buildah": "buildah bud + push", "docker": "docker build + push"}
COLOURS = {"berth": "#1b6e8f", "berth-gzip": "#6fb3cf", "buildah": "#c2571a", "docker": "#7a7a7a"}
STEP_TIMEOUT = 300.0  # seconds, for any one command
RUN_TIMEOUT = 20 * 60.0  # seconds, for the whole run
NOBODY = 65534
MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
])


class Interrupted(Exception):
    """SIGTERM or SIGHUP: leave through the clean-up like Ctrl-C does."""


def on_signal(signum, _frame):
    raise Interrupted(f"signal {signum}")


def kill_group(process: subprocess.Popen) -> None:
    """Stops the process group `process` leads when `process` was not reaped yet (its id, and so
    its group's, cannot have been reused), then reaps it."""
    if process.returncode is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()


def median(values: list[float]) -> float:
    return statistics.median(values)


@dataclass
class Timed:
    seconds: float
    stdout: str
    stderr: str
    rss_kb: int | None
    # Seconds from the start to the first stderr line starting with the marker, if asked for.
    mark_s: float | None = None


@dataclass
class Bench:
    """The run's state: what it started and made, so that the clean-up can undo it."""

    quick: bool
    runs: int
    berth: Path
    ort_lib: Path
    deadline: float
    tmp: Path = field(init=False)
    registry: subprocess.Popen | None = None
    host: str = ""
    docker_base: str = ""
    docker_images: list[str] = field(default_factory=list)
    log_offset: int = 0
    buildah_env: dict = field(default_factory=dict)
    buildah_ready: bool = False

    # -- commands ----------------------------------------------------------------------------

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise SystemExit(f"package benchmark: over its {RUN_TIMEOUT:.0f} s limit, stopping")
        return min(STEP_TIMEOUT, left)

    def run(self, command: list, *, env: dict | None = None, cwd: Path | None = None,
            check: bool = True) -> subprocess.CompletedProcess:
        command = [str(c) for c in command]
        # A process group of its own: a time-out or an interruption stops the command and
        # whatever it started (GNU time's child, strace's tracee), not just the first process.
        process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=self.remaining())
        except subprocess.TimeoutExpired:
            kill_group(process)
            stdout, stderr = process.communicate()
            raise SystemExit(f"{' '.join(command)} timed out:\n{stdout}{stderr}") from None
        finally:
            kill_group(process)
        done = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
        if check and done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n"
                             f"{done.stdout}{done.stderr}")
        return done

    def timed(self, command: list, *, env: dict | None = None, cwd: Path | None = None,
              memory: bool = False, mark: str | None = None) -> Timed:
        """Runs `command`, timing it from spawn to exit; with `memory`, under GNU time."""
        command = [str(c) for c in command]
        rss_file = None
        if memory:
            rss_file = Path(tempfile.mkstemp(dir=self.tmp, prefix="rss.")[1])
            command = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), *command]
        limit = self.remaining()
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
        watchdog = threading.Timer(limit, kill_group, (process,))
        watchdog.start()
        stdout_parts: list[str] = []
        reader = threading.Thread(target=lambda: stdout_parts.append(process.stdout.read()))
        reader.start()
        mark_s = None
        stderr_lines = []
        try:
            for line in process.stderr:
                if mark and mark_s is None and line.startswith(mark):
                    mark_s = time.monotonic() - started
                stderr_lines.append(line)
            process.wait()
            seconds = time.monotonic() - started
        finally:
            watchdog.cancel()
            kill_group(process)
            reader.join()
        stdout, stderr = "".join(stdout_parts), "".join(stderr_lines)
        if process.returncode != 0:
            reason = "timed out" if seconds >= limit else f"exit {process.returncode}"
            raise SystemExit(f"{' '.join(command)} failed ({reason}):\n{stdout}{stderr}")
        rss = None
        if rss_file is not None:
            text = rss_file.read_text().strip().splitlines()
            rss_file.unlink()
            rss = int(text[-1]) if text and text[-1].isdigit() else None
        return Timed(seconds, stdout, stderr, rss, mark_s)

    def buildah(self, *args, check: bool = True) -> subprocess.CompletedProcess:
        return self.run(["buildah", *args], env=self.buildah_env, check=check)

    # -- set-up ------------------------------------------------------------------------------

    def make_tmp(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="berth-bench-package.", dir="/var/tmp"))
        # The user nobody reads the models and the copied binary from here.
        self.tmp.chmod(0o755)

    def make_models(self, sizes: list[str], python: str) -> dict:
        script = (
            "import sys, numpy as np, onnx, onnxruntime as ort\n"
            "from onnx import helper, numpy_helper, TensorProto\n"
            "rows, cols, seed, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]\n"
            "w = np.random.default_rng(seed).standard_normal((rows, cols), dtype=np.float32)\n"
            "graph = helper.make_graph([helper.make_node('MatMul', ['x', 'W'], ['y'])], 'bench',\n"
            "    [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', rows])],\n"
            "    [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['batch', cols])],\n"
            "    [numpy_helper.from_array(w, 'W')])\n"
            "model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)],\n"
            "                          producer_name='berth-bench')\n"
            "model.ir_version = 8\n"
            "onnx.save(model, out)\n"
            "del model, graph\n"
            "session = ort.InferenceSession(out, providers=['CPUExecutionProvider'])\n"
            "y = session.run(None, {'x': np.ones((1, rows), np.float32)})[0]\n"
            "assert y.shape == (1, cols) and np.allclose(y[0], w.sum(axis=0), rtol=1e-3, atol=1e-2)\n"
        )
        models = {}
        for size in sizes:
            rows, cols = SIZES[size]
            context = self.tmp / "models" / size
            context.mkdir(parents=True)
            context.chmod(0o755)
            (self.tmp / "models").chmod(0o755)
            model = context / "model.onnx"
            self.run([python, "-c", script, rows, cols, SEED, model])
            model.chmod(0o644)
            (context / "Dockerfile").write_text(
                f"FROM {self.host}/base/runner:latest\nCOPY model.onnx /opt/ml/model/model.onnx\n")
            models[size] = {"path": model, "context": context, "bytes": model.stat().st_size,
                            "weights": f"{rows}x{cols} float32"}
        return models

    def start_registry(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.host = f"127.0.0.1:{port}"
        directory = self.tmp / "registry"
        directory.mkdir()
        config = directory / "config.yml"
        config.write_text(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n"
            f"  filesystem:\n    rootdirectory: {directory / 'storage'}\n  delete:\n"
            f"    enabled: true\nhttp:\n  addr: {self.host}\n")
        log = open(directory / "registry.log", "wb")
        self.registry = subprocess.Popen(["docker-registry", "serve", str(config)],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        started = time.monotonic()
        while time.monotonic() - started < 10:
            if self.registry.poll() is not None:
                raise SystemExit("docker-registry exited: "
                                 + (directory / "registry.log").read_text())
            try:
                with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"docker-registry did not answer on {self.host} within 10 s")

    def make_base(self) -> dict:
        out = self.tmp / "base"
        digest = self.run([sys.executable, ROOT / "scripts/images/make-dev-runner.py",
                           "--berth", self.berth, "--ort-lib", self.ort_lib, "--out", out,
                           "--format", "docker"]).stdout.strip()
        manifest = json.loads((out / "blobs/sha256" / digest.removeprefix("sha256:")).read_bytes())
        layer = manifest["layers"][0]
        blob = out / "blobs/sha256" / layer["digest"].removeprefix("sha256:")
        uncompressed = 0
        with gzip.open(blob, "rb") as f:
            while chunk := f.read(1 << 20):
                uncompressed += len(chunk)
        # skopeo 1.9 reads a docker-format image from a layout only without a name.
        self.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci:{out}",
                  f"docker://{self.host}/base/runner:latest"])
        return {"digest": digest, "layer_digest": layer["digest"], "layer_bytes": layer["size"],
                "uncompressed_bytes": uncompressed, "reference": f"{self.host}/base/runner:latest"}

    def setup_buildah(self) -> None:
        home = self.tmp / "buildah"
        (home / "conf").mkdir(parents=True)
        (home / "conf/storage.conf").write_text(
            f'[storage]\ndriver = "overlay"\nrunroot = "{home}/run"\ngraphroot = "{home}/storage"\n'
            '[storage.options.overlay]\nmountopt = "nodev"\n')
        (home / "conf/containers.conf").write_text(
            '[containers]\ndefault_ulimits = []\nnetns = "host"\n[engine]\nruntime = "runc"\n'
            'cgroup_manager = "cgroupfs"\nevents_logger = "file"\n')
        self.buildah_env = {**os.environ, "CONTAINERS_STORAGE_CONF": str(home / "conf/storage.conf"),
                            "CONTAINERS_CONF": str(home / "conf/containers.conf"),
                            "BUILDAH_ISOLATION": "chroot"}
        self.buildah_ready = True
        self.buildah("pull", "--quiet", "--tls-verify=false",
                     f"docker://{self.host}/base/runner:latest")

    def setup_docker(self) -> None:
        self.docker_base = f"{self.host}/base/runner:latest"
        self.run(["docker", "pull", "-q", self.docker_base])

    # -- the tools ---------------------------------------------------------------------------

    def berth_env(self) -> dict:
        """The machine's credentials and SOURCE_DATE_EPOCH kept out, as the tests do."""
        auth = self.tmp / "auth"
        auth.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items()
               if k not in ("SOURCE_DATE_EPOCH", "BERTH_BASE_IMAGE")}
        env.update({"DOCKER_CONFIG": str(auth), "REGISTRY_AUTH_FILE": str(auth / "auth.json"),
                    "XDG_RUNTIME_DIR": str(auth), "XDG_CONFIG_HOME": str(auth),
                    "ORT_DYLIB_PATH": str(self.ort_lib)})
        return env

    def run_berth(self, size: str, model: Path, round_: int, compression: str) -> dict:
        tool = "berth" if compression == "none" else "berth-gzip"
        reference = f"{self.host}/bench/{tool}-{size}-{round_}:1"
        # "none" is berth's default: no flag (auto: the layer uncompressed, as gzip of stored
        # blocks in this docker-format image, which names only gzip layers).
        flags = [] if compression == "none" else ["--compression", compression]
        result = self.timed([self.berth, "package", model, "-t", reference,
                             "--base", f"{self.host}/base/runner:latest", *flags],
                            env=self.berth_env(), memory=True, mark="model: ")
        digest = result.stdout.strip().rsplit("@", 1)[-1]
        return {"reference": reference, "seconds": result.seconds, "rss_kb": result.rss_kb,
                "digest": digest,
                "phases": {"check": result.mark_s,
                           "layer_and_push": result.seconds - (result.mark_s or 0)}}

    def run_berth_layout(self, size: str, model: Path) -> dict:
        """berth package to an OCI layout: the check and the layer without the push, to split
        berth's time to pushed into its three steps. The base is read from its layout on disk,
        so that copying its layer into the output costs little."""
        layout = self.tmp / f"layout-{size}"
        result = self.timed([self.berth, "package", model, "-t", f"bench/layout-{size}:1",
                             "--base", f"oci:{self.tmp / 'base'}:latest", "--output",
                             f"oci:{layout}"], env=self.berth_env(), mark="model: ")
        shutil.rmtree(layout)
        return {"seconds": result.seconds, "check": result.mark_s}

    def run_buildah(self, size: str, context: Path, round_: int) -> dict:
        reference = f"{self.host}/bench/buildah-{size}-{round_}:1"
        digest_file = self.tmp / f"buildah-{size}-{round_}.digest"
        try:
            bud = self.timed(["buildah", "bud", "--pull=never", "--isolation", "chroot",
                              "-t", reference, context], env=self.buildah_env, cwd=context,
                             memory=True)
            push = self.timed(["buildah", "push", "--tls-verify=false", "--digestfile",
                               digest_file, reference, f"docker://{reference}"],
                              env=self.buildah_env, memory=True)
        finally:
            self.buildah("rmi", "-f", reference, check=False)
        return {"reference": reference, "seconds": bud.seconds + push.seconds,
                "rss_kb": max(bud.rss_kb or 0, push.rss_kb or 0) or None,
                "digest": digest_file.read_text().strip(),
                "phases": {"bud": bud.seconds, "push": push.seconds},
                "rss_kb_phases": {"bud": bud.rss_kb, "push": push.rss_kb}}

    def run_docker(self, size: str, context: Path, round_: int) -> dict:
        reference = f"{self.host}/bench/docker-{size}-{round_}:1"
        id_file = self.tmp / f"docker-{size}-{round_}.id"
        self.docker_images.append(reference)
        try:
            build = self.timed(["docker", "build", "--no-cache", "--iidfile", id_file,
                                "-t", reference, context])
            push = self.timed(["docker", "push", reference])
        finally:
            if id_file.exists():
                self.docker_images.append(id_file.read_text().strip())
            self.remove_docker_images()
        digest = re.search(r"digest: (sha256:[0-9a-f]{64})", push.stdout)
        return {"reference": reference, "seconds": build.seconds + push.seconds, "rss_kb": None,
                "digest": digest[1] if digest else None,
                "phases": {"build": build.seconds, "push": push.seconds}}

    def remove_docker_images(self) -> None:
        """Every image this run made or pulled into the engine, except the base."""
        for image in self.docker_images:
            subprocess.run(["docker", "rmi", "-f", image], capture_output=True, timeout=60)
        self.docker_images = []

    def registry_activity(self, repository: str) -> dict:
        """What the registry's access log says happened to `repository` since the last call:
        blobs uploaded (an upload session completed) and blobs mounted from another repository."""
        log = self.tmp / "registry" / "registry.log"
        with open(log, "rb") as f:
            f.seek(self.log_offset)
            text = f.read().decode(errors="replace")
            self.log_offset = f.tell()
        uploaded = mounted = 0
        for method, name, rest, status in re.findall(
                r'"(POST|PUT) /v2/(\S+?)/blobs/uploads/(\S*) HTTP/1\.1" (\d{3})', text):
            if name != repository or status != "201":
                continue
            if method == "PUT":
                uploaded += 1
            elif "mount=" in rest:
                mounted += 1
        return {"uploaded": uploaded, "mounted": mounted}

    def manifest(self, reference: str) -> dict:
        """The pushed manifest, from the registry's HTTP API."""
        name, tag = reference.removeprefix(self.host + "/").rsplit(":", 1)
        request = urllib.request.Request(f"http://{self.host}/v2/{name}/manifests/{tag}",
                                         headers={"Accept": MANIFEST_TYPES})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    # -- as nobody ---------------------------------------------------------------------------

    def as_nobody(self, sizes: list[str], models: dict, digests: dict) -> list[dict]:
        home = self.tmp / "nobody"
        (home / "bin").mkdir(parents=True)
        (home / "lib").mkdir()
        (home / "home").mkdir()
        for directory in (home, home / "bin", home / "lib"):
            directory.chmod(0o755)
        os.chown(home / "home", NOBODY, NOBODY)
        berth = home / "bin" / "berth"
        shutil.copy(self.berth, berth)
        berth.chmod(0o755)
        library = home / "lib" / self.ort_lib.name
        shutil.copy(self.ort_lib, library)
        library.chmod(0o644)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home / "home"),
               "DOCKER_CONFIG": str(home / "home" / ".docker"), "TMPDIR": str(home / "home"),
               "ORT_DYLIB_PATH": str(library)}
        drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                "--no-new-privs", "--", "env", "-i", *[f"{k}={v}" for k, v in env.items()]]
        status = self.run([*drop, "sh", "-c", "id -u; grep -E '^Cap(Eff|Prm)' /proc/self/status"])
        identity = " ".join(status.stdout.split())
        results = []
        for size in sizes:
            reference = f"{self.host}/bench/nobody-{size}:1"
            result = self.timed([*drop, berth, "package", models[size]["path"], "-t", reference,
                                 "--base", f"{self.host}/base/runner:latest"], memory=True)
            digest = result.stdout.strip().rsplit("@", 1)[-1]
            results.append({"size": size, "reference": reference, "seconds": result.seconds,
                            "rss_kb": result.rss_kb, "digest": digest, "identity": identity,
                            "same_digest_as_root": digest == digests.get(size)})
        if shutil.which("strace"):
            # The same run once more, traced: which isolation system calls it makes (none).
            size = sizes[0]
            trace = self.tmp / "nobody.strace"
            self.run(["strace", "-f", "-qq", "-o", trace,
                      "-e", "trace=unshare,setns,mount,umount2,chroot,pivot_root,clone3,clone",
                      *drop, berth, "package", models[size]["path"], "-t",
                      f"{self.host}/bench/nobody-traced-{size}:1",
                      "--base", f"{self.host}/base/runner:latest"])
            lines = trace.read_text().splitlines()
            # setpriv and env exec into berth in the same process: every line is theirs or
            # berth's. A call that asks for a namespace, a mount or a new root is counted.
            isolation = sum(1 for line in lines
                            if re.search(r"\b(unshare|setns|mount|umount2|chroot|pivot_root)\(", line)
                            or re.search(r"CLONE_NEW(USER|NS|PID|NET|UTS|IPC|CGROUP)", line))
            threads = sum(1 for line in lines if "CLONE_THREAD" in line)
            results.append({"size": size, "strace": {"calls_traced": len(lines),
                                                     "new_threads": threads,
                                                     "namespace_or_mount_calls": isolation}})
        return results

    # -- pulls -------------------------------------------------------------------------------

    def pulls(self, images: dict) -> list[dict]:
        """docker pull and skopeo copy to dir: of each image, N times, turn about."""
        results = []
        for round_ in range(self.runs):
            for compression, reference in images.items():
                # Not in the engine before the pull, and gone after it.
                self.docker_images.append(reference)
                self.remove_docker_images()
                self.docker_images.append(reference)
                pull = self.timed(["docker", "pull", "-q", reference])
                self.remove_docker_images()
                target = self.tmp / f"pulled-{compression}-{round_}"
                copy = self.timed(["skopeo", "copy", "--quiet", "--src-tls-verify=false",
                                   f"docker://{reference}", f"dir:{target}"])
                shutil.rmtree(target, ignore_errors=True)
                results.append({"compression": compression, "round": round_,
                                "docker_pull": pull.seconds, "skopeo_dir": copy.seconds})
        return results

    # -- clean-up ----------------------------------------------------------------------------

    def clean(self) -> list[str]:
        # A second Ctrl-C or SIGTERM does not cut the clean-up short.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        problems = []
        try:
            if self.docker_base:
                self.docker_images.append(self.docker_base)
            if self.host:
                # Also what a build cut short may have tagged after its client was stopped.
                listed = subprocess.run(["docker", "images", "--format", "{{.ID}}", "--filter",
                                         f"reference={self.host}/*/*"],
                                        capture_output=True, text=True, timeout=60)
                self.docker_images += listed.stdout.split()
            self.remove_docker_images()
        except Exception as error:  # noqa: BLE001 - the rest must still be cleaned
            problems.append(f"docker images: {error}")
        if self.buildah_ready:
            for args in (("rm", "-a"), ("rmi", "-a", "-f")):
                try:
                    subprocess.run(["buildah", *args], env=self.buildah_env, capture_output=True,
                                   timeout=120)
                except Exception as error:  # noqa: BLE001
                    problems.append(f"buildah {' '.join(args)}: {error}")
        if self.registry is not None:
            self.registry.terminate()
            try:
                self.registry.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.registry.kill()
                self.registry.wait()
        if getattr(self, "tmp", None) and self.tmp.exists():
            # Anything the store left mounted under the directory goes before the directory.
            prefix = str(self.tmp) + "/"
            mounts = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()
                      if line.split()[4].startswith(prefix)]
            for mount in sorted(mounts, key=len, reverse=True):
                subprocess.run(["umount", "-l", mount], capture_output=True, timeout=30)
            shutil.rmtree(self.tmp, ignore_errors=True)
            if self.tmp.exists():
                problems.append(f"{self.tmp} is still there")
        return problems


# -- machine and versions ------------------------------------------------------------------------


def first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unavailable"


def machine() -> dict:
    """The machine, as the serving benchmark (bench/run.py) describes it, and its core count."""
    info = run_bench.machine()
    info["nproc"] = info["cores"]
    return info


def versions(berth: Path) -> dict:
    return {
        "berth": first_line([str(berth), "--version"]).removeprefix("berth "),
        "buildah": first_line(["buildah", "--version"]).removeprefix("buildah version "),
        "docker": first_line(["docker", "version", "--format",
                              "client {{.Client.Version}}, engine {{.Server.Version}}"]),
        "docker_storage_driver": first_line(["docker", "info", "--format", "{{.Driver}}"]),
        "docker_builder": ("BuildKit (buildx)" if subprocess.run(
            ["docker", "buildx", "version"], capture_output=True).returncode == 0
            else "legacy builder, no buildx component installed"),
        "skopeo": first_line(["skopeo", "--version"]).removeprefix("skopeo version "),
        "docker_registry": first_line(["docker-registry", "--version"]).removeprefix("docker-registry "),
        "python": platform.python_version(),
    }


def find_ort_library() -> Path:
    explicit = os.environ.get("ORT_DYLIB_PATH")
    if explicit:
        path = Path(explicit).resolve()
    else:
        cache = os.environ.get("BERTH_CACHE_DIR") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "berth")
        found = sorted(glob.glob(os.path.join(cache, "onnxruntime", "*", "libonnxruntime.so.*.*")))
        if not found:
            raise SystemExit("no ONNX Runtime library in berth's cache: run `make onnxruntime`")
        path = Path(found[-1]).resolve()
    if not path.is_file():
        raise SystemExit(f"ONNX Runtime library {path}: no such file")
    return path


# -- summary, report and chart -------------------------------------------------------------------


def summarise(runs: list[dict], sizes: list[str]) -> dict:
    summary = {}
    for size in sizes:
        per_tool = {}
        for tool in TOOLS:
            mine = [r for r in runs if r["size"] == size and r["tool"] == tool]
            if not mine:
                continue
            seconds = [r["seconds"] for r in mine]
            rss = [r["rss_kb"] for r in mine if r["rss_kb"]]
            phases = {name: median([r["phases"][name] for r in mine if r["phases"][name] is not None])
                      for name in mine[0]["phases"]}
            per_tool[tool] = {
                "runs": len(mine), "median_s": median(seconds), "min_s": min(seconds),
                "max_s": max(seconds), "phases_median_s": phases,
                "peak_rss_mb": max(rss) / 1024 if rss else None,
                "digests": sorted({r["digest"] for r in mine}),
                "one_digest": len({r["digest"] for r in mine}) == 1,
                "model_layer_bytes": mine[0].get("model_layer_bytes"),
                "model_layer_media_type": mine[0].get("model_layer_media_type"),
                "blobs_uploaded": sorted({r["registry"]["uploaded"] for r in mine}),
                "blobs_mounted": sorted({r["registry"]["mounted"] for r in mine}),
                "base_layer_reused": all(r["base_layer_reused"] for r in mine),
            }
        berth = per_tool["berth"]["median_s"]
        for tool in ("buildah", "docker"):
            if tool in per_tool:
                per_tool[tool]["over_berth"] = per_tool[tool]["median_s"] / berth
        summary[size] = per_tool
    return summary


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"


def spread(values: list[int]) -> str:
    """One value, or the range the rounds gave."""
    return str(values[0]) if len(values) == 1 else f"{min(values)}-{max(values)}"


def mb(value: float) -> str:
    return f"{value / 1e6:.1f}"


def report(info: dict, document: dict) -> str:
    summary, sizes = document["summary"], document["settings"]["sizes"]
    base = document["base"]
    lines = [
        "# `berth package` against buildah and docker",
        "",
        "Made by `make bench-package` (bench/package.py); the figures below are the last run's, in",
        "`bench/results/package.json` too, with every run's time, digest and layer sizes. One run, "
        "one machine,",
        "the tools in turn: only the ratios between the tools carry over to another machine.",
        "",
        f"Machine: {info['cpu']}, {info['nproc']} cores, {info['memory_gib']} GiB, Linux "
        f"{info['kernel']}; load average {' '.join(info['loadavg_at_start'])} at the start and "
        f"{' '.join(info['loadavg_at_end'])} at the end; {info['date']}.",
        "",
        "Tools:",
        "",
        *[f"- {name.replace('_', ' ')}: {value}" for name, value in document["versions"].items()],
        "",
        "## How to run it",
        "",
        "`make bench-package` builds `target/release/berth` and runs `bench/package.py` with the "
        "project's venv",
        "(five rounds, both models, a few minutes). `bench/package.py --quick` is one round of the "
        "1 MB model,",
        "a smoke test of the harness that writes to `bench/out/`. It needs skopeo, buildah, the "
        "Docker Engine,",
        "`docker-registry`, GNU time and setpriv (`scripts/images/install-tools.sh`), and talks to "
        "127.0.0.1 only.",
        "",
        "## What is measured",
        "",
        f"Models: `y = x @ W` with W a float32 initializer stored inline (random normal, fixed "
        f"seed), "
        + ", ".join(f"{SIZE_LABELS[s]} (W {document['models'][s]['weights']}, "
                    f"{document['models'][s]['bytes']:,} bytes)" for s in sizes)
        + f"; each runs in onnxruntime before the run starts. One base for all tools: the runner-like image of "
        f"`scripts/images/make-dev-runner.py` (this build of berth, the ONNX Runtime library and "
        f"the host's C libraries in one layer of {mb(base['layer_bytes'])} MB gzip, "
        f"{mb(base['uncompressed_bytes'])} MB unpacked), pushed to a `docker-registry` on "
        f"127.0.0.1 as `base/runner:latest` and pulled from there into buildah's store and the "
        f"Docker Engine, so that every tool finds the base already local and knows it is in the "
        f"registry: each tool mounts the base layer into the new repository instead of uploading "
        f"it (the `up/mnt` column, from the registry's access log).",
        "",
        f"Each round, each tool packages the model onto the base and pushes it to a repository "
        f"nothing was pushed to before (`bench/TOOL-SIZE-ROUND`), {document['settings']['runs']} "
        f"round(s), the order of the tools turning from round to round:",
        "",
        "- **berth**: `berth package model.onnx -t REG/bench/berth-SIZE-I:1 --base "
        "REG/base/runner:latest` (the default: the model layer uncompressed, as gzip of stored "
        "blocks, the gzip a docker-format image requires);",
        "- **berth gzip**: the same with `--compression gzip`;",
        "- **buildah**: `buildah bud --pull=never --isolation chroot -t REF` of the two-line "
        "Dockerfile (`FROM` the base, `COPY model.onnx /opt/ml/model/model.onnx`) then "
        "`buildah push --tls-verify=false`, on a private overlay store;",
        f"- **docker**: `docker build --no-cache` of the same Dockerfile then `docker push`, on the "
        f"machine's engine ({document['versions']['docker_builder']}; storage driver "
        f"{document['versions']['docker_storage_driver']}); its images are removed after each "
        f"round.",
        "",
        "Columns: `median s` is the median wall time from the first command's start to the end of "
        "the push (`min`/`max` the range over the rounds); `x berth` is the tool's median over "
        "berth's (above 1: berth is faster); `peak MB` is GNU time's maximum resident set size "
        "over the rounds, of the largest process (for docker the client's, so none is given: the "
        "work happens in the engine's daemon); `one digest` says whether every round pushed the "
        "same image digest; `model layer MB` is the size of the layer that holds the model, as "
        "pushed; `up/mnt` is what the registry's access log shows for the new repository: blobs "
        "uploaded (model layer and config) / blobs mounted from base/runner (the base layer).",
        "",
        "## Seconds to pushed",
        "",
        "![seconds to pushed, per tool and model size](package-benchmark.svg)",
        "",
        "| model | tool | median s | min s | max s | x berth | peak MB | one digest | model layer MB | up/mnt |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for size in sizes:
        for tool, row in summary[size].items():
            ratio = f"{row['over_berth']:.1f}x" if "over_berth" in row else "-"
            peak = f"{row['peak_rss_mb']:.0f}" if row["peak_rss_mb"] else "-"
            layer = mb(row["model_layer_bytes"]) if row["model_layer_bytes"] else "-"
            lines.append(f"| {SIZE_LABELS[size]} | {TOOL_LABELS[tool]} | {fmt_s(row['median_s'])} | "
                         f"{fmt_s(row['min_s'])} | {fmt_s(row['max_s'])} | {ratio} | {peak} | "
                         f"{'yes' if row['one_digest'] else 'no (' + str(len(row['digests'])) + ')'} | "
                         f"{layer} | {spread(row['blobs_uploaded'])}/{spread(row['blobs_mounted'])} |")
    lines += ["", "### Where the time goes", "",
              "Medians in seconds. For berth: `check` is up to the line it prints once ONNX Runtime "
              "has loaded the model and run it on zeros; `layer` is the model layer written to a "
              "spool file and hashed (from as many runs with `--output oci:DIR` and the base read "
              "from its layout on disk: they stop there, after copying the base layer into the "
              "output); `push` is the rest: the base layer mounted, the model layer and the "
              "config uploaded, the manifest put (the registry's own work on the upload, writing "
              "it and checking its digest, included).", "",
              "| model | tool | steps |", "|---|---|---|"]
    for size in sizes:
        for tool, row in summary[size].items():
            # The three steps come from differences between runs: shown when each is big
            # enough (a tenth of a second) for that to mean something.
            if "steps_s" in row and min(row["steps_s"]["layer"], row["steps_s"]["push"]) >= 0.1:
                steps = row["steps_s"]
                cells = [f"check {fmt_s(steps['check'])}", f"layer {fmt_s(steps['layer'])}",
                         f"push {fmt_s(steps['push'])}"]
            else:
                names = {"check": "check", "layer_and_push": "layer and push", "bud": "bud",
                         "push": "push", "build": "build"}
                cells = [f"{names.get(n, n)} {fmt_s(v)}" for n, v in row["phases_median_s"].items()]
            lines.append(f"| {SIZE_LABELS[size]} | {TOOL_LABELS[tool]} | " + ", ".join(cells) + " |")

    goals = document["goals"]
    lines += ["", "## Against the goals", ""]
    for goal in goals:
        lines.append(f"- {goal['goal']}: {goal['measured']} — **{'met' if goal['met'] else 'missed'}**")

    nobody = document["nonroot"]
    lines += ["", "## As a user without root", "",
              "berth once more per model as the user nobody (`setpriv --reuid=65534 --regid=65534 "
              "--clear-groups --no-new-privs`, a clean environment with a home of its own), from "
              "copies of the release binary and the ONNX Runtime library in a world-readable "
              "directory (`ORT_DYLIB_PATH`). No storage driver, no daemon, no user namespace.", ""]
    identity = next((n["identity"] for n in nobody if "identity" in n), "")
    if identity:
        lines += [f"Inside: `id -u` and the capability sets read `{identity}`.", ""]
    lines += ["| model | seconds | peak MB | digest | same digest as root's runs |",
              "|---|---:|---:|---|---|"]
    for entry in nobody:
        if "seconds" in entry:
            lines.append(f"| {SIZE_LABELS[entry['size']]} | {fmt_s(entry['seconds'])} | "
                         f"{entry['rss_kb'] / 1024:.0f} | `{entry['digest'][:19]}…` | "
                         f"{'yes' if entry['same_digest_as_root'] else 'no'} |")
    traced = next((n["strace"] for n in nobody if "strace" in n), None)
    if traced:
        lines += ["", f"Traced once with `strace -f` for unshare, setns, mount, umount2, chroot, "
                      f"pivot_root, clone and clone3: {traced['calls_traced']} call(s) in all, "
                      f"{traced['new_threads']} of them a new thread; "
                      f"{traced['namespace_or_mount_calls']} ask for a namespace, a mount or a "
                      f"new root."]

    pulls = document["pulls"]
    if pulls:
        size = document["pull_size"]
        lines += ["", f"## Compression: none or gzip ({SIZE_LABELS[size]} model)", "",
                  "The model layer uncompressed (the default: gzip of stored blocks on this "
                  "docker-format base) or compressed (gzip level 1, "
                  "`--compression gzip`): its size, berth's time to pushed (from the table above), "
                  "then the time to pull the image back: `docker pull` into the engine (the base "
                  "is already there, so this is the model layer: download, unpack, register) and "
                  "`skopeo copy docker://… dir:` (blobs stored as they come, no unpacking), "
                  f"{document['settings']['runs']} time(s) each, medians. `total` is time to "
                  "pushed plus `docker pull`.", "",
                  "| layer | model layer MB | to pushed s | docker pull s | skopeo to dir: s | total s |",
                  "|---|---:|---:|---:|---:|---:|"]
        rows = document["compression"]
        for name, row in rows.items():
            lines.append(f"| {name} | {mb(row['layer_bytes'])} | {fmt_s(row['pushed_s'])} | "
                         f"{fmt_s(row['docker_pull_s'])} | {fmt_s(row['skopeo_dir_s'])} | "
                         f"{fmt_s(row['total_s'])} |")
        none, gz = rows["none"], rows["gzip"]
        faster, slower = (("none", "gzip") if none["total_s"] <= gz["total_s"] else ("gzip", "none"))
        lines += ["", f"Overall (to pushed, then `docker pull`) `{faster}` is faster: "
                      f"{fmt_s(rows[faster]['total_s'])} s against {fmt_s(rows[slower]['total_s'])} s "
                      f"for `{slower}`, {rows[slower]['total_s'] / rows[faster]['total_s']:.2f}x. "
                      f"gzip saves {100 * (1 - gz['layer_bytes'] / none['layer_bytes']):.1f}% of the "
                      f"layer's bytes and costs "
                      f"{fmt_s(gz['pushed_s'] - none['pushed_s'])} s to push and "
                      f"{fmt_s(gz['docker_pull_s'] - none['docker_pull_s'])} s to pull into the engine "
                      f"(compressing, then decompressing); skopeo, which stores blobs as they come, "
                      f"takes {fmt_s(none['skopeo_dir_s'])} s and {fmt_s(gz['skopeo_dir_s'])} s."]

    lines += ["", "## Caveats", "",
              f"- The base is runner-like, made from this machine's files ({mb(base['layer_bytes'])} "
              f"MB gzip, {mb(base['uncompressed_bytes'])} MB unpacked), not the runner image the "
              "container/ chain builds (under 40 MB): the base layer is mounted, not copied, by "
              "every tool, so its size matters little here, but a tool that had to upload it "
              "would pay for it.",
              "- The registry is on the loopback interface: no network, no TLS, no authentication. "
              "Over a real network every tool takes longer to upload the model layer, so each "
              "tool's own work is a smaller share of the total, and gzip's few percent fewer bytes "
              "count for more.",
              "- Each tool pushes to a repository it never pushed to; a push to a repository that "
              "already holds the model layer (the same model again) skips it with every tool.",
              "- buildah and the Docker Engine are given the base by a pull from the same registry "
              "(not `docker load` of an archive): an engine that loaded the base from an archive "
              "knows no registry that holds its layer, so its first push re-compresses and uploads "
              "the base layer too.",
              "- The Docker Engine's own memory is not measured (its client's is meaningless), "
              "and its storage driver here is " + document["versions"]["docker_storage_driver"]
              + "; another storage driver unpacks at another speed.",
              "- berth's peak memory includes ONNX Runtime holding the model: the check before "
              "packaging loads it and runs it once.",
              "- Other processes may have run during the measurement (another build on this "
              "machine): the load averages above say how busy it was; the rounds' spread "
              "(min/max) says how much it moved the figures."]
    notes = ROOT / "bench" / "package-notes.md"
    if notes.is_file():
        lines += ["", notes.read_text().rstrip()]
    lines.append("")
    return "\n".join(lines)


def svg_chart(summary: dict, sizes: list[str]) -> str:
    """One panel per model size, each with its own linear scale: bars of median seconds to
    pushed per tool, whiskers from the fastest to the slowest round, the median written above."""
    panel_w, panel_h, gap = 330, 250, 50
    left, top, bottom = 60, 56, 64
    width = max(760, left + len(sizes) * panel_w + (len(sizes) - 1) * gap + 20)
    height = top + panel_h + bottom + 44
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" '
           f'font-size="12">',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="{left}" y="24" font-size="16" font-weight="bold">Seconds from a model file '
           f'to a pushed image (lower is better)</text>',
           f'<text x="{left}" y="42" fill="#555">median of the rounds; whiskers: fastest and '
           f'slowest round; each panel has its own scale</text>']
    for index, size in enumerate(sizes):
        rows = summary[size]
        x0 = left + index * (panel_w + gap)
        y0 = top
        peak = max(row["max_s"] for row in rows.values())
        step = nice_step(peak / 4)
        ceiling = step * (int(peak / step) + 1)
        scale = panel_h / ceiling
        out.append(f'<text x="{x0 + panel_w / 2}" y="{y0 + panel_h + 46}" text-anchor="middle" '
                   f'font-size="14" font-weight="bold">{SIZE_LABELS[size]} model</text>')
        tick = 0.0
        while tick <= ceiling + 1e-9:
            y = y0 + panel_h - tick * scale
            out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + panel_w}" y2="{y:.1f}" '
                       f'stroke="#e3e3e3"/>')
            out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">'
                       f'{tick:g} s</text>')
            tick += step
        out.append(f'<line x1="{x0}" y1="{y0 + panel_h}" x2="{x0 + panel_w}" y2="{y0 + panel_h}" '
                   f'stroke="#333"/>')
        slot = panel_w / len(rows)
        bar = slot * 0.62
        for position, (tool, row) in enumerate(rows.items()):
            cx = x0 + slot * (position + 0.5)
            h = row["median_s"] * scale
            out.append(f'<rect x="{cx - bar / 2:.1f}" y="{y0 + panel_h - h:.1f}" width="{bar:.1f}" '
                       f'height="{h:.1f}" fill="{COLOURS[tool]}"><title>{TOOL_LABELS[tool]}: '
                       f'{fmt_s(row["median_s"])} s</title></rect>')
            low, high = (y0 + panel_h - row["min_s"] * scale, y0 + panel_h - row["max_s"] * scale)
            out.append(f'<line x1="{cx:.1f}" y1="{low:.1f}" x2="{cx:.1f}" y2="{high:.1f}" '
                       f'stroke="#222"/>')
            for y in (low, high):
                out.append(f'<line x1="{cx - 5:.1f}" y1="{y:.1f}" x2="{cx + 5:.1f}" y2="{y:.1f}" '
                           f'stroke="#222"/>')
            label = fmt_s(row["median_s"]) + " s"
            if "over_berth" in row:
                label += f" ({row['over_berth']:.1f}x)"
            out.append(f'<text x="{cx:.1f}" y="{min(high, y0 + panel_h - h) - 6:.1f}" '
                       f'text-anchor="middle" font-size="11">{label}</text>')
            short = {"berth": "berth", "berth-gzip": "berth gzip", "buildah": "buildah",
                     "docker": "docker"}[tool]
            out.append(f'<text x="{cx:.1f}" y="{y0 + panel_h + 18}" text-anchor="middle">'
                       f'{short}</text>')
    legend_y = height - 26
    notes = ["(N.Nx): the tool's median over berth's. berth: berth package; berth gzip: with "
             "--compression gzip;",
             "buildah: buildah bud + push; docker: docker build + push. Same base, same registry, "
             "a new repository each time."]
    for offset, text in enumerate(notes):
        out.append(f'<text x="{left}" y="{legend_y + 15 * offset}" fill="#555" font-size="11">'
                   f'{text}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def goals(summary: dict, nonroot: list[dict]) -> list[dict]:
    found = []
    small, large = summary.get("1mb"), summary.get("200mb")
    if small and "buildah" in small and "docker" in small:
        found.append({"goal": "faster than buildah and docker on the 1 MB model",
                      "measured": f"buildah {small['buildah']['over_berth']:.1f}x, docker "
                                  f"{small['docker']['over_berth']:.1f}x berth's time",
                      "met": small["buildah"]["over_berth"] > 1 and small["docker"]["over_berth"] > 1})
    if large and "buildah" in large:
        found.append({"goal": "at least 3x faster than buildah on the 200 MB model, to pushed",
                      "measured": f"{large['buildah']['over_berth']:.1f}x",
                      "met": large["buildah"]["over_berth"] >= 3})
    for size, rows in summary.items():
        peak = rows["berth"]["peak_rss_mb"]
        found.append({"goal": f"peak memory under 100 MB ({SIZE_LABELS[size]} model)",
                      "measured": f"{peak:.0f} MB" + ("" if peak < 100 else " (the check: ONNX Runtime holds the model)"),
                      "met": peak < 100})
    found.append({"goal": "the same digest on every run",
                  "measured": ", ".join(f"{SIZE_LABELS[s]}: "
                                        f"{'one' if rows['berth']['one_digest'] else 'several'}"
                                        f" (gzip: {'one' if rows['berth-gzip']['one_digest'] else 'several'})"
                                        for s, rows in summary.items()
                                        if "berth-gzip" in rows),
                  "met": all(rows[t]["one_digest"] for rows in summary.values()
                             for t in ("berth", "berth-gzip") if t in rows)})
    same = [n["same_digest_as_root"] for n in nonroot if "same_digest_as_root" in n]
    if same:
        found[-1]["measured"] += (f"; as nobody, {'the same' if all(same) else 'another'} "
                                  f"digest as root's runs")
        found[-1]["met"] = found[-1]["met"] and all(same)
    ran = [n for n in nonroot if "seconds" in n]
    found.append({"goal": "as a user without root, user namespaces or a storage driver",
                  "measured": ", ".join(f"{SIZE_LABELS[n['size']]}: {fmt_s(n['seconds'])} s as "
                                        f"nobody" for n in ran),
                  "met": bool(ran)})
    return found


# -- main ----------------------------------------------------------------------------------------


def run_tool(bench: Bench, tool: str, size: str, model: Path, context: Path, round_) -> dict:
    if tool == "berth":
        return bench.run_berth(size, model, round_, "none")
    if tool == "berth-gzip":
        return bench.run_berth(size, model, round_, "gzip")
    if tool == "buildah":
        return bench.run_buildah(size, context, round_)
    return bench.run_docker(size, context, round_)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="one round of the 1 MB model: a smoke test, not figures")
    parser.add_argument("--runs", type=int, default=5, help="rounds per model size (default 5)")
    parser.add_argument("--berth", type=Path, default=ROOT / "target" / "release" / "berth")
    parser.add_argument("--out-json", type=Path)
    parser.add_argument("--out-md", type=Path)
    parser.add_argument("--out-svg", type=Path)
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="measure nothing: write the report and the chart again from the "
                             "results in JSON (after editing bench/package-notes.md)")
    args = parser.parse_args()
    out_dir, md_dir = (ROOT / "bench" / "out", ROOT / "bench" / "out") if args.quick else \
        (ROOT / "bench" / "results", ROOT / "docs")
    args.out_json = (args.out_json or out_dir / ("package-quick.json" if args.quick else "package.json")).resolve()
    args.out_md = (args.out_md or md_dir / ("package-quick.md" if args.quick else "package-benchmark.md")).resolve()
    args.out_svg = (args.out_svg or md_dir / ("package-quick.svg" if args.quick else "package-benchmark.svg")).resolve()
    if args.render:
        document = json.loads(args.render.read_text())
        args.out_md.write_text(report(document["machine"], document))
        args.out_svg.write_text(svg_chart(document["summary"], document["settings"]["sizes"]))
        print(f"wrote {args.out_md} and {args.out_svg} from {args.render}")
        return 0
    runs = 1 if args.quick else args.runs
    if runs < 1:
        raise SystemExit("--runs: at least 1")
    sizes = ["1mb"] if args.quick else list(SIZES)
    berth = args.berth.resolve()
    if not berth.is_file():
        raise SystemExit(f"{berth} missing: run `make bench-package` (it builds it)")
    for tool in ("skopeo", "buildah", "docker", "docker-registry", "setpriv", "objcopy", "ldd"):
        if not shutil.which(tool):
            raise SystemExit(f"`{tool}` is needed: run `bash scripts/images/install-tools.sh`")
    if not os.access("/usr/bin/time", os.X_OK):
        raise SystemExit("GNU time (/usr/bin/time) is needed: apt-get install time")
    if os.geteuid() != 0:
        raise SystemExit("run it as root: it drops to the user nobody for the non-root run, and "
                         "buildah's store here is a root one")
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        raise SystemExit("run it with the project's venv (.venv/bin/python): it needs onnx and "
                         "onnxruntime to make the models") from None

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    bench = Bench(quick=args.quick, runs=runs, berth=berth, ort_lib=find_ort_library(),
                  deadline=time.monotonic() + RUN_TIMEOUT)
    info = machine()
    print(f"# {info['cpu']}, {info['nproc']} cores, load {' '.join(info['loadavg_at_start'])}",
          flush=True)
    started = time.monotonic()
    try:
        bench.make_tmp()
        bench.start_registry()
        print(f"registry on {bench.host}; making the models and the base", flush=True)
        models = bench.make_models(sizes, sys.executable)
        base = bench.make_base()
        bench.setup_buildah()
        bench.setup_docker()

        # One round that is not counted: every tool's binaries, libraries and store warm.
        warm = models[sizes[0]]
        for tool in TOOLS:
            run_tool(bench, tool, sizes[0], warm["path"], warm["context"], "warmup")
        bench.run_berth_layout(sizes[0], warm["path"])
        print("warm-up round done", flush=True)

        results, layouts = [], []
        for size in sizes:
            model, context = models[size]["path"], models[size]["context"]
            for round_ in range(runs):
                order = TOOLS[round_ % len(TOOLS):] + TOOLS[:round_ % len(TOOLS)]
                for tool in order:
                    result = run_tool(bench, tool, size, model, context, round_)
                    manifest = bench.manifest(result["reference"])
                    repository = result["reference"].removeprefix(bench.host + "/").rsplit(":", 1)[0]
                    result.update({"size": size, "tool": tool, "round": round_,
                                   "model_layer_bytes": manifest["layers"][-1]["size"],
                                   "model_layer_media_type": manifest["layers"][-1]["mediaType"],
                                   "base_layer_reused":
                                       manifest["layers"][0]["digest"] == base["layer_digest"],
                                   "registry": bench.registry_activity(repository)})
                    results.append(result)
                    print(f"{size:>5} round {round_} {tool:<10} {result['seconds']:7.2f} s"
                          + (f"  {result['rss_kb'] / 1024:5.0f} MB" if result["rss_kb"] else ""),
                          flush=True)
                layouts.append({"size": size, "round": round_, **bench.run_berth_layout(size, model)})

        summary = summarise(results, sizes)
        for size in sizes:
            # Three steps of berth's time to pushed, from medians: the model check (up to the
            # line it prints), the layer (the layout runs, less their check) and the push (the
            # registry runs, less the layout runs).
            mine = [entry for entry in layouts if entry["size"] == size]
            check = summary[size]["berth"]["phases_median_s"]["check"]
            to_layout = median([entry["seconds"] for entry in mine])
            layer = median([entry["seconds"] - entry["check"] for entry in mine])
            summary[size]["berth"]["steps_s"] = {
                "check": check, "layer": layer,
                "push": max(0.0, summary[size]["berth"]["median_s"] - to_layout),
                "to_layout": to_layout}
        root_digests = {size: summary[size]["berth"]["digests"][0] for size in sizes}
        print("as nobody", flush=True)
        nonroot = bench.as_nobody(sizes, models, root_digests)
        pull_size = sizes[-1]
        pull_images = {c: next(r["reference"] for r in results
                               if r["size"] == pull_size and r["tool"] == t)
                       for c, t in (("none", "berth"), ("gzip", "berth-gzip"))}
        print(f"pulls of the {pull_size} images", flush=True)
        pulls = bench.pulls(pull_images)
        compression = {}
        for name, tool in (("none", "berth"), ("gzip", "berth-gzip")):
            mine = [p for p in pulls if p["compression"] == name]
            row = summary[pull_size][tool]
            compression[name] = {
                "layer_bytes": row["model_layer_bytes"], "pushed_s": row["median_s"],
                "docker_pull_s": median([p["docker_pull"] for p in mine]),
                "skopeo_dir_s": median([p["skopeo_dir"] for p in mine]),
            }
            compression[name]["total_s"] = compression[name]["pushed_s"] + compression[name]["docker_pull_s"]
        info["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
        info["wall_s"] = round(time.monotonic() - started, 1)
        document = {
            "machine": info, "versions": versions(berth),
            "settings": {"runs": runs, "sizes": sizes, "quick": args.quick, "seed": SEED},
            "base": base,
            "models": {s: {k: v for k, v in m.items() if k not in ("path", "context")}
                       for s, m in models.items()},
            "runs": results, "layout_runs": layouts, "summary": summary, "nonroot": nonroot,
            "pull_size": pull_size, "pulls": pulls, "compression": compression,
        }
        document["goals"] = goals(summary, nonroot)
    finally:
        problems = bench.clean()
        for problem in problems:
            print(f"clean-up: {problem}", file=sys.stderr)

    for path in (args.out_json, args.out_md, args.out_svg):
        path.parent.mkdir(parents=True, exist_ok=True)
    args.out_json.write_text(json.dumps(document, indent=1) + "\n")
    args.out_md.write_text(report(info, document))
    args.out_svg.write_text(svg_chart(summary, sizes))
    for size in sizes:
        row = summary[size]
        print(f"{size}: berth {fmt_s(row['berth']['median_s'])} s; buildah "
              f"{row['buildah']['over_berth']:.1f}x, docker {row['docker']['over_berth']:.1f}x berth's")
    print(f"wrote {args.out_json}, {args.out_md} and {args.out_svg} in {info['wall_s']} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (KeyboardInterrupt, Interrupted) as stop:
        # main's clean-up has run by now.
        print(f"package benchmark: stopped ({stop or 'interrupted'}), everything it made removed",
              file=sys.stderr)
        sys.exit(130)
