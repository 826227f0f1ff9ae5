#!/usr/bin/env python3
"""Dump BuildKit's parse of Dockerfiles as JSON, using the PyPI `dockerfile` package.

That package wraps BuildKit's own Go parser (parser.Parse only). Usage:

    buildkit_parse.py FILE_OR_DIR...

Prints one JSON object: {"<file name>": {"instructions": [...]} | {"error": "..."}}.
Each instruction has cmd, sub_cmd, json, original, start_line, end_line, flags, value and
heredocs (name, fd, content), exactly as the package reports them.
"""
import json
import os
import sys

import dockerfile


def dump(path):
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    try:
        commands = dockerfile.parse_string(text)
    except dockerfile.GoParseError as error:
        return {"error": str(error)}
    return {
        "instructions": [
            {
                "cmd": c.cmd,
                "sub_cmd": c.sub_cmd,
                "json": c.json,
                "original": c.original,
                "start_line": c.start_line,
                "end_line": c.end_line,
                "flags": list(c.flags),
                "value": list(c.value),
                "heredocs": [
                    {"name": h.name, "fd": h.file_descriptor, "content": h.content}
                    for h in c.heredocs
                ],
            }
            for c in commands
        ]
    }


def main(argv):
    paths = []
    for arg in argv:
        if os.path.isdir(arg):
            paths.extend(
                os.path.join(arg, name)
                for name in sorted(os.listdir(arg))
                if name.endswith(".Dockerfile")
            )
        else:
            paths.append(arg)
    result = {os.path.basename(p): dump(p) for p in paths}
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main(sys.argv[1:])
