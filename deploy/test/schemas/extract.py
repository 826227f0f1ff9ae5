#!/usr/bin/env python3
"""Turn CustomResourceDefinitions into the JSON schemas the deploy tests validate against.

    extract.py OUT_DIR CRD.yaml [CRD.yaml ...]

For every served version of every CRD given, writes OUT_DIR/<kind>-<version>.json: the version's
`openAPIV3Schema`, with two changes that leave what it accepts unchanged or stricter:
  - `description` fields are dropped (they are most of the bytes and validate nothing);
  - an object schema that lists `properties` and neither sets `additionalProperties` nor
    `x-kubernetes-preserve-unknown-fields` gets `additionalProperties: false`. The API server
    drops unknown fields of such objects silently (pruning) and `kubectl apply` refuses them
    under strict field validation: a misspelt field in a manifest is a test failure here, not a
    setting that quietly does nothing in the cluster.
`metadata` is left open, as the API server validates it apart from the CRD's schema.
"""
import json
import sys
from pathlib import Path

import yaml


def tighten(schema):
    """One schema node, walked by its structure: a property may itself be named `properties`."""
    if not isinstance(schema, dict):
        return schema
    out = {key: value for key, value in schema.items() if key != "description"}
    if "properties" in out:
        out["properties"] = {name: tighten(sub) for name, sub in out["properties"].items()}
        if "additionalProperties" not in out and not out.get(
            "x-kubernetes-preserve-unknown-fields"
        ):
            out["additionalProperties"] = False
    for key in ("items", "additionalProperties", "not"):
        if isinstance(out.get(key), dict):
            out[key] = tighten(out[key])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in out:
            out[key] = [tighten(sub) for sub in out[key]]
    return out


def main() -> int:
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sys.argv[2:]:
        crd = yaml.safe_load(Path(path).read_text())
        kind = crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served", True):
                continue
            schema = tighten(version["schema"]["openAPIV3Schema"])
            schema.setdefault("properties", {})["metadata"] = {"type": "object"}
            target = out_dir / f"{kind}-{version['name']}.json"
            target.write_text(json.dumps(schema, sort_keys=True, separators=(",", ":")) + "\n")
            print(f"{target}: {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
