#!/usr/bin/env python3
"""Policy checks on the GitHub workflows that actionlint does not make (`make lint-workflows`).

Usage: check-workflows.py [--self-test [-v]] [FILE_OR_DIR...]    (default: .github/workflows)

Every workflow must
  - set a top-level `permissions:` that grants no write (`{}`, or read scopes only): a job gets
    only what its own block names;
  - give every job an explicit `permissions:` block, and none of them `write-all`;
  - if it runs on pull requests: grant a write scope only to a job gated to tags or pushes (an
    `if:` on refs/tags/ or on the push event), or to a job that runs no script (a pull request's
    code must never hold a write token); and never use pull_request_target;
  - give every job a `timeout-minutes` (a job that calls a reusable workflow cannot have one);
  - put no `${{ ... }}` expression in a `run:` script. An expression is pasted into the script's
    text before the shell reads it: a branch or tag name, a PR title or an input becomes code,
    and a secret is written into the script file on the runner's disk. Such values reach a
    script through `env:`, where the shell sees them as data;
  - pin every action of another repository to a full commit, with its release in a comment on
    the same line (`uses: owner/name@<40 hex> # vX.Y.Z`): a tag or a branch can be moved to other
    code, a commit cannot.
A workflow that builds the images (a `run:` with `make build-images`) and filters its
pull_request trigger by `paths:` must match every file the build reads: each COPY/ADD source of
container/**/Dockerfile* (read with BuildKit's own parser, the `dockerfile` package of
tests/requirements.txt), container/ itself, the Makefile and .dockerignore.

--self-test breaks the workflows in memory, one fault at a time, and checks that each fault is
found: a check that cannot fail proves nothing. Exit 0 when clean, 1 with one line per finding.
"""
import copy
import os
import re
import sys

import dockerfile
import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
# Read by the image build besides the Dockerfiles' COPY sources: the Makefile includes
# container/images.mk and container/digests.env; .dockerignore decides what the context holds.
IMAGE_BUILD_INPUTS = ["Makefile", ".dockerignore", "container"]
SKIP_DIRS = {"target", ".venv", "__pycache__", ".git"}
COMMIT = re.compile(r"[0-9a-f]{40}\Z")


def triggers(doc):
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True.
    return doc.get("on", doc.get(True)) or {}


def trigger_names(doc):
    on = triggers(doc)
    return [on] if isinstance(on, str) else list(on)


def grants_write(permissions):
    if permissions == "write-all":
        return True
    if isinstance(permissions, dict):
        return any(value == "write" for value in permissions.values())
    return False


def check_permissions(name, doc):
    findings = []
    if "permissions" not in doc:
        findings.append(f"{name}: no top-level permissions (set `permissions: {{}}` or read scopes)")
    elif grants_write(doc["permissions"]):
        findings.append(f"{name}: the top-level permissions grant write ({doc['permissions']!r}); "
                        "grant it in the job that needs it")
    for job_id, job in (doc.get("jobs") or {}).items():
        if "permissions" not in job:
            findings.append(f"{name}: job {job_id} has no permissions block")
        elif job["permissions"] == "write-all":
            findings.append(f"{name}: job {job_id} has permissions write-all; name the scopes")
    return findings


def gated_off_pull_requests(job):
    condition = str(job.get("if", ""))
    return "refs/tags/" in condition or "github.event_name == 'push'" in condition


def check_pull_request_writes(name, doc):
    names = trigger_names(doc)
    if "pull_request" not in names and "pull_request_target" not in names:
        return []
    findings = []
    if "pull_request_target" in names:
        findings.append(f"{name}: pull_request_target runs a fork's pull request with a write token")
    for job_id, job in (doc.get("jobs") or {}).items():
        if not grants_write(job.get("permissions")) or gated_off_pull_requests(job):
            continue
        # A job that runs on pull requests may hold a write scope only if it runs no code of the
        # pull request: no run: step, no local action, and it calls no reusable workflow.
        job_steps = job.get("steps") or []
        runs_code = any("run" in st or str(st.get("uses", "")).startswith("./") for st in job_steps)
        if "uses" in job or runs_code:
            findings.append(f"{name}: job {job_id} grants write ({job['permissions']!r}) and runs "
                            "scripts on pull requests; gate it to tags (if:) or move the write "
                            "to a job that runs no script")
    return findings


def check_timeouts(name, doc):
    return [f"{name}: job {job_id} has no timeout-minutes"
            for job_id, job in (doc.get("jobs") or {}).items()
            if "uses" not in job and "timeout-minutes" not in job]


def steps(doc):
    for job_id, job in (doc.get("jobs") or {}).items():
        for index, step in enumerate(job.get("steps") or []):
            yield job_id, step.get("name") or step.get("uses") or f"step {index + 1}", step


