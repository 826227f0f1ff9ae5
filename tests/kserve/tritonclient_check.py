#!/usr/bin/env python3
"""Talk to a running berth with a real KServe v2 client (tritonclient) and check its answers.

Usage: tritonclient_check.py --url 127.0.0.1:PORT --model FIXTURE [--name NAME] --expected expected.json

FIXTURE is the fixture model served; NAME its name on the server (MODEL_NAME), FIXTURE when not
given. Checks server and model liveness/readiness, the model repository index (the one model,
READY, under NAME; under another name the model is not ready), model metadata against the
fixture's description, then runs the fixture's check rows twice, with the binary tensor
extension and with plain JSON, and compares every output with onnxruntime's expected values
(integers and strings exactly, floats within 1e-5; ZipMap rows come back as BYTES holding one
JSON object per row), the answer's model name included.
Exits 0 when everything matches, 1 with the first difference otherwise.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import tritonclient.http as httpclient

NUMPY = {"FP32": np.float32, "FP64": np.float64, "INT64": np.int64, "INT32": np.int32, "BOOL": np.bool_, "BYTES": np.object_}


def fail(message: str) -> None:
    print(f"FAIL: {message}")
    sys.exit(1)


def close(got, want, what: str) -> None:
    got = np.asarray(got, dtype=np.float64).ravel()
    want = np.asarray(want, dtype=np.float64).ravel()
    if got.shape != want.shape or not np.allclose(got, want, atol=1e-5, rtol=0):
        fail(f"{what}: berth {got.tolist()} vs onnxruntime {want.tolist()}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--model", required=True, help="the fixture served")
    parser.add_argument("--name", help="the model's name on the server (default: --model)")
    parser.add_argument("--expected", required=True)
    args = parser.parse_args()
    entry = json.load(open(args.expected))["models"][args.model]
    served = args.name or args.model

    client = httpclient.InferenceServerClient(url=args.url, network_timeout=30.0)
    if not (client.is_server_live() and client.is_server_ready() and client.is_model_ready(served)):
        fail("server or model not live/ready")
    if served != args.model and client.is_model_ready(args.model):
        fail(f"the model is ready under its file's name {args.model!r} too, not only as {served!r}")
    if client.get_server_metadata()["name"] != "berth":
        fail("server metadata does not name berth")
    index = client.get_model_repository_index()
    if index != [{"name": served, "version": "1", "state": "READY", "reason": ""}]:
        fail(f"repository index {index}")
    metadata = client.get_model_metadata(served)
    if metadata["name"] != served:
        fail(f"metadata names {metadata['name']!r}, not {served!r}")
    names = [i["name"] for i in metadata["inputs"]]
    if names != [i["name"] for i in entry["inputs"]]:
        fail(f"metadata inputs {names} != {entry['inputs']}")

    for binary in (True, False):
        inputs = []
        for spec in metadata["inputs"]:
            values = entry["check_inputs"][spec["name"]]
            array = np.array(values, dtype=NUMPY[spec["datatype"]])
            if spec["datatype"] == "BYTES":
                array = np.array([[v.encode() for v in row] for row in values], dtype=np.object_)
            tensor = httpclient.InferInput(spec["name"], list(array.shape), spec["datatype"])
            tensor.set_data_from_numpy(array, binary_data=binary)
            inputs.append(tensor)
        outputs = [httpclient.InferRequestedOutput(o["name"], binary_data=binary) for o in metadata["outputs"]]
        result = client.infer(served, inputs, outputs=outputs, request_id="check-1")
        if result.get_response()["id"] != "check-1":
            fail("request id not echoed")
        if result.get_response()["model_name"] != served:
            fail(f"the answer names {result.get_response()['model_name']!r}, not {served!r}")
        mode = "binary" if binary else "json"
        for output in metadata["outputs"]:
            name = output["name"]
            got = result.as_numpy(name)
            want = entry["expected"][name]
            what = f"{args.model}.{name} ({mode})"
            if got is None:
                fail(f"{what}: missing")
            if output["datatype"] == "BYTES":
                rows = [v.decode() if isinstance(v, bytes) else str(v) for v in got.ravel()]
                if want and isinstance(want[0], dict):
                    parsed = [json.loads(r) for r in rows]
                    for g, w in zip(parsed, want):
                        if list(g) != list(w):
                            fail(f"{what}: keys {list(g)} vs {list(w)}")
                        close(list(g.values()), list(w.values()), what)
                elif rows != [str(v) for v in np.asarray(want).ravel()]:
                    fail(f"{what}: {rows} vs {want}")
            elif output["datatype"] in ("INT64", "INT32", "BOOL"):
                if got.ravel().tolist() != np.asarray(want).ravel().tolist():
                    fail(f"{what}: {got.ravel().tolist()} vs {want}")
            else:
                close(got, want, what)
        print(f"PASS: {args.model} as {served} via tritonclient ({mode}): {len(metadata['outputs'])} outputs match onnxruntime")
    return 0


if __name__ == "__main__":
    sys.exit(main())
