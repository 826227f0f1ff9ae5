//! Which files make up a model: the `.onnx` file and the external-data files its tensors name.
//!
//! ONNX can keep tensors outside the model file (`onnx.save_model(..., save_as_external_data=True)`):
//! such a tensor is marked `data_location: EXTERNAL` and names its file, relative to the model's
//! directory, in `external_data["location"]`; ONNX Runtime reads it from there. `berth package`
//! must ship those files with the model, so this module lists them, and refuses a location that
//! reaches outside the model's directory (absolute, or through `..`) or names no file there: such a
//! model would load here and fail in the image.
//!
//! The protobuf is read by hand, as a stream, rather than through generated ONNX bindings: one
//! question (which files do the tensors name) needs a handful of fields, a model with inline
//! weights can be gigabytes that must never be read into memory, and bindings would bring protoc or
//! code generation into the build for that alone. Each field's header is read from a buffered
//! reader, fields that cannot hold a tensor are skipped with a seek, and memory stays at the buffer
//! plus the names found. The walk follows onnx.proto:
//!
//! - `ModelProto`: graph (7), functions (25);
//! - `GraphProto`: node (1), initializer (5), sparse_initializer (15);
//! - `FunctionProto`: node (7);
//! - `NodeProto`: attribute (5);
//! - `AttributeProto`: t (5), g (6), tensors (10), graphs (11), sparse_tensor (22),
//!   sparse_tensors (23) (the graphs of `If`, `Loop` and `Scan` are attributes);
//! - `SparseTensorProto`: values (1), indices (2);
//! - `TensorProto`: name (8), external_data (13, `StringStringEntryProto` key 1, value 2),
//!   data_location (14, 1 = EXTERNAL).
//!
//! `ModelProto.training_info` (20) is not walked: ONNX Runtime does not load it for inference.
//!
//! Past 500 lines with its tests as one piece: the walk is one recursive reader over those
//! messages, and its tests encode protobuf by hand for each of them.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use crate::{EngineError, Result, diagnose};

/// A model file and the external-data files it needs beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFiles {
    /// The model file, as given.
    pub model: PathBuf,
    /// The external-data files its tensors name, relative to the model's directory (without
    /// `./`), sorted, each once.
    pub external_data: Vec<PathBuf>,
}

impl ModelFiles {
    /// The model's directory, to which [`ModelFiles::external_data`] is relative.
    #[must_use]
    pub fn directory(&self) -> &Path {
        self.model.parent().unwrap_or_else(|| Path::new(""))
    }
}

/// The model file at `model` and the external-data files its tensors reference, read from the
/// ONNX protobuf as a stream (the file is never held in memory).
///
/// # Errors
/// [`EngineError::ModelRead`] when the file cannot be read; [`EngineError::NotOnnx`] or
/// [`EngineError::Corrupt`] when it is not ONNX protobuf; [`EngineError::ExternalDataOutside`]
/// when a tensor's data location is absolute or goes through `..`;
/// [`EngineError::ExternalDataMissing`] when it names a file that is not beside the model.
pub fn model_files(model: &Path) -> Result<ModelFiles> {
    let read_error = |source| EngineError::ModelRead {
        path: model.to_owned(),
        source,
    };
    let name = model
        .file_name()
        .map_or_else(|| "model".to_owned(), |n| n.to_string_lossy().into_owned());
    let file = File::open(model).map_err(read_error)?;
    let size = file.metadata().map_err(read_error)?.len();
    let mut reader = BufReader::new(file);
    let references = match scan(&mut reader, size) {
        Ok(references) => references,
        Err(Stop::Io(source)) => return Err(read_error(source)),
        Err(Stop::Malformed(detail)) => {
            return Err(diagnose::unreadable(&name, reader.get_mut(), &detail));
        }
    };
    let directory = model.parent().unwrap_or_else(|| Path::new(""));
    let mut external_data = BTreeSet::new();
    for (location, tensor) in references {
        let relative =
            relative_location(&location).map_err(|problem| EngineError::ExternalDataOutside {
                model: name.clone(),
                tensor: tensor.clone(),
                location: location.clone(),
                problem: problem.to_owned(),
            })?;
        if !directory.join(&relative).is_file() {
            return Err(EngineError::ExternalDataMissing {
                model: name,
                tensor,
                location,
            });
        }
        external_data.insert(relative);
    }
    Ok(ModelFiles {
        model: model.to_owned(),
        external_data: external_data.into_iter().collect(),
    })
}

