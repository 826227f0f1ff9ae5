#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# make examples-images-test: put each example's trained model into the runner image
# (container/examples/Dockerfile.example-*), run it with podman on 127.0.0.1, and check its answers
# against scikit-learn with the example's own script (BERTH_URL mode). Needs the runner image
# (make images-test builds it) and the models of `make examples`. Removes what it makes.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
runner=localhost/berth-runner:latest
podman image exists "$runner" || { echo "no $runner: run make images-test first" >&2; exit 1; }
python=$root/.venv/bin/python
for example in logistic-regression random-forest neural-network; do
  script=examples/train_and_serve_${example//-/_}.py
  model=examples/out/${example//-/_}/model.onnx
  [ -f "$model" ] || { echo "$model missing: run make examples" >&2; exit 1; }
  image=localhost/berth-example-$example:latest
  buildah bud --layers --force-rm --format docker --pull=never --isolation chroot --quiet \
    --build-arg RUNNER_IMAGE="$runner" -f "container/examples/Dockerfile.example-$example" \
    -t "$image" . >/dev/null
  port=$(free_port)
  name=berth-example-$example-$$
  podman run -d --pull=never --name "$name" -e HOST=127.0.0.1 -e PORT="$port" "$image" >/dev/null
  if ! wait_http "http://127.0.0.1:$port/ready" 30; then
    podman logs "$name" >&2; podman rm -f "$name" >/dev/null; exit 1
  fi
  rc=0
  BERTH_URL="http://127.0.0.1:$port" "$python" "$script" || rc=$?
  podman rm -f -t 2 "$name" >/dev/null 2>&1 || true
  podman rmi "$image" >/dev/null 2>&1 || true
  [ "$rc" = 0 ] || { echo "example image $example: the check failed" >&2; exit 1; }
  echo "example image $example: $(stat -c %s "$model")-byte model, answers match scikit-learn"
done
