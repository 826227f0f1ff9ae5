//! `berth package` end to end: the real binary packages fixture models onto a runner-like base
//! (`scripts/images/make-dev-runner.py`: this build of berth, the ONNX Runtime library and the
//! host's C libraries in one layer), the result goes to a real registry on 127.0.0.1 (Debian's
//! `docker-registry`), an OCI layout or a docker archive, and is read back and run by other
//! tools: skopeo, umoci, podman and the Docker Engine. The answers are checked against
//! onnxruntime's own (`expected.json`).
//!
//! The tools are installed by `scripts/images/install-tools.sh` (`make test` runs it). The tests
//! are `#[ignore]`d so that the builder image, which has none of these tools, lists them as
//! skipped; `make test` runs them (`--include-ignored`), and there a missing tool fails them with
//! that advice. Every container and image a test starts is removed by a guard, and every wait is
//! bounded.

#[path = "../../berth-oci/tests/support/mod.rs"]
#[allow(dead_code)]
mod registry_support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use registry_support::{Access, Registry, free_port};
use serde_json::Value;

const BERTH: &str = env!("CARGO_BIN_EXE_berth");
/// How long a packaged image may take to answer /ping after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(30);

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    let dir = repo_root().join("tests/fixtures/models");
    assert!(
        dir.join("expected.json").is_file(),
        "run `make fixtures` first"
    );
    dir
}

fn expected(model: &str) -> Value {
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
            .unwrap();
    all["models"][model].clone()
}

/// Panics with the install advice when `tool` is not on PATH.
fn require(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "`{tool}` is not installed: run `bash scripts/images/install-tools.sh` first"
    );
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"))
}

fn run_ok(command: &mut Command) -> String {
    let output = run(command);
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Settings shared by every test: the base layouts and the registry holding the base.
struct World {
    /// A docker-format, single-platform runner-like base (what `make push` pushes).
    docker_base: PathBuf,
    /// An OCI index with linux/amd64 and linux/arm64.
    index_base: PathBuf,
    registry: Registry,
    /// Credentials files of the tests: empty, so the machine's never leak in.
    auth_home: PathBuf,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        for tool in ["skopeo", "umoci", "podman", "docker", "python3"] {
            require(tool);
        }
        // Under test_home, not a temporary directory: the world lives in a static, which is never
        // dropped, so a temporary directory would be left behind by every run.
        let dir = test_home().join("world");
        std::fs::create_dir_all(&dir).unwrap();
        let ort = berth_engine::library::LibraryLocator::from_env()
            .locate()
            .expect("the ONNX Runtime library (make onnxruntime)");
        let make_base = |name: &str, extra: &[&str]| {
            let out = dir.join(name);
            run_ok(
                Command::new("python3")
                    .arg(repo_root().join("scripts/images/make-dev-runner.py"))
                    .arg("--berth")
                    .arg(BERTH)
                    .arg("--ort-lib")
                    .arg(&ort)
                    .arg("--out")
                    .arg(&out)
                    .args(extra),
            );
            out
        };
        let docker_base = make_base("docker-base", &["--format", "docker"]);
        let index_base = make_base(
            "index-base",
            &["--format", "oci", "--platforms", "linux/amd64,linux/arm64"],
        );
        let registry = Registry::start(Access::Open);
        run_ok(Command::new("skopeo").args([
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            // skopeo 1.9 finds a docker-format image in a layout only without a name.
            &format!("oci:{}", docker_base.display()),
            &format!("docker://{}/base/runner:latest", registry.host),
        ]));
        let auth_home = dir.join("auth");
        std::fs::create_dir_all(&auth_home).unwrap();
        World {
            docker_base,
            index_base,
            registry,
            auth_home,
        }
    })
}

/// `berth package` with the machine's credentials and SOURCE_DATE_EPOCH kept out.
fn berth_package(args: &[&str]) -> Output {
    berth_package_with(args, &world().auth_home, None)
}

