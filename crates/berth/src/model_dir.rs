//! Which file of a model directory is the model: the one `MODEL_FILENAME` names when it is set,
//! else the directory's one `.onnx` file. A model directory is `SM_MODEL_DIR` (SageMaker's
//! `/opt/ml/model`, KServe's `/mnt/models` through `--model_dir`) or a directory given as MODEL.
//!
//! `berth serve` and `berth package` read a directory the same way, through this module, and it
//! writes the refusals that say what a directory holds and how to choose.

use std::io;
use std::path::{Path, PathBuf};

use anyhow::bail;

/// How many directory entries a refusal message lists before it says "and N more".
const LISTED_ENTRIES: usize = 5;

/// How to serve something when no model was found, for the refusal messages.
const HOW_TO_SERVE: &str = "Give the model file (`berth serve path/to/model.onnx`), or a \
     directory holding one .onnx file (SM_MODEL_DIR or --model-dir), with MODEL_FILENAME to name \
     the model file in it; the built-in Iris demo model is served only when asked for with \
     `berth serve --demo` (BERTH_DEMO=true)";

/// A directory that holds the model, and the setting that named it (`SM_MODEL_DIR`, `MODEL`), for
/// messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ModelDir<'a> {
    pub(crate) path: &'a Path,
    pub(crate) setting: &'static str,
}

impl ModelDir<'_> {
    /// The model file: `filename` in the directory when given, else its one `.onnx` file.
    ///
    /// # Errors
    /// An invalid `filename`; `filename` not in the directory; no `.onnx` file or several of
    /// them; a directory that does not exist or cannot be read. Each message says what the
    /// directory holds and how to choose.
    pub(crate) fn model_file(self, filename: Option<&str>) -> anyhow::Result<PathBuf> {
        match filename {
            Some(name) => self.named_file(name),
            None => self.only_onnx_file(),
        }
    }

    fn named_file(self, name: &str) -> anyhow::Result<PathBuf> {
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            bail!(
                "invalid MODEL_FILENAME={name:?}: expected a file name inside {}",
                self.setting
            );
        }
        let path = self.path.join(name);
        if path.is_file() {
            return Ok(path);
        }
        bail!(
            "no model to serve: {} (MODEL_FILENAME) not found: {}. {HOW_TO_SERVE}",
            path.display(),
            self.survey(name)
        );
    }

    fn only_onnx_file(self) -> anyhow::Result<PathBuf> {
        let place = self.place();
        let names = match self.entries() {
            Ok(names) => names,
            Err(problem) => bail!("no model to serve: {problem}. {HOW_TO_SERVE}"),
        };
        let onnx = onnx_files(self.path, &names);
        match onnx.as_slice() {
            [only] => Ok(self.path.join(only)),
            [] if names.is_empty() => bail!("no model to serve: {place} is empty. {HOW_TO_SERVE}"),
            [] => bail!(
                "no model to serve: {place} holds no .onnx file (it holds {}). {HOW_TO_SERVE}",
                listing(&names)
            ),
            [first, ..] => bail!(
                "cannot choose the model: {place} holds {} .onnx files ({}). Name the one to serve \
                 with MODEL_FILENAME (e.g. MODEL_FILENAME={first}, or --model-filename {first})",
                onnx.len(),
                listing(&onnx)
            ),
        }
    }

    /// The directory and its setting, as messages name it.
    fn place(self) -> String {
        format!("{} ({})", self.path.display(), self.setting)
    }

    /// The directory's entries ([`entries`]), or why there are none to read, for a message.
    fn entries(self) -> Result<Vec<String>, String> {
        let place = self.place();
        match entries(self.path) {
            Ok(names) => Ok(names),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(format!("{place} does not exist")),
            Err(_) if self.path.exists() && !self.path.is_dir() => {
                Err(format!("{place} is a file, not a directory"))
            }
            Err(e) => Err(format!("{place} cannot be read: {e}")),
        }
    }

    /// What the directory holds, when the file `MODEL_FILENAME` names is not in it.
    fn survey(self, filename: &str) -> String {
        let names = match self.entries() {
            Ok(names) => names,
            Err(problem) => return problem,
        };
        let place = self.place();
        if names.is_empty() {
            return format!("{place} is empty");
        }
        let mut found = format!("{place} holds {}", listing(&names));
        if names.iter().any(|n| n.strip_suffix('/') == Some(filename)) {
            found.push_str(&format!("; {filename} there is a directory"));
        }
        if let [only] = onnx_files(self.path, &names).as_slice() {
            found.push_str(&format!(
                "; to serve {only}, set MODEL_FILENAME={only} (or --model-filename {only}), or \
                 leave MODEL_FILENAME unset"
            ));
        }
        found
    }
}

/// Whether a directory entry's name (as [`entries`] gives it) is that of an ONNX model: the
/// extension `.onnx` in any case, not a directory.
pub(crate) fn is_onnx(name: &str) -> bool {
    !name.ends_with('/')
        && Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
}

/// The `.onnx` files among `names`, the entries of `dir`: regular files (or links to one), so
/// that a directory called `x.onnx` is not taken for a model.
pub(crate) fn onnx_files(dir: &Path, names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|name| is_onnx(name) && dir.join(name).is_file())
        .cloned()
        .collect()
}

/// The names in `dir`, sorted, directories marked with a trailing `/`.
pub(crate) fn entries(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let mut name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            name.push('/');
        }
        names.push(name);
    }
    names.sort();
    Ok(names)
}