def check_run_expressions(name, doc):
    findings = []
    for job_id, label, step in steps(doc):
        script = step.get("run")
        if not isinstance(script, str):
            continue
        for expression in re.findall(r"\$\{\{(.*?)\}\}", script, re.DOTALL):
            what = "a secret" if "secrets." in expression else "an expression"
            findings.append(f"{name}: job {job_id}, step '{label}': {what} in a run: script "
                            f"(${{{{{expression}}}}}); pass it through env:")
    return findings


def check_action_refs(name, doc, text):
    findings = []
    uses = [(job_id, job["uses"]) for job_id, job in (doc.get("jobs") or {}).items() if "uses" in job]
    uses += [(job_id, step["uses"]) for job_id, _, step in steps(doc) if "uses" in step]
    for job_id, ref in uses:
        if ref.startswith(("./", "docker://")):
            continue
        _, _, version = ref.partition("@")
        if not COMMIT.match(version):
            findings.append(f"{name}: job {job_id}: {ref} is not pinned to a full commit")
    # Comments are not in the parsed workflow: each line that pins an action is read as text.
    for number, line in enumerate(text.splitlines(), 1):
        pinned = re.match(r"\s*(?:-\s+)?uses:\s*[\"']?([^\s\"']+@[0-9a-f]{40})\b[\"']?\s*(#\s*\S)?", line)
        if pinned and not pinned.group(2):
            findings.append(f"{name}:{number}: {pinned.group(1)} has no comment naming its release")
    return findings


def pattern_regex(pattern):
    # GitHub's filter patterns: `**` crosses directories, `*` does not.
    parts = re.split(r"(\*\*|\*)", pattern)
    body = "".join(".*" if p == "**" else "[^/]*" if p == "*" else re.escape(p) for p in parts)
    return re.compile(body + r"\Z")


def path_matches(path, patterns):
    included = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if pattern_regex(pattern[1:] if negated else pattern).match(path):
            included = not negated
    return included


def files_under(relpath):
    full = os.path.join(ROOT, relpath)
    if not os.path.isdir(full):
        return [relpath.rstrip("/")]
    found = []
    for directory, subdirs, files in os.walk(full):
        subdirs[:] = [d for d in subdirs if d not in SKIP_DIRS]
        found += [os.path.relpath(os.path.join(directory, f), ROOT) for f in files]
    return found or [relpath.rstrip("/") + "/"]


def dockerfile_sources():
    sources = []
    for directory, _, files in os.walk(os.path.join(ROOT, "container")):
        for file in sorted(files):
            if not file.startswith("Dockerfile"):
                continue
            for command in dockerfile.parse_file(os.path.join(directory, file)):
                if command.cmd.lower() not in ("copy", "add"):
                    continue
                if any(flag.startswith("--from") for flag in command.flags):
                    continue
                for source in command.value[:-1]:
                    # A glob source: its directory part stands for it.
                    source = re.split(r"[*?\[]", source)[0] or "."
                    sources.append(os.path.normpath(source))
    return sources


def builds_images(doc):
    return any("make build-images" in (step.get("run") or "") for _, _, step in steps(doc))


def check_image_paths(name, doc, path):
    on = triggers(doc)
    pull_request = on.get("pull_request") if isinstance(on, dict) else None
    if not builds_images(doc) or not isinstance(pull_request, dict) or "paths" not in pull_request:
        return []
    patterns = pull_request["paths"]
    # The workflow's own file, where it lives in the repository (also for a copy checked elsewhere).
    inputs = dockerfile_sources() + IMAGE_BUILD_INPUTS + [f".github/workflows/{os.path.basename(path)}"]
    findings = []
    for source in sorted(set(inputs)):
        missed = [f for f in files_under(source) if not path_matches(f, patterns)]
        if missed:
            findings.append(f"{name}: the pull_request paths filter misses {source} "
                            f"(the image build reads it), e.g. {missed[0]}")
    return findings


def check(name, doc, text, path):
    return (check_permissions(name, doc) + check_pull_request_writes(name, doc)
            + check_timeouts(name, doc)
            + check_run_expressions(name, doc) + check_action_refs(name, doc, text)
            + check_image_paths(name, doc, path))


def workflow_files(args):
    files = []
    for arg in args or [os.path.join(ROOT, ".github", "workflows")]:
        if os.path.isdir(arg):
            files += sorted(os.path.join(arg, f) for f in os.listdir(arg) if f.endswith((".yml", ".yaml")))
        else:
            files.append(arg)
    return files


def display(path):
    relative = os.path.relpath(path, ROOT)
    return path if relative.startswith("..") else relative