/// `berth package` with its credentials files under `auth_home` only, and SOURCE_DATE_EPOCH
/// as given (unset when `None`).
fn berth_package_with(args: &[&str], auth_home: &Path, source_date_epoch: Option<&str>) -> Output {
    let mut command = Command::new(BERTH);
    command
        .arg("package")
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("BERTH_BASE_IMAGE")
        .env("DOCKER_CONFIG", auth_home)
        .env("REGISTRY_AUTH_FILE", auth_home.join("auth.json"))
        .env("XDG_RUNTIME_DIR", auth_home)
        .env("XDG_CONFIG_HOME", auth_home);
    if let Some(epoch) = source_date_epoch {
        command.env("SOURCE_DATE_EPOCH", epoch);
    }
    run(&mut command)
}

/// The digest `berth package` printed, after checking it succeeded.
fn packaged(args: &[&str]) -> (String, String) {
    let output = berth_package(args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "berth package {args:?} failed: {stderr}"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line = stdout.trim().to_owned();
    let digest = line.rsplit('@').next().unwrap().to_owned();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{line}"
    );
    (digest, stderr)
}

fn model(name: &str) -> String {
    fixtures()
        .join(format!("{name}.onnx"))
        .display()
        .to_string()
}

fn skopeo_json(args: &[&str]) -> Value {
    serde_json::from_str(&run_ok(Command::new("skopeo").args(args))).unwrap()
}

/// The directory of this test binary's shared state (the bases, podman's store), emptied at its
/// first use in a run.
fn test_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let home = PathBuf::from("/var/tmp/berth-package-tests");
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
        home
    })
}

/// podman with a store of its own (vfs: no mounts left behind) and the machine's settings.
fn podman() -> Command {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    let home = HOME.get_or_init(|| {
        let home = test_home().join("podman");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(
            home.join("containers.conf"),
            "[containers]\ndefault_ulimits = []\nnetns = \"host\"\n[engine]\nruntime = \"runc\"\n\
             cgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n",
        )
        .unwrap();
        home
    });
    let mut command = Command::new("podman");
    command
        .env("CONTAINERS_CONF", home.join("containers.conf"))
        .arg("--root")
        .arg(home.join("storage"))
        .arg("--runroot")
        .arg(home.join("run"))
        .args(["--storage-driver", "vfs"]);
    command
}

/// A container removed when dropped.
struct Container {
    engine: &'static str,
    name: String,
    port: u16,
}

impl Drop for Container {
    fn drop(&mut self) {
        let mut command = if self.engine == "podman" {
            podman()
        } else {
            Command::new("docker")
        };
        let _ = command.args(["rm", "-f", &self.name]).output();
    }
}

impl Container {
    /// Starts `image` with podman or docker on a free port of the host's network.
    fn start(engine: &'static str, image: &str) -> Self {
        let port = free_port();
        let name = format!("berth-package-test-{port}");
        let mut command = if engine == "podman" {
            podman()
        } else {
            Command::new("docker")
        };
        command.args(["run", "-d", "--name", &name, "--network", "host"]);
        if engine == "podman" {
            command.arg("--tls-verify=false");
        }
        command.args(["-e", &format!("PORT={port}"), "-e", "HOST=127.0.0.1", image]);
        let container = Self { engine, name, port };
        run_ok(&mut command);
        container.wait_ready();
        container
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            // /ping answers as soon as the server listens; /ready once the model is loaded.
            if ureq::get(&self.url("/ready")).call().is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut logs = if self.engine == "podman" {
            podman()
        } else {
            Command::new("docker")
        };
        let logs = run(logs.args(["logs", &self.name]));
        panic!(
            "{} did not answer /ready within {START_TIMEOUT:?}: {}{}",
            self.name,
            String::from_utf8_lossy(&logs.stdout),
            String::from_utf8_lossy(&logs.stderr)
        );
    }

