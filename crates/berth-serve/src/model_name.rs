//! The model's name in the Open Inference Protocol: the `{name}` of `/v2/models/{name}`, and the
//! name that metadata, readiness, inference answers and the repository index report.
//!
//! This module owns what a name may be and where the name comes from: `MODEL_NAME` when it is
//! set, else the model file's name without `.onnx` (`iris.onnx` is served as `iris`).

use std::fmt;

use berth_engine::ModelSource;

/// A name of the served model.
///
/// One given in `MODEL_NAME` is checked by [`ModelName::parse`]; one taken from a file name is the
/// file's own, checked too but only warned about ([`ModelName::problem`]), since a file name that
/// needs escaping in a URL still serves the SageMaker routes and escaping v2 clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelName(String);

/// Characters that end a URL path segment or change what a URL means when they are written as
/// they are: a path separator (`\` is one to some clients and proxies), the start of a query or a
/// fragment, and the escape character.
const RESERVED: [char; 5] = ['/', '\\', '?', '#', '%'];

/// What a name may be, for the messages that refuse one.
const ACCEPTED: &str = "expected a name that is one URL path segment as it stands: not empty, \
     not '.' or '..', without '/', '\\', '?', '#', '%', whitespace or control characters \
     (KServe's names, lowercase letters, digits and '-', always are)";

impl ModelName {
    /// Checks a name given in `MODEL_NAME`.
    ///
    /// # Errors
    /// What is wrong and what is accepted, for clap to print with the variable's name.
    pub fn parse(value: &str) -> Result<Self, String> {
        match problem(value) {
            Some(problem) => Err(format!("{problem}; {ACCEPTED}")),
            None => Ok(Self(value.to_owned())),
        }
    }

    /// The name a model is served under when `MODEL_NAME` is not set: its file name without the
    /// `.onnx` extension (in any case), or the whole file name when it has no such extension.
    #[must_use]
    pub fn of_source(source: &ModelSource) -> Self {
        let file_name = source.display_name();
        let stem = match file_name.len().checked_sub(".onnx".len()) {
            Some(cut)
                if file_name.is_char_boundary(cut)
                    && file_name[cut..].eq_ignore_ascii_case(".onnx") =>
            {
                &file_name[..cut]
            }
            _ => &file_name,
        };
        Self(stem.to_owned())
    }

    /// Why this name is not one URL path segment as it stands, with what is accepted; `None`
    /// when it is (always, for a name from [`ModelName::parse`]).
    #[must_use]
    pub fn problem(&self) -> Option<String> {
        problem(&self.0).map(|problem| format!("{problem}; {ACCEPTED}"))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What keeps `name` from being one URL path segment, or `None`.
fn problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".to_owned());
    }
    if name == "." || name == ".." {
        return Some(format!("{name:?} names a directory in a URL path"));
    }
    name.chars()
        .find(|&c| RESERVED.contains(&c) || c.is_whitespace() || c.is_control())
        .map(|c| format!("{name:?} holds {c:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_one_url_path_segment() {
        for good in [
            "iris", "iris-v2", "Iris_2.1", "modèle", "a.b", "...", "x..y",
        ] {
            assert_eq!(ModelName::parse(good).unwrap().as_str(), good);
        }
        for (bad, why) in [
            ("", "the name is empty"),
            (".", "\".\" names a directory"),
            ("..", "\"..\" names a directory"),
            ("a/b", "holds '/'"),
            ("a\\b", "holds '\\\\'"),
            ("a?b", "holds '?'"),
            ("a#b", "holds '#'"),
            ("a%20b", "holds '%'"),
            ("my model", "holds ' '"),
            (" iris", "holds ' '"),
            ("iris\n", "holds '\\n'"),
            ("iris\t", "holds '\\t'"),
            ("a\u{7f}b", "holds '\\u{7f}'"),
            ("a\u{a0}b", "holds '\\u{a0}'"),
        ] {
            let error = ModelName::parse(bad).unwrap_err();
            assert!(error.contains(why), "{bad:?}: {error}");
            assert!(
                error.contains("expected a name that is one URL path segment"),
                "{bad:?}: {error}"
            );
        }
    }

    #[test]
    fn the_default_name_is_the_file_name_without_its_onnx_extension() {
        let file = |path: &str| ModelName::of_source(&ModelSource::File(path.into()));
        assert_eq!(file("/mnt/models/iris.onnx").as_str(), "iris");
        assert_eq!(file("/opt/ml/model/model.ONNX").as_str(), "model");
        assert_eq!(file("models/iris.v2.onnx").as_str(), "iris.v2");
        assert_eq!(file("models/iris").as_str(), "iris");
        assert_eq!(file("models/é.onnx").as_str(), "é");
        let demo = ModelSource::Embedded {
            name: "iris-demo.onnx",
            bytes: b"",
        };
        assert_eq!(ModelName::of_source(&demo).as_str(), "iris-demo");
        // A file name is served as it is; the problem is for a warning.
        let spaced = file("my model.onnx");
        assert_eq!(spaced.as_str(), "my model");
        assert!(spaced.problem().unwrap().contains("holds ' '"));
        assert_eq!(file("iris.onnx").problem(), None);
    }
}