/// `location` as a path relative to the model's directory, `./` parts dropped; or what is wrong
/// with it.
fn relative_location(location: &str) -> Result<PathBuf, &'static str> {
    let mut relative = PathBuf::new();
    for component in Path::new(location).components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err("a path that leaves it through '..'"),
            Component::RootDir | Component::Prefix(_) => return Err("an absolute path"),
        }
    }
    if relative.as_os_str().is_empty() {
        return Err("a path that names no file");
    }
    Ok(relative)
}

/// Messages nested deeper than this (graphs in attributes of nodes in graphs ...) are refused:
/// the walk recurses, and a crafted file must not exhaust the stack. protobuf's own parsers stop
/// at 100.
const MAX_DEPTH: usize = 100;

/// The longest location read: longer than any path Linux opens (`PATH_MAX`). Tensor names longer
/// than this are cut, since they only appear in messages.
const MAX_TEXT: u64 = 4096;

/// onnx.proto's `TensorProto.DataLocation.EXTERNAL`.
const EXTERNAL: u64 = 1;

/// Why a scan stopped.
#[derive(Debug)]
enum Stop {
    Io(io::Error),
    /// Not ONNX protobuf, and why (for the message).
    Malformed(String),
}

impl From<io::Error> for Stop {
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            // Lengths are checked against the size before reading: the file shrank meanwhile.
            Self::Malformed("the file ends early".to_owned())
        } else {
            Self::Io(error)
        }
    }
}

type Scan<T = ()> = std::result::Result<T, Stop>;

fn malformed<T>(detail: String) -> Scan<T> {
    Err(Stop::Malformed(detail))
}

/// A field's payload as far as the walk needs it.
#[derive(Debug, Clone, Copy)]
enum Payload {
    Varint(u64),
    /// Length-delimited: a nested message, a string or packed numbers, up to byte `end`.
    Bytes {
        end: u64,
    },
    /// Fixed-size (32 or 64 bits), already skipped.
    Fixed,
}

/// Reads `size` bytes of ONNX protobuf from `reader`; gives every external-data location the
/// model's tensors name, each with the first tensor that names it.
fn scan<R: BufRead + Seek>(reader: &mut R, size: u64) -> Scan<BTreeMap<String, String>> {
    reader.seek(SeekFrom::Start(0))?;
    let mut scanner = Scanner {
        reader,
        at: 0,
        depth: 0,
        references: BTreeMap::new(),
    };
    scanner.model(size)?;
    Ok(scanner.references)
}

struct Scanner<'r, R> {
    reader: &'r mut R,
    /// The reader's offset, kept here rather than asked of the reader, which would drop
    /// `BufReader`'s buffer at every field.
    at: u64,
    /// How many messages the walk is inside.
    depth: usize,
    /// Location -> the first tensor that names it.
    references: BTreeMap<String, String>,
}

