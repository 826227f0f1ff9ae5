#!/usr/bin/env python3
"""Drop the per-build fields that buildah 1.28 (and podman 4.3) write into a docker-format image
config, so that two builds of one commit give one digest.

    normalize-image.py IMAGE

With --timestamp every date and every file time is already fixed, but the docker-format config of
these versions still carries the build container's ID ("container", "Hostname"), the ID of the
previous step's image ("parent") and history comments naming intermediate images ("FROM 1a2b…").
Later buildah releases leave these out when --timestamp is given; this does the same afterwards:
the image is copied out of containers-storage, its config rewritten, and copied back under the
same name. Layers, HEALTHCHECK, labels and everything else are untouched.
"""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BUILD_COMMENT = re.compile(r"^FROM [0-9a-f]{12}$")


def normalize(config: dict) -> dict:
    config.pop("parent", None)
    if "container" in config:
        config["container"] = ""
    for key in ("config", "container_config"):
        if isinstance(config.get(key), dict):
            config[key]["Hostname"] = ""
            config[key]["Domainname"] = ""
    for entry in config.get("history", []):
        if BUILD_COMMENT.match(entry.get("comment", "")):
            del entry["comment"]
    return config


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    image = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="berth-normalize.", dir="/var/tmp") as tmp:
        layout = Path(tmp) / "image"
        subprocess.run(["skopeo", "copy", "--quiet", f"containers-storage:{image}", f"dir:{layout}"],
                       check=True)
        manifest_path = layout / "manifest.json"
        manifest = json.loads(manifest_path.read_text())
        old_digest = manifest["config"]["digest"]
        old_blob = layout / old_digest.split(":", 1)[1]
        config = normalize(json.loads(old_blob.read_bytes()))
        data = json.dumps(config, separators=(",", ":")).encode()
        new_digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if new_digest == old_digest:
            return 0
        old_blob.unlink()
        (layout / new_digest.split(":", 1)[1]).write_bytes(data)
        manifest["config"]["digest"] = new_digest
        manifest["config"]["size"] = len(data)
        manifest_path.write_text(json.dumps(manifest, indent=3))
        subprocess.run(["skopeo", "copy", "--quiet", f"dir:{layout}", f"containers-storage:{image}"],
                       check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