    fn invoke_csv(&self, body: &str) -> Value {
        let mut response = ureq::post(&self.url("/invocations"))
            .header("Content-Type", "text/csv")
            .header("Accept", "application/json")
            .send(body)
            .unwrap();
        let mut text = String::new();
        response
            .body_mut()
            .as_reader()
            .read_to_string(&mut text)
            .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// The user the server runs as, from the engine's view of the container's config.
    fn user(&self) -> String {
        let mut command = if self.engine == "podman" {
            podman()
        } else {
            Command::new("docker")
        };
        run_ok(command.args(["inspect", "--format", "{{.Config.User}}", &self.name]))
            .trim()
            .to_owned()
    }
}

/// The answers of the external-data model for its check rows, against onnxruntime's.
fn check_external_weights(container: &Container) {
    let expected = expected("external_weights");
    let rows = expected["check_inputs"]["x"].as_array().unwrap();
    let csv: Vec<String> = rows
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap().to_string())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let answer = container.invoke_csv(&csv.join("\n"));
    let got = answer["predictions"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"));
    let want = expected["expected"]["y"].as_array().unwrap();
    assert_eq!(got.len(), want.len(), "{answer}");
    for (got_row, want_row) in got.iter().zip(want) {
        for (g, w) in got_row
            .as_array()
            .unwrap()
            .iter()
            .zip(want_row.as_array().unwrap())
        {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            assert!(
                (g - w).abs() <= 1e-5 * w.abs().max(1.0),
                "{answer} vs {want:?}"
            );
        }
    }
}

/// The first Iris check row's label (its top probability is 0.98: no CPU changes it).
fn check_iris_label(container: &Container) {
    let expected = expected("iris_logreg");
    let row = expected["check_inputs"]["features"][0].as_array().unwrap();
    let csv: Vec<String> = row
        .iter()
        .map(|v| v.as_f64().unwrap().to_string())
        .collect();
    let answer = container.invoke_csv(&csv.join(","));
    assert_eq!(
        answer["predictions"][0], expected["expected"]["output_label"][0],
        "{answer}"
    );
}

fn registry_manifest(reference: &str) -> Value {
    skopeo_json(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{reference}"),
    ])
}

