#!/usr/bin/env python3
"""Materialize berth lint's real-world corpus from its manifest.

Reads crates/berth-lint/tests/real-world/SOURCES.toml, downloads every pinned sdist from pip's
package index (PIP_INDEX_URL, else pip's own default) into .cache/real-world/sdists/ (kept and
reused: a cached file is checked again, never trusted), checks each sdist's sha256, and
extracts only the listed files, each checked against its sha256, into
.cache/real-world/corpus/<project>/<path>. Any mismatch or missing file stops the script with
an error and leaves no corpus behind. The corpus directory is rebuilt on every run, so it
holds exactly what the manifest lists.

The index's JSON simple API (PEP 691) gives each file's address; `pip download` is not used
because it builds every sdist's metadata (and so installs its build backend, for some a
compiler toolchain) before it saves the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "crates/berth-lint/tests/real-world/SOURCES.toml"
CACHE = ROOT / ".cache/real-world"
SDISTS = CACHE / "sdists"
CORPUS = CACHE / "corpus"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
TIMEOUT_SECONDS = 120


class CorpusError(Exception):
    """The manifest, the index or a downloaded file is not what was pinned."""


def pip_setting(variable: str, key: str) -> str | None:
    """A pip setting: its environment variable, else pip's configuration files."""
    if value := os.environ.get(variable):
        return value
    configured = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", key],
        capture_output=True,
        text=True,
        check=False,
    )
    return configured.stdout.strip() if configured.returncode == 0 else None


def index_url() -> str:
    """The simple index pip uses here: PIP_INDEX_URL, pip's configuration, or pip's default."""
    if url := pip_setting("PIP_INDEX_URL", "global.index-url"):
        return url
    from pip._internal.models.index import PyPI  # pip's default index, named by pip only

    return PyPI.simple_url


def tls_context() -> ssl.SSLContext:
    """TLS trusting the CA bundle pip is given (PIP_CERT, pip's `cert`), else the system's."""
    return ssl.create_default_context(cafile=pip_setting("PIP_CERT", "global.cert"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_url(
    index: str, tls: ssl.SSLContext, project: str, filename: str, sha256: str
) -> str:
    """The address of `filename` in the project's index page, whose hash must be the pinned one."""
    page = urllib.parse.urljoin(index.rstrip("/") + "/", f"{project}/")
    request = urllib.request.Request(page, headers={"Accept": SIMPLE_JSON})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=tls) as response:
        listing = json.load(response)
    for entry in listing.get("files", []):
        if entry["filename"] == filename:
            listed = entry.get("hashes", {}).get("sha256")
            if listed is not None and listed != sha256:
                raise CorpusError(f"{filename}: the index lists sha256 {listed}, the manifest {sha256}")
            return urllib.parse.urljoin(page, entry["url"])
    raise CorpusError(f"{filename}: not in the index page of {project}")


def fetch_sdist(index: str, tls: ssl.SSLContext, sdist: dict) -> Path:
    """The sdist in the cache, downloaded when missing; refused when its hash differs."""
    target = SDISTS / sdist["file"]
    if target.exists() and sha256_of(target) == sdist["sha256"]:
        return target
    url = file_url(index, tls, sdist["project"], sdist["file"], sdist["sha256"])
    SDISTS.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    with (
        urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS, context=tls) as response,
        partial.open("wb") as out,
    ):
        shutil.copyfileobj(response, out)
    got = sha256_of(partial)
    if got != sdist["sha256"]:
        partial.unlink()
        raise CorpusError(f"{sdist['file']}: sha256 {got}, pinned {sdist['sha256']}")
    partial.replace(target)
    return target


def read_members(archive: Path, wanted: set[str]) -> dict[str, bytes]:
    """The wanted paths (relative to the sdist's top directory) and their bytes."""
    found: dict[str, bytes] = {}
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                inner = name.split("/", 1)[-1]
                if inner in wanted:
                    found[inner] = z.read(name)
        return found
    with tarfile.open(archive) as t:
        for member in t.getmembers():
            inner = member.name.split("/", 1)[-1]
            if member.isfile() and inner in wanted:
                found[inner] = t.extractfile(member).read()
    return found


def materialize(manifest: dict, out: Path) -> int:
    index, tls = index_url(), tls_context()
    count = 0
    for sdist in manifest["sdist"]:
        archive = fetch_sdist(index, tls, sdist)
        wanted = {f["path"]: f["sha256"] for f in sdist["files"]}
        found = read_members(archive, set(wanted))
        for path, sha256 in wanted.items():
            if path not in found:
                raise CorpusError(f"{sdist['file']}: no file {path}")
            got = hashlib.sha256(found[path]).hexdigest()
            if got != sha256:
                raise CorpusError(f"{sdist['file']}:{path}: sha256 {got}, pinned {sha256}")
            dest = out / sdist["project"] / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(found[path])
            count += 1
    return count


def main() -> int:
    manifest = tomllib.loads(MANIFEST.read_text())
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="corpus-", dir=CACHE))
    try:
        count = materialize(manifest, staging)
    except (CorpusError, OSError, ssl.SSLError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(CORPUS, ignore_errors=True)
        print(f"real-world-corpus: {error}", file=sys.stderr)
        return 1
    shutil.rmtree(CORPUS, ignore_errors=True)
    staging.replace(CORPUS)
    print(
        f"real-world-corpus: {count} files from {len(manifest['sdist'])} sdists in "
        f"{CORPUS.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