impl<R: BufRead + Seek> Scanner<'_, R> {
    fn model(&mut self, end: u64) -> Scan {
        let mut has_graph = false;
        while let Some((number, payload)) = self.field(end)? {
            match (number, payload) {
                (7, Payload::Bytes { end }) => {
                    has_graph = true;
                    self.nested(end, Self::graph)?;
                }
                (25, Payload::Bytes { end }) => self.nested(end, Self::function)?,
                (_, payload) => self.skip_payload(payload)?,
            }
        }
        if has_graph {
            Ok(())
        } else {
            malformed("it has no graph (ModelProto field 7)".to_owned())
        }
    }

    fn graph(&mut self, end: u64) -> Scan {
        while let Some((number, payload)) = self.field(end)? {
            match (number, payload) {
                (1, Payload::Bytes { end }) => self.nested(end, Self::node)?,
                (5, Payload::Bytes { end }) => self.nested(end, Self::tensor)?,
                (15, Payload::Bytes { end }) => self.nested(end, Self::sparse_tensor)?,
                (_, payload) => self.skip_payload(payload)?,
            }
        }
        Ok(())
    }

    fn function(&mut self, end: u64) -> Scan {
        while let Some((number, payload)) = self.field(end)? {
            match (number, payload) {
                (7, Payload::Bytes { end }) => self.nested(end, Self::node)?,
                (_, payload) => self.skip_payload(payload)?,
            }
        }
        Ok(())
    }

    fn node(&mut self, end: u64) -> Scan {
        while let Some((number, payload)) = self.field(end)? {
            match (number, payload) {
                (5, Payload::Bytes { end }) => self.nested(end, Self::attribute)?,
                (_, payload) => self.skip_payload(payload)?,
            }
        }
        Ok(())
    }

    fn attribute(&mut self, end: u64) -> Scan {
        while let Some((number, payload)) = self.field(end)? {
            match (number, payload) {
                (5 | 10, Payload::Bytes { end }) => self.nested(end, Self::tensor)?,
                (6 | 11, Payload::Bytes { end }) => self.nested(end, Self::graph)?,
                (22 | 23, Payload::Bytes { end }) => self.nested(end, Self::sparse_tensor)?,
                (_, payload) => self.skip_payload(payload)?,
            }
        }
        Ok(())
    }

    fn sparse_tensor(&mut self, end: u64) -> Scan {
        while let Some((number, payload)) = self.field(end)? {
            match (number, payload) {
                (1 | 2, Payload::Bytes { end }) => self.nested(end, Self::tensor)?,
                (_, payload) => self.skip_payload(payload)?,
            }
        }
        Ok(())
    }

    fn tensor(&mut self, end: u64) -> Scan {
        let mut name = String::new();
        let mut location = None;
        let mut data_location = 0;
        while let Some((number, payload)) = self.field(end)? {
            match (number, payload) {
                (8, Payload::Bytes { end }) => {
                    name = String::from_utf8_lossy(&self.text(end)?.0).into_owned();
                }
                (13, Payload::Bytes { end }) => {
                    if let Some(found) = self.nested(end, Self::location_entry)? {
                        location = Some(found);
                    }
                }
                (14, Payload::Varint(value)) => data_location = value,
                (_, payload) => self.skip_payload(payload)?,
            }
        }
        if data_location != EXTERNAL {
            // ONNX Runtime reads the tensor from the model file then, whatever it names.
            return Ok(());
        }
        let Some(location) = location else {
            return malformed(format!(
                "tensor '{name}' is marked as external data but names no location"
            ));
        };
        self.references.entry(location).or_insert(name);
        Ok(())
    }

    /// The value of a `StringStringEntryProto` whose key is `location`.
    fn location_entry(&mut self, end: u64) -> Scan<Option<String>> {
        let mut is_location = false;
        let mut value = None;
        while let Some((number, payload)) = self.field(end)? {
            match (number, payload) {
                (1, Payload::Bytes { end }) => is_location = self.text(end)?.0 == b"location",
                (2, Payload::Bytes { end }) => value = Some(self.text(end)?),
                (_, payload) => self.skip_payload(payload)?,
            }
        }
        match value {
            Some((value, true)) if is_location => match String::from_utf8(value) {
                Ok(value) => Ok(Some(value)),
                Err(_) => malformed("an external-data location is not UTF-8".to_owned()),
            },
            Some((value, false)) if is_location => malformed(format!(
                "an external-data location is longer than {MAX_TEXT} bytes (it starts with {:?})",
                String::from_utf8_lossy(&value[..40])
            )),
            _ => Ok(None),
        }
    }

    /// Walks a nested message that ends at `end`, one level deeper.
    fn nested<T>(&mut self, end: u64, walk: impl FnOnce(&mut Self, u64) -> Scan<T>) -> Scan<T> {
        if self.depth == MAX_DEPTH {
            return malformed(format!(
                "its messages are nested more than {MAX_DEPTH} deep"
            ));
        }
        self.depth += 1;
        let walked = walk(self, end);
        self.depth -= 1;
        walked
    }

    /// The next field's number and payload, or `None` at `end`, the end of the message.
    fn field(&mut self, end: u64) -> Scan<Option<(u64, Payload)>> {
        if self.at >= end {
            return Ok(None);
        }
        let start = self.at;
        let tag = self.varint(end)?;
        let number = tag >> 3;
        if number == 0 {
            return malformed(format!("field number 0 at byte {start}"));
        }
        let payload = match tag & 7 {
            0 => Payload::Varint(self.varint(end)?),
            1 => {
                self.skip(8, end, number, start)?;
                Payload::Fixed
            }
            2 => {
                let length = self.varint(end)?;
                match self
                    .at
                    .checked_add(length)
                    .filter(|&field_end| field_end <= end)
                {
                    Some(field_end) => Payload::Bytes { end: field_end },
                    None => {
                        return malformed(format!(
                            "field {number} at byte {start} announces {length} bytes, more than \
                             what holds it (up to byte {end})"
                        ));
                    }
                }
            }
            5 => {
                self.skip(4, end, number, start)?;
                Payload::Fixed
            }
            // 3 and 4 (groups) are not in onnx.proto; 6 and 7 are not protobuf.
            other => {
                return malformed(format!(
                    "wire type {other} at byte {start}, which ONNX does not use"
                ));
            }
        };
        Ok(Some((number, payload)))
    }

    fn skip_payload(&mut self, payload: Payload) -> Scan {
        match payload {
            Payload::Bytes { end } => self.seek_to(end),
            Payload::Varint(_) | Payload::Fixed => Ok(()),
        }
    }

    /// Skips a fixed-size payload of `count` bytes, which must end by `end`.
    fn skip(&mut self, count: u64, end: u64, number: u64, start: u64) -> Scan {
        if end - self.at < count {
            return malformed(format!(
                "field {number} at byte {start} needs {count} bytes, more than what holds it \
                 (up to byte {end})"
            ));
        }
        self.seek_to(self.at + count)
    }

    /// Moves forward to `target`: from the buffer when it is there, else with a seek.
    fn seek_to(&mut self, target: u64) -> Scan {
        let distance = target - self.at;
        let buffered = self.reader.fill_buf()?.len();
        match usize::try_from(distance) {
            Ok(distance) if distance <= buffered => self.reader.consume(distance),
            _ => {
                self.reader.seek(SeekFrom::Start(target))?;
            }
        }
        self.at = target;
        Ok(())
    }

    fn byte(&mut self) -> Scan<u8> {
        let mut byte = [0_u8];
        self.reader.read_exact(&mut byte)?;
        self.at += 1;
        Ok(byte[0])
    }

    /// A varint that must end by `end`.
    fn varint(&mut self, end: u64) -> Scan<u64> {
        let start = self.at;
        let mut value = 0_u64;
        for shift in (0..64).step_by(7) {
            if self.at >= end {
                return malformed(format!(
                    "a number at byte {start} runs past what holds it (up to byte {end})"
                ));
            }
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        malformed(format!("a number at byte {start} is longer than 10 bytes"))
    }

    /// The bytes up to `end`, and whether they are whole: at most [`MAX_TEXT`] bytes are read,
    /// the rest skipped.
    fn text(&mut self, end: u64) -> Scan<(Vec<u8>, bool)> {
        let length = end - self.at;
        let kept = length.min(MAX_TEXT);
        let mut bytes = Vec::with_capacity(usize::try_from(kept).unwrap_or(0));
        Read::take(&mut *self.reader, kept).read_to_end(&mut bytes)?;
        if bytes.len() as u64 != kept {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
        }
        self.at += kept;
        self.seek_to(end)?;
        Ok((bytes, kept == length))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use proptest::prelude::*;

    use super::*;

    // A few protobuf writers, enough to build models by hand.

    fn varint(mut value: u64) -> Vec<u8> {
        let mut bytes = Vec::new();
        loop {
            let low = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                bytes.push(low);
                return bytes;
            }
            bytes.push(low | 0x80);
        }
    }

    fn number(field: u64, value: u64) -> Vec<u8> {
        [varint(field << 3), varint(value)].concat()
    }

    fn bytes(field: u64, content: &[u8]) -> Vec<u8> {
        [
            varint(field << 3 | 2),
            varint(content.len() as u64),
            content.to_vec(),
        ]
        .concat()
    }

    fn external_tensor(name: &str, location: &str) -> Vec<u8> {
        [
            number(1, 2), // dims
            number(2, 1), // data_type FLOAT
            bytes(8, name.as_bytes()),
            bytes(
                13,
                &[bytes(1, b"location"), bytes(2, location.as_bytes())].concat(),
            ),
            bytes(13, &[bytes(1, b"offset"), bytes(2, b"0")].concat()),
            number(14, EXTERNAL),
        ]
        .concat()
    }

    fn inline_tensor(name: &str) -> Vec<u8> {
        [
            number(2, 1),
            bytes(8, name.as_bytes()),
            bytes(9, &[0_u8; 64]), // raw_data
        ]
        .concat()
    }

    fn model(graph: &[u8], functions: &[Vec<u8>]) -> Vec<u8> {
        let mut model = [number(1, 8), bytes(7, graph)].concat();
        for function in functions {
            model.extend(bytes(25, function));
        }
        model
    }

    fn scanned(model: &[u8]) -> Scan<BTreeMap<String, String>> {
        scan(&mut Cursor::new(model), model.len() as u64)
    }

    fn locations(model: &[u8]) -> Vec<String> {
        scanned(model).unwrap().into_keys().collect()
    }

    fn malformed_detail(model: &[u8]) -> String {
        match scanned(model) {
            Err(Stop::Malformed(detail)) => detail,
            other => panic!("expected a malformed model, got {other:?}"),
        }
    }

    #[test]
    fn initializers_of_the_main_graph_are_found_and_inline_ones_are_not() {
        let graph = [
            bytes(1, &bytes(4, b"MatMul")),
            bytes(5, &external_tensor("w", "weights.bin")),
            bytes(5, &inline_tensor("b")),
            bytes(5, &external_tensor("w2", "./weights.bin")),
        ]
        .concat();
        assert_eq!(
            locations(&model(&graph, &[])),
            ["./weights.bin", "weights.bin"]
        );
        // A location without data_location EXTERNAL is not read by ONNX Runtime.
        let stale = [
            bytes(8, b"s"),
            bytes(13, &[bytes(1, b"location"), bytes(2, b"x")].concat()),
        ]
        .concat();
        assert!(locations(&model(&bytes(5, &stale), &[])).is_empty());
    }

    #[test]
    fn tensors_in_subgraphs_attributes_sparse_tensors_and_functions_are_found() {
        // Loop's body holds an If whose then_branch holds an initializer.
        let then_branch = bytes(5, &external_tensor("deep", "deep.bin"));
        let if_node = bytes(
            1,
            &[
                bytes(4, b"If"),
                bytes(
                    5,
                    &[bytes(1, b"then_branch"), bytes(6, &then_branch)].concat(),
                ),
            ]
            .concat(),
        );
        let body = [if_node, bytes(5, &external_tensor("body", "body.bin"))].concat();
        let loop_node = bytes(
            1,
            &[
                bytes(4, b"Loop"),
                bytes(5, &[bytes(1, b"body"), bytes(6, &body)].concat()),
            ]
            .concat(),
        );
        // Constant's value (t), a tensors list, a graphs list and a sparse value.
        let constant = bytes(
            1,
            &[
                bytes(5, &bytes(5, &external_tensor("t", "t.bin"))),
                bytes(5, &bytes(10, &external_tensor("ts", "ts.bin"))),
                bytes(5, &bytes(11, &bytes(5, &external_tensor("gs", "gs.bin")))),
                bytes(
                    5,
                    &bytes(22, &bytes(1, &external_tensor("sv", "sparse.bin"))),
                ),
            ]
            .concat(),
        );
        let sparse_initializer = bytes(
            15,
            &[
                bytes(1, &external_tensor("v", "values.bin")),
                bytes(2, &external_tensor("i", "indices.bin")),
            ]
            .concat(),
        );
        let function = [
            bytes(1, b"f"),
            bytes(7, &bytes(5, &bytes(5, &external_tensor("f", "f.bin")))),
        ]
        .concat();
        let graph = [loop_node, constant, sparse_initializer].concat();
        let found = scanned(&model(&graph, &[function])).unwrap();
        assert_eq!(
            found.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "body.bin",
                "deep.bin",
                "f.bin",
                "gs.bin",
                "indices.bin",
                "sparse.bin",
                "t.bin",
                "ts.bin",
                "values.bin"
            ]
        );
        assert_eq!(found["deep.bin"], "deep");
    }

    #[test]
    fn truncated_and_foreign_bytes_are_malformed() {
        let full = model(&bytes(5, &external_tensor("w", "w.bin")), &[]);
        for cut in [1, 3, full.len() / 2, full.len() - 1] {
            let detail = malformed_detail(&full[..cut]);
            assert!(!detail.is_empty());
        }
        assert!(malformed_detail(&[0x08, 0x08]).contains("no graph"));
        assert!(malformed_detail(b"feature,label\n").contains("wire type"));
        // A tensor inside the graph that claims more bytes than the graph has.
        let liar = [number(1, 8), bytes(7, &[0x2a, 50, 1, 2])].concat();
        assert!(malformed_detail(&liar).contains("announces 50 bytes"));
        let no_location = [bytes(8, b"w"), number(14, EXTERNAL)].concat();
        assert!(
            malformed_detail(&model(&bytes(5, &no_location), &[])).contains("names no location")
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let mut graph = bytes(5, &external_tensor("w", "w.bin"));
        for _ in 0..MAX_DEPTH {
            graph = bytes(1, &bytes(5, &bytes(6, &graph)));
        }
        assert!(malformed_detail(&model(&graph, &[])).contains("nested more than"));
    }

    #[test]
    fn locations_outside_the_models_directory_are_refused() {
        assert_eq!(relative_location("w.bin"), Ok(PathBuf::from("w.bin")));
        assert_eq!(
            relative_location("./data/./w.bin"),
            Ok(PathBuf::from("data/w.bin"))
        );
        assert_eq!(relative_location("a..b"), Ok(PathBuf::from("a..b")));
        assert_eq!(relative_location("/etc/passwd"), Err("an absolute path"));
        assert_eq!(
            relative_location("../w.bin"),
            Err("a path that leaves it through '..'")
        );
        assert_eq!(
            relative_location("data/../../w.bin"),
            Err("a path that leaves it through '..'")
        );
        assert_eq!(relative_location("."), Err("a path that names no file"));
        assert_eq!(relative_location(""), Err("a path that names no file"));
    }

    fn write_model(dir: &Path, locations: &[&str]) -> PathBuf {
        let graph: Vec<u8> = locations
            .iter()
            .enumerate()
            .flat_map(|(i, location)| bytes(5, &external_tensor(&format!("w{i}"), location)))
            .collect();
        let path = dir.join("m.onnx");
        std::fs::write(&path, model(&graph, &[])).unwrap();
        path
    }

    #[test]
    fn model_files_checks_every_location_against_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/w.bin"), b"1234").unwrap();
        std::fs::write(dir.path().join("v.bin"), b"1234").unwrap();

        let path = write_model(dir.path(), &["./data/w.bin", "v.bin", "data/w.bin"]);
        let files = model_files(&path).unwrap();
        assert_eq!(files.model, path);
        assert_eq!(files.directory(), dir.path());
        assert_eq!(
            files.external_data,
            [PathBuf::from("data/w.bin"), PathBuf::from("v.bin")]
        );

        let path = write_model(dir.path(), &["v.bin", "../v.bin"]);
        let error = model_files(&path).unwrap_err();
        assert!(
            matches!(error, EngineError::ExternalDataOutside { .. }),
            "{error}"
        );
        let message = error.to_string();
        assert!(
            message.contains("tensor 'w1'") && message.contains("'../v.bin'"),
            "{message}"
        );

        let absolute = dir.path().join("v.bin");
        let path = write_model(dir.path(), &[absolute.to_str().unwrap()]);
        let message = model_files(&path).unwrap_err().to_string();
        assert!(message.contains("an absolute path"), "{message}");

        let path = write_model(dir.path(), &["missing.bin"]);
        let error = model_files(&path).unwrap_err();
        assert!(
            matches!(error, EngineError::ExternalDataMissing { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("'missing.bin'"), "{error}");

        // A directory is not a data file.
        let path = write_model(dir.path(), &["data"]);
        let error = model_files(&path).unwrap_err();
        assert!(
            matches!(error, EngineError::ExternalDataMissing { .. }),
            "{error}"
        );
    }

    #[test]
    fn files_that_are_not_onnx_get_berths_usual_words() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.onnx");
        let message_for = |content: &[u8]| {
            std::fs::write(&path, content).unwrap();
            model_files(&path).unwrap_err().to_string()
        };
        let message = message_for(b"\x80\x04\x95\x10\x00\x00");
        assert!(
            message.starts_with("model m.onnx is not an ONNX file: it is a Python pickle"),
            "{message}"
        );
        let message = message_for(b"");
        assert!(message.contains("an empty file"), "{message}");
        let message = message_for(&[0x08, 0x08, 0x3a, 100, 1, 2, 3]);
        assert!(
            message.contains("truncated") && message.contains("the file has 7 bytes"),
            "{message}"
        );
        // Starts like ONNX, whole at the top level, broken inside: berth's own reason.
        let message = message_for(&[0x08, 0x08, 0x3a, 4, 0x2a, 50, 1, 2]);
        assert!(
            message.contains("truncated or corrupt") && message.contains("announces 50 bytes"),
            "{message}"
        );
        let message = message_for(&[0x00, 0xff, 0x13]);
        assert!(
            message.starts_with("model m.onnx is not an ONNX file"),
            "{message}"
        );
        assert!(!message.contains(dir.path().to_str().unwrap()), "{message}");
    }

    /// A reader that counts the bytes read through it.
    struct Counting<R> {
        inner: R,
        read: u64,
    }

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read += n as u64;
            Ok(n)
        }
    }

    impl<R: Seek> Seek for Counting<R> {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.inner.seek(to)
        }
    }

    #[test]
    fn inline_weights_are_skipped_not_read() {
        let big = [bytes(8, b"big"), bytes(9, &vec![7_u8; 8 << 20])].concat();
        let graph = [bytes(5, &big), bytes(5, &external_tensor("w", "w.bin"))].concat();
        let content = model(&graph, &[]);
        let size = content.len() as u64;
        let mut reader = BufReader::new(Counting {
            inner: Cursor::new(content),
            read: 0,
        });
        let found = scan(&mut reader, size).unwrap();
        assert_eq!(found.keys().collect::<Vec<_>>(), ["w.bin"]);
        let read = reader.get_ref().read;
        assert!(read < 64 << 10, "{read} of {size} bytes read");
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(content in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = scanned(&content);
            let _ = diagnose::unreadable("m.onnx", &mut Cursor::new(&content), "detail");
        }

        #[test]
        fn damaged_models_never_panic(
            cut in 0_usize..400,
            flips in proptest::collection::vec((0_usize..400, any::<u8>()), 0..6),
        ) {
            let graph = [
                bytes(1, &bytes(5, &bytes(6, &bytes(5, &external_tensor("w", "w.bin"))))),
                bytes(15, &bytes(1, &external_tensor("v", "v.bin"))),
            ]
            .concat();
            let mut content = model(&graph, &[bytes(7, &bytes(5, &bytes(10, &inline_tensor("f"))))]);
            for (at, byte) in flips {
                let len = content.len();
                content[at % len] = byte;
            }
            content.truncate(cut.min(content.len()));
            let _ = scanned(&content);
        }
    }
}
