#!/usr/bin/env python3
"""Write a berth-runner-like image, made from this machine's files, as an OCI image layout.

    make-dev-runner.py --berth target/debug/berth \\
        --ort-lib ~/.cache/berth/onnxruntime/1.31.1/libonnxruntime.so.1.31.1 \\
        --out /tmp/dev-runner [--format docker|oci] [--platforms linux/amd64[,linux/arm64]] \\
        [--tag latest] [--version 0.1.0]

Tests of `berth package` need a runner base image in seconds; the real one (container/, five images)
takes minutes to build. This one has the same shape: the berth binary at /usr/local/bin/berth, the
ONNX Runtime library in /usr/local/lib (where berth looks, ../lib from the binary), the shared
libraries both need per ldd and the dynamic loader, /etc/passwd and /etc/group with the berth user
(10001), /tmp, /home/berth and an empty /opt/ml/model; and the runner's config (container/
Dockerfile.runner): entrypoint, command, user, working directory, port, health check, labels.

One gzip layer, reproducible: sorted entries with explicit parent directories, every time
$SOURCE_DATE_EPOCH (default 0), owner root except /home/berth, gzip header time 0. The binary's
debug info is stripped (objcopy --strip-debug) into a temporary copy to keep the layer small.

--format docker (the default) writes docker media types, as the real runner has: its health check
is kept only in the docker config format. --format oci writes OCI media types (and no health check,
which OCI configs do not have).

With several --platforms, the layout's index.json points at an image index (OCI) or manifest list
(docker) of the same image once per platform, each config naming its own architecture. The files
are this machine's whatever the platform: such an image is for tests that read its structure.

Reading it: `skopeo inspect oci:DIR` (skopeo 1.9 finds a docker-format image in a layout only
without a tag; by tag, `oci:DIR:TAG`, it takes OCI media types only), `umoci unpack --image DIR:TAG`
(OCI format and one platform only), `skopeo copy oci:DIR docker-archive:X.tar:NAME` then
`docker load -i X.tar` to run it.

The output directory is created and must not hold anything. Prints the digest index.json points at;
the same inputs give the same digest.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BERTH_UID = 10001

MEDIA_TYPES = {
    "docker": {
        "manifest": "application/vnd.docker.distribution.manifest.v2+json",
        "index": "application/vnd.docker.distribution.manifest.list.v2+json",
        "config": "application/vnd.docker.container.image.v1+json",
        "layer": "application/vnd.docker.image.rootfs.diff.tar.gzip",
    },
    "oci": {
        "manifest": "application/vnd.oci.image.manifest.v1+json",
        "index": "application/vnd.oci.image.index.v1+json",
        "config": "application/vnd.oci.image.config.v1+json",
        "layer": "application/vnd.oci.image.layer.v1.tar+gzip",
    },
}
LAYOUT_INDEX = MEDIA_TYPES["oci"]["index"]

PASSWD = (
    "root:x:0:0:root:/root:/usr/sbin/nologin\n"
    f"berth:x:{BERTH_UID}:{BERTH_UID}:berth:/home/berth:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
)
GROUP = f"root:x:0:\nberth:x:{BERTH_UID}:\nnogroup:x:65534:\n"

# The label values that do not change from build to build, as in container/Dockerfile.runner.
STATIC_LABELS = {
    "org.opencontainers.image.title": "berth",
    "org.opencontainers.image.description": "ONNX model server with a SageMaker-style HTTP contract",
    "org.opencontainers.image.source": "https://github.com/berth-dev/berth",
    "org.opencontainers.image.licenses": "Apache-2.0",
}


class Refused(Exception):
    """An input this script will not use; the message says why."""


@dataclass(frozen=True)
class Entry:
    """One entry of the layer: a directory, a file (from `source` or `content`) or a symlink."""

    path: str  # inside the image, without the leading slash
    kind: str  # "dir", "file" or "symlink"
    mode: int = 0o755
    owner: int = 0
    source: Path | None = None
    content: bytes | None = None
    target: str | None = None


def run(command: list[str]) -> str:
    """Runs `command`; its output, or a refusal that carries its error output."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise Refused(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return done.stdout