/// The first few `names`, comma-separated, and how many more there are.
pub(crate) fn listing(names: &[String]) -> String {
    let shown = names
        .iter()
        .take(LISTED_ENTRIES)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    match names.len().saturating_sub(LISTED_ENTRIES) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory holding `files` (empty files) and `dirs`, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str, files: &[&str], dirs: &[&str]) -> Self {
            let path =
                std::env::temp_dir().join(format!("berth-model-dir-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            for file in files {
                std::fs::write(path.join(file), b"").unwrap();
            }
            for dir in dirs {
                std::fs::create_dir_all(path.join(dir)).unwrap();
            }
            Self(path)
        }

        fn dir(&self) -> ModelDir<'_> {
            ModelDir {
                path: &self.0,
                setting: "SM_MODEL_DIR",
            }
        }

        fn error(&self, filename: Option<&str>) -> String {
            self.dir().model_file(filename).unwrap_err().to_string()
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_one_onnx_file_is_the_model_whatever_else_the_directory_holds() {
        let scratch = Scratch::new(
            "one",
            &["iris.onnx", "README.txt", "iris.onnx.data", "onnx"],
            &["x.onnx", "extra"],
        );
        assert_eq!(
            scratch.dir().model_file(None).unwrap(),
            scratch.0.join("iris.onnx")
        );
        let upper = Scratch::new("upper", &["Iris.ONNX"], &[]);
        assert_eq!(
            upper.dir().model_file(None).unwrap(),
            upper.0.join("Iris.ONNX")
        );
    }

    #[test]
    fn no_onnx_file_is_refused_saying_what_the_directory_holds() {
        let empty = Scratch::new("empty", &[], &[]);
        let error = empty.error(None);
        assert!(
            error.starts_with(&format!(
                "no model to serve: {} (SM_MODEL_DIR) is empty. Give the model file",
                empty.0.display()
            )),
            "{error}"
        );
        // A directory called x.onnx is not a model file.
        let other = Scratch::new("none", &["README.txt"], &["x.onnx"]);
        let error = other.error(None);
        assert!(
            error.starts_with(&format!(
                "no model to serve: {} (SM_MODEL_DIR) holds no .onnx file (it holds README.txt, \
                 x.onnx/). Give the model file",
                other.0.display()
            )),
            "{error}"
        );
        assert!(error.contains("MODEL_FILENAME"), "{error}");
        let missing = ModelDir {
            path: Path::new("/nonexistent/berth-model-dir"),
            setting: "SM_MODEL_DIR",
        };
        let error = missing.model_file(None).unwrap_err().to_string();
        assert!(
            error.starts_with(
                "no model to serve: /nonexistent/berth-model-dir (SM_MODEL_DIR) does not exist."
            ),
            "{error}"
        );
    }

    #[test]
    fn several_onnx_files_are_refused_saying_how_to_choose() {
        let scratch = Scratch::new("several", &["b.onnx", "a.ONNX", "notes.md"], &[]);
        let error = scratch.error(None);
        assert_eq!(
            error,
            format!(
                "cannot choose the model: {} (SM_MODEL_DIR) holds 2 .onnx files (a.ONNX, b.onnx). \
                 Name the one to serve with MODEL_FILENAME (e.g. MODEL_FILENAME=a.ONNX, or \
                 --model-filename a.ONNX)",
                scratch.0.display()
            )
        );
    }

    #[test]
    fn model_filename_names_exactly_the_file_served() {
        let scratch = Scratch::new("named", &["a.onnx", "b.onnx", "model.bin"], &["dir.onnx"]);
        let dir = scratch.dir();
        assert_eq!(
            dir.model_file(Some("b.onnx")).unwrap(),
            scratch.0.join("b.onnx")
        );
        // Named, a file is served whatever its extension.
        assert_eq!(
            dir.model_file(Some("model.bin")).unwrap(),
            scratch.0.join("model.bin")
        );
        let error = scratch.error(Some("c.onnx"));
        assert!(
            error.starts_with(&format!(
                "no model to serve: {}/c.onnx (MODEL_FILENAME) not found: {} (SM_MODEL_DIR) holds \
                 a.onnx, b.onnx, dir.onnx/, model.bin. Give",
                scratch.0.display(),
                scratch.0.display()
            )),
            "{error}"
        );
        let error = scratch.error(Some("dir.onnx"));
        assert!(error.contains("; dir.onnx there is a directory"), "{error}");
        for bad in ["", ".", "..", "sub/a.onnx"] {
            let error = scratch.error(Some(bad));
            assert!(
                error.starts_with(&format!("invalid MODEL_FILENAME={bad:?}")),
                "{error}"
            );
        }
    }

    #[test]
    fn a_survey_lists_a_few_entries_and_suggests_only_a_single_onnx_file() {
        let scratch = Scratch::new(
            "survey",
            &["a.onnx", "b.ONNX", "c.txt", "d.txt", "e.txt", "f.txt"],
            &["model.onnx"],
        );
        let found = scratch.dir().survey("model.onnx");
        assert!(
            found.ends_with(
                "holds a.onnx, b.ONNX, c.txt, d.txt, e.txt and 2 more; model.onnx there is a \
                 directory"
            ),
            "{found}"
        );
        std::fs::remove_file(scratch.0.join("b.ONNX")).unwrap();
        let found = scratch.dir().survey("model.onnx");
        assert!(
            found.ends_with(
                "set MODEL_FILENAME=a.onnx (or --model-filename a.onnx), or leave MODEL_FILENAME \
                 unset"
            ),
            "{found}"
        );
    }
}
