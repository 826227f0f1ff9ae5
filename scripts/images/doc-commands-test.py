#!/usr/bin/env python3
"""Run the docker commands of README.md and docs/images.md, as written, against the runner image
that the Docker Engine built (make images-test ENGINE=docker), so that the documents cannot drift
from the image.

    scripts/images/doc-commands-test.py [--list]      (make images-docs-test)

What is found: every `docker ...` command in a shell code block or in inline code, the `# or docker
run` alternative written beside a podman command, `make run-container` (docker is the Makefile's
default engine), the `berth package` command whose image the README then runs, and the Dockerfile
that docs/images.md gives for baking a model in. Each one runs with only the substitutions the
documents themselves name:
    IMAGE                  the runner image, localhost/berth-runner:latest
    -p 8080:8080, PORT=... a free host port in place of 8080 ("on :8080 (PORT=...)")
    registry.example.com   a registry on 127.0.0.1 (Debian's docker-registry, plain http) to which
                           the runner is pushed with `make push ENGINE=docker`; berth package finds
                           it as its base through BERTH_BASE_IMAGE (the README: --base takes another
                           registry reference)
    path/to/dir, $PWD, model.onnx
                           the commands run in a scratch directory holding model.onnx and
                           model/model.onnx (the Iris fixture model)
A server must answer /invocations as berth does for the Iris rows, and a foreground `docker run`
must stop on Ctrl-C (SIGINT) with exit code 0. A command that this script does not know fails the
check: a new docker command in the documents must be taught here, or named as a mention with the
reason it is not run. --list prints what was found and how each is handled, and runs nothing.
"""

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = ["README.md", "docs/images.md"]
RUNNER = "localhost/berth-runner:latest"
MODEL = os.path.join(ROOT, "tests/fixtures/models/iris_logreg.onnx")
ROW = "5.1,3.5,1.4,0.2"
ANSWER = '{"predictions":[0]}'
SHELL_INFO = {"", "sh", "bash", "shell", "console"}
# Bare subcommands in prose, with no arguments: nothing to run. `docker load` is run (below).
MENTIONS = {
    "docker pull": "names a subcommand that the tests of `berth package` use (make test runs them)",
    "docker run": "names a subcommand; every docker run command of the documents is run here",
    "docker login": "needs an account on a real registry; berth package reads the credentials it stores "
    "(crates/berth-oci's tests)",
    "docker build": "names a subcommand (make bench-package and make build-images ENGINE=docker run it)",
    "docker push": "names a subcommand (make bench-package and make push ENGINE=docker run it)",
    "docker save": "names a subcommand (the images workflow's build job runs it; make sbom ENGINE=docker too)",
    "docker build --check": "names BuildKit's checks, which make test-docker-check-parity runs on a second "
    "engine (part of make test)",
}


def find_commands():
    """(where, kind, text) for each command of the documents; kind: docker, make, package, dockerfile."""
    found = []
    for doc in DOCS:
        lines = open(os.path.join(ROOT, doc), encoding="utf-8").read().splitlines()
        fence = None
        block = []
        paragraph = []  # (line number, text): inline code may wrap onto the next line

        def inline():
            text = " ".join(t for _, t in paragraph)
            for span in re.finditer(r"`([^`]+)`", text):
                if span.group(1).startswith("docker "):
                    before = len(" ".join(t for _, t in paragraph[:1]))
                    number = paragraph[0][0]
                    for n, t in paragraph[1:]:
                        if before >= span.start():
                            break
                        before += 1 + len(t)
                        number = n
                    found.append((f"{doc}:{number}", "docker", span.group(1).strip()))
            paragraph.clear()

        for number, line in enumerate(lines, 1):
            where = f"{doc}:{number}"
            opened = re.match(r"^```(\S*)\s*$", line)
            if fence is None and (opened or not line.strip()):
                inline()
            if fence is None and opened:
                fence, block, block_start = opened.group(1).lower(), [], number + 1
                continue
            if fence is not None:
                if line.startswith("```"):
                    if fence == "dockerfile":
                        found.append((f"{doc}:{block_start}", "dockerfile", "\n".join(block)))
                    fence = None
                    continue
                block.append(line)
                if fence in SHELL_INFO:
                    command, _, comment = re.sub(r"^\$ ", "", line.strip()).partition("  #")
                    command = command.strip()
                    if command.startswith("docker "):
                        found.append((where, "docker", command))
                    elif command.startswith("make run-container"):
                        found.append((where, "make", command))
                    elif command.startswith("berth package "):
                        found.append((where, "package", command))
                    elif command.startswith("podman run ") and re.search(r"\bor docker run\b", comment):
                        found.append((where, "docker", "docker" + command[len("podman"):]))
                continue
            paragraph.append((number, line))
        inline()
    return found