def workspace_version() -> str:
    with open(REPO / "Cargo.toml", "rb") as f:
        return tomllib.load(f)["workspace"]["package"]["version"]


def interpreter(binary: Path) -> str | None:
    """The dynamic loader an ELF file asks for (its PT_INTERP), or None for a static file."""
    with open(binary, "rb") as f:
        header = f.read(64)
        if header[:4] != b"\x7fELF":
            raise Refused(f"{binary} is not an ELF file")
        if header[4] != 2:
            raise Refused(f"{binary} is not a 64-bit ELF file")
        order = "<" if header[5] == 1 else ">"
        phoff, = struct.unpack_from(order + "Q", header, 32)
        phentsize, phnum = struct.unpack_from(order + "HH", header, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _flags, p_offset, _vaddr, _paddr, p_filesz = struct.unpack(order + "IIQQQQ", f.read(40))
            if p_type == 3:  # PT_INTERP
                f.seek(p_offset)
                return f.read(p_filesz).rstrip(b"\0").decode()
    return None


LDD_LINE = re.compile(r"^\s*(?:(\S+) => )?(\S+|not found) \(0x[0-9a-f]+\)$|^\s*(\S+) => not found$")


def shared_libraries(binary: Path) -> list[str]:
    """The shared libraries ldd says `binary` loads, at the paths the loader found them at."""
    out = run(["ldd", str(binary)])
    paths = []
    for line in out.splitlines():
        m = LDD_LINE.match(line)
        if m is None:
            if "statically linked" in line:
                continue
            raise Refused(f"ldd {binary}: a line this script does not read: {line.strip()!r}")
        if m.group(3) or m.group(2) == "not found":
            raise Refused(f"ldd {binary}: {line.strip()}: install it, or fix the library path")
        path = m.group(2)
        if path.startswith("/"):  # not linux-vdso.so.1, which the kernel provides
            paths.append(path)
    return paths


def layer_entries(berth: Path, ort_lib: Path, work: Path) -> list[Entry]:
    ort_file = ort_lib.resolve()
    if not re.fullmatch(r"libonnxruntime\.so\.\d+(\.\d+)*", ort_file.name):
        raise Refused(f"--ort-lib {ort_lib}: expected the versioned library (libonnxruntime.so.X.Y.Z), "
                      f"found {ort_file.name}")
    stripped = work / "berth"
    run(["objcopy", "--strip-debug", str(berth), str(stripped)])

    entries = {
        "usr/local/bin/berth": Entry("usr/local/bin/berth", "file", 0o755, source=stripped),
        f"usr/local/lib/{ort_file.name}": Entry(f"usr/local/lib/{ort_file.name}", "file", 0o644,
                                                source=ort_file),
        "usr/local/lib/libonnxruntime.so": Entry("usr/local/lib/libonnxruntime.so", "symlink",
                                                 0o777, target=ort_file.name),
        "etc/passwd": Entry("etc/passwd", "file", 0o644, content=PASSWD.encode()),
        "etc/group": Entry("etc/group", "file", 0o644, content=GROUP.encode()),
        "tmp": Entry("tmp", "dir", 0o1777),
        "home/berth": Entry("home/berth", "dir", 0o700, owner=BERTH_UID),
        "opt/ml/model": Entry("opt/ml/model", "dir", 0o755),
    }
    # The libraries at the paths the loader finds them at (where it will look for them in the
    # image too), each a regular file: a symlink's target is not in the image.
    libraries = set(shared_libraries(berth)) | set(shared_libraries(ort_file))
    loader = interpreter(berth)
    if loader:
        libraries.add(loader)
    for library in sorted(libraries):
        path = library.lstrip("/")
        mode = 0o755 if library == loader else 0o644
        entries[path] = Entry(path, "file", mode, source=Path(library).resolve())

    for path in list(entries):
        parent = os.path.dirname(path)
        while parent and parent not in entries:
            entries[parent] = Entry(parent, "dir", 0o755)
            parent = os.path.dirname(parent)
    return [entries[path] for path in sorted(entries)]


class HashingWriter:
    """Passes writes on to `sink` (when given) and hashes them and counts their bytes."""

    def __init__(self, sink=None):
        self.sink = sink
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        self.sha256.update(data)
        self.size += len(data)
        if self.sink is not None:
            self.sink.write(data)
        return len(data)

    def flush(self) -> None:
        if self.sink is not None:
            self.sink.flush()


def write_layer(entries: list[Entry], blob: Path, epoch: int) -> tuple[str, str, int]:
    """Writes the gzip layer to `blob`; gives the uncompressed tar's digest (the diff_id), the
    blob's digest and its size."""
    with open(blob, "wb") as raw:
        compressed = HashingWriter(raw)
        # mtime=0 and no file name: the gzip header holds neither a time nor a name.
        with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0, compresslevel=6) as gz:
            uncompressed = HashingWriter(gz)
            with tarfile.open(fileobj=uncompressed, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for entry in entries:
                    info = tarfile.TarInfo(entry.path)
                    info.mode = entry.mode
                    info.uid = info.gid = entry.owner
                    info.uname = info.gname = ""
                    info.mtime = epoch
                    if entry.kind == "dir":
                        info.type = tarfile.DIRTYPE
                        tar.addfile(info)
                    elif entry.kind == "symlink":
                        info.type = tarfile.SYMTYPE
                        info.linkname = entry.target
                        tar.addfile(info)
                    elif entry.content is not None:
                        info.size = len(entry.content)
                        tar.addfile(info, io.BytesIO(entry.content))
                    else:
                        info.size = entry.source.stat().st_size
                        with open(entry.source, "rb") as f:
                            tar.addfile(info, f)
    return ("sha256:" + uncompressed.sha256.hexdigest(), "sha256:" + compressed.sha256.hexdigest(),
            compressed.size)


class Layout:
    """An OCI image layout being written: blobs by digest, then index.json."""

    def __init__(self, root: Path):
        self.root = root
        self.blobs = root / "blobs" / "sha256"
        self.blobs.mkdir(parents=True)

    def add_json(self, media_type: str, document: dict) -> dict:
        data = json.dumps(document, separators=(",", ":")).encode()
        digest = hashlib.sha256(data).hexdigest()
        (self.blobs / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}

    def finish(self, descriptor: dict) -> None:
        (self.root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
        index = {"schemaVersion": 2, "mediaType": LAYOUT_INDEX, "manifests": [descriptor]}
        (self.root / "index.json").write_text(json.dumps(index, separators=(",", ":")))


def image_config(fmt: str, platform: dict, diff_id: str, version: str, created: str) -> dict:
    config = {
        "User": f"{BERTH_UID}:{BERTH_UID}",
        "ExposedPorts": {"8080/tcp": {}},
        "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "SM_MODEL_DIR=/opt/ml/model"],
        "Entrypoint": ["berth"],
        "Cmd": ["serve"],
        "WorkingDir": "/home/berth",
        "Labels": {**STATIC_LABELS, "org.opencontainers.image.version": version},
    }
    if fmt == "docker":
        second = 1_000_000_000  # docker's durations are in nanoseconds
        config["Healthcheck"] = {
            "Test": ["CMD", "berth", "healthcheck"],
            "Interval": 30 * second,
            "Timeout": 5 * second,
            "StartPeriod": 10 * second,
            "Retries": 3,
        }
    return {
        "created": created,
        "architecture": platform["architecture"],
        "os": platform["os"],
        **({"variant": platform["variant"]} if "variant" in platform else {}),
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{
            "created": created,
            "created_by": "scripts/images/make-dev-runner.py: berth, ONNX Runtime and their shared "
                          "libraries from the build machine",
        }],
    }


def parse_platforms(text: str) -> list[dict]:
    platforms = []
    for item in text.split(","):
        parts = item.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise Refused(f"--platforms: {item!r} is not os/architecture[/variant]")
        platform = {"architecture": parts[1], "os": parts[0]}
        if len(parts) == 3:
            platform["variant"] = parts[2]
        if platform in platforms:
            raise Refused(f"--platforms: {item!r} is given twice")
        platforms.append(platform)
    return platforms


def source_date_epoch() -> int:
    text = os.environ.get("SOURCE_DATE_EPOCH", "0") or "0"
    if not text.isdigit():
        raise Refused(f"SOURCE_DATE_EPOCH={text!r} is not a number of seconds")
    return int(text)


def make(args: argparse.Namespace) -> str:
    out: Path = args.out
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise Refused(f"--out {out}: exists and is not an empty directory")
    for name, path in (("--berth", args.berth), ("--ort-lib", args.ort_lib)):
        if not path.is_file():
            raise Refused(f"{name} {path}: no such file")
    platforms = parse_platforms(args.platforms)
    epoch = source_date_epoch()

    interpreter(args.berth)  # refuses a file that is not ELF before anything is written
    out.mkdir(parents=True, exist_ok=True)
    try:
        return write_image(args, out, platforms, epoch)
    except BaseException:
        # Half a layout would make the next run refuse the directory: leave it as it was, empty.
        shutil.rmtree(out)
        out.mkdir()
        raise


def write_image(args: argparse.Namespace, out: Path, platforms: list[dict], epoch: int) -> str:
    media = MEDIA_TYPES[args.format]
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    layout = Layout(out)
    with tempfile.TemporaryDirectory(prefix="berth-dev-runner.") as work:
        entries = layer_entries(args.berth, args.ort_lib, Path(work))
        partial = out / "blobs" / "layer.partial"
        diff_id, layer_digest, layer_size = write_layer(entries, partial, epoch)
        partial.rename(layout.blobs / layer_digest.removeprefix("sha256:"))
    layer = {"mediaType": media["layer"], "digest": layer_digest, "size": layer_size}

    manifests = []
    for platform in platforms:
        config = layout.add_json(media["config"], image_config(args.format, platform, diff_id,
                                                               args.version, created))
        manifest = layout.add_json(media["manifest"], {
            "schemaVersion": 2,
            "mediaType": media["manifest"],
            "config": config,
            "layers": [layer],
        })
        manifests.append({**manifest, "platform": platform})

    if len(manifests) == 1:
        top = manifests[0]
    else:
        top = layout.add_json(media["index"], {
            "schemaVersion": 2,
            "mediaType": media["index"],
            "manifests": manifests,
        })
    layout.finish({**top, "annotations": {"org.opencontainers.image.ref.name": args.tag}})
    return top["digest"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--berth", type=Path, required=True, help="the berth binary")
    parser.add_argument("--ort-lib", type=Path, required=True,
                        help="the ONNX Runtime library (libonnxruntime.so.X.Y.Z, or a symlink to it)")
    parser.add_argument("--out", type=Path, required=True, help="the layout directory to create")
    parser.add_argument("--format", choices=sorted(MEDIA_TYPES), default="docker")
    parser.add_argument("--platforms", default="linux/amd64",
                        help="os/architecture[/variant], comma-separated (default linux/amd64)")
    parser.add_argument("--tag", default="latest", help="the reference name in index.json")
    parser.add_argument("--version", default=None,
                        help="the version label (default: the workspace version in Cargo.toml)")
    args = parser.parse_args()
    if args.version is None:
        args.version = workspace_version()
    try:
        digest = make(args)
    except Refused as refusal:
        print(f"make-dev-runner: {refusal}", file=sys.stderr)
        return 2
    print(digest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
