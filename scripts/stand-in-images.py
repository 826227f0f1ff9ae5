#!/usr/bin/env python3
"""Write an OCI image archive of stand-in base images for `docker build --check`.

The parity test (crates/berth-lint/tests/docker_check_parity.rs) runs BuildKit's checks on an
engine that can pull nothing; BuildKit still reads each base image's config (its ENV, its
platform). The test tags one of these stand-ins with every name BuildKit asks for:

- `berth-standin:multi`: one image for every Linux platform, for ordinary names;
- `berth-standin:<os>-<arch><variant>`: one platform only, for the names that fix one (Docker
  Hub's `arm64v8/...` repositories, Windows images), so `InvalidBaseImagePlatform` can fire.

Each image has one empty layer and a config whose only ENV is PATH: the facts berth assumes of
an image it has not seen.
"""

import hashlib
import io
import json
import sys
import tarfile

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
LINUX = [
    ("amd64", None),
    ("arm64", None),
    ("arm", "v7"),
    ("arm", "v6"),
    ("386", None),
    ("ppc64le", None),
    ("s390x", None),
    ("riscv64", None),
]
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


class Archive:
    def __init__(self):
        self.blobs = {}

    def blob(self, content, media_type):
        data = content if isinstance(content, bytes) else json.dumps(content, sort_keys=True).encode()
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def image(self, os_name, arch, variant, layer):
        platform = {"os": os_name, "architecture": arch} | ({"variant": variant} if variant else {})
        config = self.blob(
            platform | {"config": {"Env": [PATH_ENV]}, "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}},
            "application/vnd.oci.image.config.v1+json",
        )
        manifest = self.blob({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer]}, OCI_MANIFEST)
        return manifest, platform


def main(out):
    archive = Archive()
    empty = io.BytesIO()
    tarfile.open(fileobj=empty, mode="w").close()
    layer = archive.blob(empty.getvalue(), "application/vnd.oci.image.layer.v1.tar")
    named = {}
    every = []
    for os_name, arch, variant in [("linux", a, v) for a, v in LINUX] + [("windows", "amd64", None)]:
        manifest, platform = archive.image(os_name, arch, variant, layer)
        named[f"{os_name}-{arch}{variant or ''}"] = manifest
        if os_name == "linux":
            every.append(manifest | {"platform": platform})
    named["multi"] = archive.blob({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": every}, OCI_INDEX)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
    for tag, target in named.items():
        annotations = {"io.containerd.image.name": f"docker.io/library/berth-standin:{tag}", "org.opencontainers.image.ref.name": tag}
        index["manifests"].append(target | {"annotations": annotations})
    with tarfile.open(out, "w") as tar:
        files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": json.dumps(index).encode()}
        files |= {f"blobs/sha256/{d.split(':')[1]}": data for d, data in archive.blobs.items()}
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    main(sys.argv[1])