def classify(kind, text):
    """How a command is checked: (action, detail)."""
    if kind == "dockerfile":
        if re.match(r"FROM localhost/berth-runner(:latest)?\n", text + "\n"):
            return "dockerfile", "built with docker build and run"
        return "unknown", "a Dockerfile this script does not know"
    if kind == "package":
        return "package", "run before the docker commands that use its image"
    if kind == "make":
        return "server", "run in the foreground, checked, stopped with Ctrl-C"
    if text in MENTIONS:
        return "mention", MENTIONS[text]
    if text == "docker load":
        return "load", "docker load of the archive `berth package --output docker-archive:` writes"
    if re.fullmatch(r"docker build -f container/Dockerfile\.X --build-arg \.\.\. \.", text):
        return "build", "make build-images ENGINE=docker runs it for each of the five (make -n shows it)"
    if re.fullmatch(r"docker run .*\bserve", text) and " -v " not in text:
        return "refusal", "no model mounted: must exit 1 naming what it found"
    if text.startswith("docker run "):
        return "server", "run in the foreground, checked, stopped with Ctrl-C"
    return "unknown", "a docker command this script does not know: teach it how to run it"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, data=None, content_type="text/csv", timeout=5):
    request = urllib.request.Request(url, data=data.encode() if data else None)
    if data:
        request.add_header("content-type", content_type)
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return answer.status, answer.read().decode()


def wait_ready(url, seconds, process=None):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if http(url + "/ready")[0] == 200:
                return True
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            return False
        time.sleep(0.3)
    return False


def docker(*args, check=True):
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True).stdout.strip()


def run_image(command):
    """The image of a `docker run` command (None for another command)."""
    words = shlex.split(command)
    if words[:2] != ["docker", "run"]:
        return None
    words = words[2:]
    while words and words[0].startswith("-"):
        flag = words.pop(0)
        if "=" not in flag and flag in {"-p", "-v", "-e", "-u", "-w", "--name", "--user", "--entrypoint",
                                        "--env", "--volume", "--publish", "--network", "--tmpfs", "--cap-drop",
                                        "--security-opt", "--mount", "--pull"}:
            words.pop(0)
    return words[0]


def containers(image):
    return set(docker("ps", "-aq", "--no-trunc", "--filter", f"ancestor={image}").split())