def load(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return yaml.safe_load(text), text


def first_job(doc):
    return next(iter(doc["jobs"].values()))


def first_run_step(doc):
    return next(step for _, _, step in steps(doc) if "run" in step)


def first_uses_step(doc):
    return next(step for _, _, step in steps(doc) if "uses" in step)


def drop_first_release_comment(text):
    changed = re.sub(r"(uses:\s*\S+@[0-9a-f]{40})\s+#[^\n]*", r"\1", text, count=1)
    if changed == text:
        raise ValueError("no pinned action")
    return changed


# One fault each, and a word the finding it causes must contain. A fault is made in the parsed
# workflow, or (a release comment) in its text.
SABOTAGE = [
    ("a job without permissions", lambda d: first_job(d).pop("permissions"), "has no permissions"),
    ("write-all on a job", lambda d: first_job(d).update(permissions="write-all"), "write-all"),
    ("packages: write for a job that runs pull requests' code",
     lambda d: first_job(d)["permissions"].update(packages="write"), "runs scripts on pull requests"),
    ("a tag-only job with write, its if: removed",
     lambda d: next(j for j in d["jobs"].values()
                    if grants_write(j["permissions"]) and any("run" in st for st in j["steps"])).pop("if"),
     "runs scripts on pull requests"),
    ("no top-level permissions", lambda d: d.pop("permissions"), "no top-level permissions"),
    ("write at the top level", lambda d: d.update(permissions={"contents": "write"}), "grant write"),
    ("a job without timeout", lambda d: first_job(d).pop("timeout-minutes"), "timeout-minutes"),
    ("the token in a run: line",
     lambda d: first_run_step(d).update(run='echo "${{ secrets.GITHUB_TOKEN }}" | docker login x'),
     "a secret in a run: script"),
    ("the tag name in a run: line",
     lambda d: first_run_step(d).update(run="gh release view ${{ github.ref_name }}"),
     "an expression in a run: script"),
    ("an action on a branch",
     lambda d: first_uses_step(d).update(uses=first_uses_step(d)["uses"].split("@")[0] + "@main"),
     "not pinned to a full commit"),
    ("an action on a tag",
     lambda d: first_uses_step(d).update(uses=first_uses_step(d)["uses"].split("@")[0] + "@v4"),
     "not pinned to a full commit"),
]
TEXT_SABOTAGE = [
    ("a pinned action without its release comment", drop_first_release_comment, "no comment naming"),
]
PATH_SABOTAGE = [
    (f"{pattern} left out of the paths filter",
     lambda d, p=pattern: triggers(d)["pull_request"]["paths"].remove(p), "paths filter misses")
    for pattern in ("Makefile", "docs/**", "tests/**", ".dockerignore")
]


def self_test(files, verbose):
    failures, lines = 0, []
    for path in files:
        name = display(path)
        original, text = load(path)
        cases = SABOTAGE + (PATH_SABOTAGE if check_image_paths(name, original, path) == []
                            and builds_images(original) else [])
        cases = [(label, sabotage, expected, False) for label, sabotage, expected in cases]
        cases += [(label, sabotage, expected, True) for label, sabotage, expected in TEXT_SABOTAGE]
        for label, sabotage, expected, in_text in cases:
            doc, broken_text = copy.deepcopy(original), text
            try:
                if in_text:
                    broken_text = sabotage(text)
                else:
                    sabotage(doc)
            except (AttributeError, KeyError, ValueError, StopIteration):
                lines.append(f"self-test {name}: {label}: not applicable (nothing to break that way)")
                continue
            found = [f for f in check(name, doc, broken_text, path) if expected in f]
            lines.append(f"self-test {name}: {label}: " + (f"found ({found[0]})" if found else "NOT FOUND"))
            failures += not found
    checked = sum(1 for line in lines if not line.endswith("way)"))
    # Every line when a fault went unseen or when asked (-v); the count otherwise.
    if failures or verbose:
        print("\n".join(lines))
    return failures, checked


def main(argv):
    test = "--self-test" in argv
    files = workflow_files([a for a in argv if a not in ("--self-test", "-v")])
    if not files:
        print("check-workflows: no workflow file found", file=sys.stderr)
        return 1
    if test:
        failures, checked = self_test(files, "-v" in argv)
        print(f"check-workflows self-test: {checked - failures} of {checked} sabotaged copies "
              f"found faulty{'' if not failures else f', {failures} NOT'}")
        return 1 if failures else 0
    findings = []
    for path in files:
        findings += check(display(path), *load(path), path)
    for finding in findings:
        print(finding)
    names = ", ".join(display(f) for f in files)
    print(f"check-workflows: {len(findings)} finding(s) in {names}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