/// The config blob as stored (`skopeo inspect --config` reads it as an OCI config, which has no
/// healthcheck).
fn registry_config(host: &str, repository: &str, manifest: &Value) -> Value {
    let digest = manifest["config"]["digest"].as_str().unwrap();
    let text = ureq::get(&format!("http://{host}/v2/{repository}/blobs/{digest}"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
#[ignore = "needs docker-registry, skopeo, umoci, podman and the Docker Engine; `make test` runs it"]
fn a_pushed_image_runs_with_podman_and_answers_as_onnxruntime() {
    let world = world();
    let host = &world.registry.host;
    let target = format!("{host}/models/external:1");
    let (digest, report) = packaged(&[
        &model("external_weights"),
        "-t",
        &target,
        "--base",
        &format!("{host}/base/runner:latest"),
        "--model-name",
        "weights-demo",
        "--label",
        "org.example.team=ml",
        "--env",
        "MAX_RECORDS=100",
    ]);
    assert!(report.contains("mounted"), "{report}");
    let manifest = registry_manifest(&target);
    let base = registry_manifest(&format!("{host}/base/runner:latest"));
    assert_eq!(
        manifest["mediaType"], "application/vnd.docker.distribution.manifest.v2+json",
        "a docker-format base gives a docker-format image (its healthcheck kept)"
    );
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), base["layers"].as_array().unwrap().len() + 1);
    assert_eq!(
        layers.last().unwrap()["mediaType"],
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "docker schema 2 names only gzip layers"
    );
    assert_eq!(
        layers[..layers.len() - 1],
        base["layers"].as_array().unwrap()[..]
    );
    let config = registry_config(host, "models/external", &manifest);
    let labels = &config["config"]["Labels"];
    assert_eq!(labels["dev.berth.model.file"], "weights-demo.onnx");
    assert_eq!(
        labels["dev.berth.model.sha256"],
        expected("external_weights")["sha256"]
    );
    assert_eq!(
        labels["org.opencontainers.image.base.name"],
        format!("{host}/base/runner:latest")
    );
    assert!(
        labels["org.opencontainers.image.base.digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(config["created"], "1970-01-01T00:00:00Z");
    assert!(
        config["config"]["Healthcheck"]["Test"].is_array(),
        "{config}"
    );
    let env: Vec<&str> = config["config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(env.contains(&"MODEL_FILENAME=weights-demo.onnx"), "{env:?}");
    assert!(env.contains(&"MAX_RECORDS=100"), "{env:?}");
    assert_eq!(labels["org.example.team"], "ml");

    let container = Container::start("podman", &format!("{host}/models/external@{digest}"));
    assert_eq!(container.user(), "10001:10001");
    check_external_weights(&container);
    let health = run(podman().args(["healthcheck", "run", &container.name]));
    assert!(
        health.status.success(),
        "healthcheck: {}",
        String::from_utf8_lossy(&health.stderr)
    );
    let models: Value = serde_json::from_str(
        &ureq::get(&container.url("/v2/models/weights-demo"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(models["name"], "weights-demo");
}

#[test]
#[ignore = "needs docker-registry, skopeo, umoci, podman and the Docker Engine; `make test` runs it"]
fn two_runs_give_one_digest_and_a_new_model_changes_and_uploads_only_its_layer() {
    let world = world();
    let host = &world.registry.host;
    let base = format!("{host}/base/runner:latest");
    let target = format!("{host}/models/iris:1");
    let (first, _) = packaged(&[&model("iris_logreg"), "-t", &target, "--base", &base]);
    let uploads_after_first = world.registry.completed_uploads("models/iris");
    let (second, report) = packaged(&[&model("iris_logreg"), "-t", &target, "--base", &base]);
    assert_eq!(first, second);
    assert!(report.contains("pushed: 0 blob(s) uploaded"), "{report}");
    assert_eq!(
        world.registry.completed_uploads("models/iris"),
        uploads_after_first,
        "the registry received blobs on a re-push of the same image"
    );
    let before = registry_manifest(&target);

    // Another model, same name in the image: only its layer and the config are new.
    let target_v2 = format!("{host}/models/iris:2");
    let (changed, report) = packaged(&[
        &model("iris_mlp"),
        "-t",
        &target_v2,
        "--base",
        &base,
        "--model-name",
        "iris_logreg",
    ]);
    assert_ne!(first, changed);
    assert!(report.contains("pushed: 2 blob(s) uploaded"), "{report}");
    let after = registry_manifest(&target_v2);
    let (old, new) = (
        before["layers"].as_array().unwrap(),
        after["layers"].as_array().unwrap(),
    );
    assert_eq!(old.len(), new.len());
    assert_eq!(old[..old.len() - 1], new[..new.len() - 1]);
    assert_ne!(old.last(), new.last());
    let received: Vec<String> = world
        .registry
        .completed_uploads("models/iris")
        .into_iter()
        .skip(uploads_after_first.len())
        .collect();
    let mut expected_uploads = vec![
        new.last().unwrap()["digest"].as_str().unwrap().to_owned(),
        after["config"]["digest"].as_str().unwrap().to_owned(),
    ];
    let mut received_sorted = received.clone();
    received_sorted.sort();
    expected_uploads.sort();
    assert_eq!(
        received_sorted, expected_uploads,
        "the registry received {received:?}"
    );
}

#[test]
#[ignore = "needs docker-registry, skopeo, umoci, podman and the Docker Engine; `make test` runs it"]
fn an_index_base_gives_an_index_with_the_model_layer_in_every_platform() {
    let world = world();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("layout");
    let (digest, _) = packaged(&[
        &model("iris_logreg"),
        "-t",
        "models/iris:1",
        "--base",
        &format!("oci:{}:latest", world.index_base.display()),
        "--output",
        &format!("oci:{}", out.display()),
    ]);
    let index = skopeo_json(&["inspect", "--raw", &format!("oci:{}:1", out.display())]);
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let manifests = index["manifests"].as_array().unwrap();
    let platforms: Vec<&str> = manifests
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap())
        .collect();
    assert_eq!(platforms, ["amd64", "arm64"]);
    let mut model_layers = Vec::new();
    for entry in manifests {
        let blob = out
            .join("blobs/sha256")
            .join(&entry["digest"].as_str().unwrap()[7..]);
        let manifest: Value = serde_json::from_slice(&std::fs::read(blob).unwrap()).unwrap();
        model_layers.push(manifest["layers"].as_array().unwrap().last().unwrap()["digest"].clone());
    }
    assert_eq!(model_layers[0], model_layers[1]);
    assert_eq!(model_layers.len(), 2);
    let first: Value = serde_json::from_slice(
        &std::fs::read(
            out.join("blobs/sha256")
                .join(&manifests[0]["digest"].as_str().unwrap()[7..]),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        first["layers"].as_array().unwrap().last().unwrap()["mediaType"],
        "application/vnd.oci.image.layer.v1.tar",
        "an OCI image keeps the model layer as a plain tar"
    );
    let digest_of_index = format!(
        "sha256:{}",
        sha256_hex_of(&std::fs::read(out.join("blobs/sha256").join(&digest[7..])).unwrap())
    );
    assert_eq!(digest_of_index, digest);

    // One platform asked for: one manifest, not an index; umoci reads the model back. The time
    // comes from SOURCE_DATE_EPOCH, the digest goes to --digest-file too.
    let single = dir.path().join("single");
    let digest_file = dir.path().join("digest");
    let output = berth_package_with(
        &[
            &model("iris_logreg"),
            "-t",
            "models/iris:1",
            "--base",
            &format!("oci:{}:latest", world.index_base.display()),
            "--platform",
            "linux/amd64",
            "--output",
            &format!("oci:{}:amd64", single.display()),
            "--digest-file",
            digest_file.to_str().unwrap(),
        ],
        &world.auth_home,
        Some("1700000000"),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).unwrap();
    assert_eq!(std::fs::read_to_string(&digest_file).unwrap(), printed);
    let config = skopeo_json(&[
        "inspect",
        "--config",
        &format!("oci:{}:amd64", single.display()),
    ]);
    assert_eq!(config["created"], "2023-11-14T22:13:20Z");
    let manifest = skopeo_json(&[
        "inspect",
        "--raw",
        &format!("oci:{}:amd64", single.display()),
    ]);
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    let bundle = dir.path().join("bundle");
    run_ok(
        Command::new("umoci")
            .args(["unpack", "--rootless", "--image"])
            .arg(format!("{}:amd64", single.display()))
            .arg(&bundle),
    );
    let unpacked = bundle.join("rootfs/opt/ml/model/iris_logreg.onnx");
    assert_eq!(
        std::fs::read(&unpacked).unwrap(),
        std::fs::read(model("iris_logreg")).unwrap()
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&unpacked).unwrap().permissions().mode() & 0o777,
        0o444
    );

    let missing = berth_package(&[
        &model("iris_logreg"),
        "-t",
        "models/iris:1",
        "--base",
        &format!("oci:{}:latest", world.index_base.display()),
        "--platform",
        "linux/s390x",
        "--output",
        &format!("oci:{}", dir.path().join("none").display()),
    ]);
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(!missing.status.success());
    assert!(
        stderr.contains("has no platform linux/s390x (it has: linux/amd64, linux/arm64)"),
        "{stderr}"
    );
}

fn sha256_hex_of(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
#[ignore = "needs docker-registry, skopeo, umoci, podman and the Docker Engine; `make test` runs it"]
fn a_docker_archive_loads_and_runs_in_docker_and_the_registry_image_pulls() {
    let world = world();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("iris.tar");
    let name = format!("berth-package-test/iris:{}", free_port());
    packaged(&[
        &model("iris_logreg"),
        "-t",
        &name,
        "--base",
        &format!("oci:{}:latest", world.docker_base.display()),
        "--output",
        &format!("docker-archive:{}", archive.display()),
        // A plain-tar layer in a docker-format image: the engine loads it all the same.
        "--compression",
        "none",
    ]);
    let loaded = run_ok(Command::new("docker").args(["load", "-i"]).arg(&archive));
    assert!(loaded.contains(&name), "{loaded}");
    let guard = Image(name.clone());
    {
        let container = Container::start("docker", &name);
        check_iris_label(&container);
        assert_eq!(container.user(), "10001:10001");
    }
    drop(guard);

    // The same image through the registry, pulled by the Docker Engine (loopback registries are
    // insecure registries to it by default).
    let pushed = format!("{}/models/docker-pull:1", world.registry.host);
    packaged(&[
        &model("iris_logreg"),
        "-t",
        &pushed,
        "--base",
        &format!("{}/base/runner:latest", world.registry.host),
        // Compressed for real this time: the engine decompresses what flate2 wrote.
        "--compression",
        "gzip",
    ]);
    run_ok(Command::new("docker").args(["pull", "-q", &pushed]));
    let _guard = Image(pushed.clone());
    let container = Container::start("docker", &pushed);
    check_iris_label(&container);
}

/// A Docker Engine image removed when dropped.
struct Image(String);

impl Drop for Image {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rmi", "-f", &self.0]).output();
    }
}

#[test]
#[ignore = "needs docker-registry, skopeo, umoci, podman and the Docker Engine; `make test` runs it"]
fn failures_say_what_is_wrong_and_leave_nothing_half_done() {
    let world = world();
    let dir = tempfile::tempdir().unwrap();
    let base = format!("oci:{}:latest", world.docker_base.display());
    let out = dir.path().join("out");
    let out_arg = format!("oci:{}", out.display());
    let refused = |args: &[&str], message: &str| {
        let output = berth_package(args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} left {}", out.display());
    };
    // Not a model.
    let not_onnx = dir.path().join("model.onnx");
    std::fs::write(&not_onnx, b"PK\x03\x04 a zip, not ONNX").unwrap();
    refused(
        &[
            not_onnx.to_str().unwrap(),
            "-t",
            "m/x:1",
            "--base",
            &base,
            "--output",
            &out_arg,
        ],
        "is not an ONNX file: it is a zip archive",
    );
    // A model ONNX Runtime cannot run.
    refused(
        &[
            &model("fails_at_run"),
            "-t",
            "m/x:1",
            "--base",
            &base,
            "--output",
            &out_arg,
        ],
        "does not package it",
    );
    // Not a reference.
    refused(
        &[
            &model("iris_logreg"),
            "-t",
            "Models/UPPER:1",
            "--base",
            &base,
            "--output",
            &out_arg,
        ],
        "invalid image reference",
    );
    // Not a runner: the index base's arm64 entry is fine, but a layout of something else is not.
    let other = dir.path().join("other");
    write_non_runner_layout(&other);
    refused(
        &[
            &model("iris_logreg"),
            "-t",
            "m/x:1",
            "--base",
            &format!("oci:{}", other.display()),
            "--output",
            &out_arg,
        ],
        "is not a berth runner image",
    );
    // An unreachable registry, in bounded time.
    let closed = free_port();
    let started = Instant::now();
    refused(
        &[
            &model("iris_logreg"),
            "-t",
            &format!("127.0.0.1:{closed}/m/x:1"),
            "--base",
            &base,
        ],
        "unreachable",
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    // Bad credentials: nothing is pushed.
    let protected = Registry::start(Access::Basic);
    let auth = dir.path().join("docker");
    std::fs::create_dir_all(&auth).unwrap();
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode("berth:wrong password");
    std::fs::write(
        auth.join("config.json"),
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{token}"}}}}}}"#,
            protected.host
        ),
    )
    .unwrap();
    let output = berth_package_with(
        &[
            &model("iris_logreg"),
            "-t",
            &format!("{}/m/x:1", protected.host),
            "--base",
            &base,
        ],
        &auth,
        None,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("refused access"), "{stderr}");
    let tags = run(Command::new("skopeo").args([
        "list-tags",
        "--tls-verify=false",
        "--creds",
        &format!("{}:{}", registry_support::USER, registry_support::PASSWORD),
        &format!("docker://{}/m/x", protected.host),
    ]));
    assert!(
        !tags.status.success(),
        "a tag was pushed: {}",
        String::from_utf8_lossy(&tags.stdout)
    );
}

/// An OCI layout whose image runs a shell, not berth.
fn write_non_runner_layout(dir: &Path) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let digest = format!("sha256:{}", sha256_hex_of(bytes));
        std::fs::write(blobs.join(&digest[7..]), bytes).unwrap();
        (digest, bytes.len())
    };
    let (layer, layer_size) = put(&[0u8; 1024]);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Entrypoint":["/bin/sh"]}},"rootfs":{{"type":"layers","diff_ids":["{layer}"]}}}}"#
    );
    let (config_digest, config_size) = put(config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{config_size}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer}","size":{layer_size}}}]}}"#
    );
    let (manifest_digest, manifest_size) = put(manifest.as_bytes());
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        dir.join("index.json"),
        format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{manifest_size}}}]}}"#),
    )
    .unwrap();
}