class Check:
    def __init__(self, work):
        self.work = work
        self.env = dict(os.environ)
        berth_dir = os.path.join(ROOT, "target", "debug")
        self.env["PATH"] = berth_dir + os.pathsep + self.env["PATH"]
        self.images = []
        self.registry = None

    def substitute(self, text, port):
        text = re.sub(r"\bIMAGE\b", RUNNER, text)
        text = re.sub(r"-p 8080:8080\b", f"-p {port}:8080", text)
        text = text.replace("path/to/dir", os.path.join(self.work, "model"))
        if self.registry:
            text = text.replace("registry.example.com", self.registry)
        if text.startswith("make run-container"):
            text += f" PORT={port}"
        return text

    def start_registry(self):
        """A registry on 127.0.0.1 holding the runner (make push ENGINE=docker), berth package's base."""
        port = free_port()
        data = os.path.join(self.work, "registry")
        os.makedirs(data)
        config = os.path.join(data, "config.yml")
        with open(config, "w") as f:
            f.write(
                "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n"
                f"storage:\n  filesystem:\n    rootdirectory: {data}/data\n"
                f"http:\n  addr: 127.0.0.1:{port}\n"
            )
        self.registry_process = subprocess.Popen(
            ["docker-registry", "serve", config],
            stdout=open(os.path.join(data, "log"), "w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 10
        while True:
            try:
                http(f"http://127.0.0.1:{port}/v2/")
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.registry = f"127.0.0.1:{port}"
        subprocess.run(
            ["make", "--no-print-directory", "-C", ROOT, "push", "ENGINE=docker", f"REGISTRY={self.registry}",
             "PUSH_IMAGES=runner"],
            check=True, stdout=subprocess.DEVNULL,
        )
        # make push tags the runner REGISTRY/berth-runner:latest and :VERSION
        self.images += docker("images", "--format", "{{.Repository}}:{{.Tag}}", f"{self.registry}/berth-runner").split()
        self.env["BERTH_BASE_IMAGE"] = f"{self.registry}/berth-runner:latest"
        digest = docker("image", "inspect", "--format", "{{json .RepoDigests}}", f"{self.registry}/berth-runner:latest")
        print(f"  registry {self.registry}: the runner pushed with make push ENGINE=docker, {digest}")

    def cwd(self, command):
        """make runs in the repository, the rest in the scratch directory."""
        return ROOT if command.startswith("make ") else self.work

    def shell(self, command, **kw):
        return subprocess.run(["bash", "-c", command], cwd=self.cwd(command), env=self.env, capture_output=True,
                              text=True, **kw)

    def refusal(self, command):
        image = run_image(command)
        before = containers(image)
        done = self.shell(command, timeout=60)
        for container in containers(image) - before:  # no --rm: the exited container stays, as for a user
            docker("rm", "-f", container)
        said = re.search(r"no model to serve: [^.]*", done.stdout + done.stderr)
        if done.returncode != 1 or not said:
            raise SystemExit(f"expected exit 1 naming the missing model; got {done.returncode}: {done.stderr[-500:]}")
        return f"exit 1, {said.group(0)}"

    def server(self, command, port):
        """Run a foreground command that serves, check it, stop it as Ctrl-C does."""
        image = run_image(command)
        before = containers(image) if image else set()
        log = open(os.path.join(self.work, f"server-{port}.log"), "w+")
        process = subprocess.Popen(["bash", "-c", command], cwd=self.cwd(command), env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            published = re.search(r"-p (\d+):8080|PORT=(\d+)", command)
            if published:
                url = f"http://127.0.0.1:{published.group(1) or published.group(2)}"
            else:  # not published: the container's own address on docker's bridge
                deadline, new = time.time() + 20, set()
                while not new and time.time() < deadline:
                    new = containers(image) - before
                    time.sleep(0.2)
                if not new:
                    raise SystemExit("no container started")
                ip = docker("inspect", "--format", "{{.NetworkSettings.IPAddress}}", new.pop())
                url = f"http://{ip}:8080"
            if not wait_ready(url, 30, process):
                log.seek(0)
                raise SystemExit(f"not ready at {url}:\n{log.read()[-1500:]}")
            status, answer = http(url + "/invocations", ROW)
            if answer != ANSWER:
                raise SystemExit(f"POST /invocations {ROW}: {answer}, expected {ANSWER}")
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
            try:
                code = process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                code = "killed after 40 s"
        log.seek(0)
        output = log.read()
        if command.startswith("docker ") and code != 0:
            raise SystemExit(f"Ctrl-C: exit code {code}, expected 0:\n{output[-1500:]}")
        if "stopped" not in output:
            raise SystemExit(f"Ctrl-C: berth did not log its clean stop:\n{output[-1500:]}")
        left = containers(image) - before if image else set()
        for container in left:  # a command without --rm leaves its container, as it would for a user
            docker("rm", "-f", container)
        how = "make's exit is its own on SIGINT" if command.startswith("make ") else f"exit code {code}"
        return f"{url}: POST /invocations {ROW} -> {answer}; Ctrl-C -> berth stopped ({how})"

    def dockerfile(self, text, port):
        os.makedirs(os.path.join(self.work, "bake"), exist_ok=True)
        shutil.copy(MODEL, os.path.join(self.work, "bake", "model.onnx"))
        with open(os.path.join(self.work, "bake", "Dockerfile"), "w") as f:
            f.write(text + "\n")
        tag = f"localhost/berth-docs-model:{os.getpid()}"
        client = subprocess.run([os.path.join(ROOT, "scripts/images/docker-client.sh")], capture_output=True,
                                text=True).stdout.strip()
        subprocess.run([client, "build", "-q", "-t", tag, "."], cwd=os.path.join(self.work, "bake"), check=True,
                       env=dict(self.env, DOCKER_BUILDKIT="1"), stdout=subprocess.DEVNULL)
        self.images.append(tag)
        return f"docker build -t {tag}: ok; " + self.server(f"docker run --rm -p {port}:8080 {tag}", port)

    def load(self, package_command):
        archive = os.path.join(self.work, "iris.tar")
        done = self.shell(f"{package_command} --output docker-archive:{archive}")
        if done.returncode != 0:
            raise SystemExit(f"berth package --output docker-archive: failed: {done.stderr[-800:]}")
        loaded = docker("load", "-i", archive)  # "Loaded image: NAME"
        name = loaded.rsplit(": ", 1)[-1]
        self.images.append(name)
        port = free_port()
        return f"berth package --output docker-archive:iris.tar, {loaded}; " + self.server(
            f"docker run --rm -p {port}:8080 {name}", port)

    def close(self):
        for image in self.images:
            docker("rmi", image, check=False)
        if self.registry:
            self.registry_process.terminate()
            self.registry_process.wait()


def main():
    found = find_commands()
    plan = [(where, kind, text, *classify(kind, text)) for where, kind, text in found]
    for where, kind, text, action, detail in plan:
        shown = text.replace("\n", " / ")
        print(f"{where}: {shown}\n    {action}: {detail}")
    unknown = [p for p in plan if p[3] == "unknown"]
    if unknown:
        sys.exit(f"doc-commands: {len(unknown)} command(s) the check does not know (above)")
    if "--list" in sys.argv:
        return
    if docker("images", "-q", RUNNER) == "":
        sys.exit(f"no {RUNNER} in the Docker Engine: run make images-test ENGINE=docker first")
    work = tempfile.mkdtemp(prefix="berth-doc-commands.")
    os.makedirs(os.path.join(work, "model"))
    if not os.path.exists(MODEL):
        subprocess.run(["make", "--no-print-directory", "-C", ROOT, "fixtures"], check=True, stdout=subprocess.DEVNULL)
    shutil.copy(MODEL, os.path.join(work, "model.onnx"))
    shutil.copy(MODEL, os.path.join(work, "model", "model.onnx"))
    check = Check(work)
    try:
        packages = [p for p in plan if p[3] == "package"]
        if packages or any(p[3] == "load" for p in plan):
            check.start_registry()
        print("== running")
        for where, kind, text, action, detail in plan:
            if action not in {"package"}:
                continue
            command = check.substitute(text, 0)
            t0 = time.time()
            done = check.shell(command)
            if done.returncode != 0:
                sys.exit(f"{where}: {command}: exit {done.returncode}: {done.stderr[-800:]}")
            check.images.append(command.split(" -t ", 1)[1].split()[0])
            print(f"{where}: {command}\n    ok in {time.time() - t0:.1f} s: {done.stdout.strip()}")
        # docker load last: the README's docker run of the packaged image must pull it from the registry.
        loaded = False
        for where, kind, text, action, detail in sorted(plan, key=lambda p: p[3] == "load"):
            if action in {"mention", "package"} or (action == "load" and loaded):
                continue
            port = free_port()
            t0 = time.time()
            if action == "dockerfile":
                command, result = "(the Dockerfile)", check.dockerfile(text, port)
            elif action == "build":
                command = text
                dry = subprocess.run(["make", "-C", ROOT, "-n", "build-images", "ENGINE=docker"], capture_output=True,
                                     text=True).stdout
                missing = [x for x in ("base", "base-builder", "builder", "base-runner", "runner")
                           if not re.search(rf"docker build .*-f container/Dockerfile\.{x} ", dry.replace("\\\n", ""))]
                if missing or "--build-arg" not in dry:
                    sys.exit(f"{where}: make -n build-images ENGINE=docker does not docker build {missing}")
                result = "make -n build-images ENGINE=docker: docker build -f container/Dockerfile.X for all five"
            elif action == "load":
                loaded = True
                command = "docker load -i iris.tar"
                package = next(check.substitute(p[2], 0) for p in plan if p[3] == "package")
                result = check.load(package)
            else:
                command = check.substitute(text, port)
                result = check.refusal(command) if action == "refusal" else check.server(command, port)
            print(f"{where}: {command}\n    ok in {time.time() - t0:.1f} s: {result}")
    finally:
        check.close()
        shutil.rmtree(work, ignore_errors=True)
    print("doc-commands: OK")


if __name__ == "__main__":
    main()
