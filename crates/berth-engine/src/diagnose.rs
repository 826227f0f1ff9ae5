//! Why a model would not load, in words that say what to do.
//!
//! This module owns the explanations of a refused model: once ONNX Runtime has refused a file, it
//! tells what the file is when its first bytes say so (a Python pickle, a zip archive such as a
//! PyTorch checkpoint, HDF5, gzip, a Git LFS pointer, text, nothing at all), whether an ONNX file
//! ends early, and turns ONNX Runtime's "opset too new" and "IR version too new" refusals into one
//! line that leads with the cause. It never overrules ONNX Runtime: it is only asked after a
//! refusal, and when it recognises nothing, ONNX Runtime's own reason stands.

use std::io::{Read, Seek, SeekFrom};

use crate::EngineError;

/// How many bytes of a refused file are looked at to tell its format.
const HEAD_BYTES: usize = 512;

/// What to do with a model that is not in ONNX format: berth serves ONNX only.
const EXPORT_HINT: &str = "berth serves ONNX models: export it to ONNX (scikit-learn: skl2onnx's \
                           `to_onnx`; PyTorch: `torch.onnx.export`; Keras/TensorFlow: tf2onnx) \
                           and serve the .onnx file";

/// The explanation of ONNX Runtime's refusal of `name`, whose bytes `file` gives.
///
/// `reason` is ONNX Runtime's message; `onnxruntime` the release that gave it.
pub(crate) fn refusal<F: Read + Seek>(
    name: &str,
    file: Option<F>,
    reason: &str,
    onnxruntime: &str,
) -> EngineError {
    if let Some((needs, supports)) = too_new(reason) {
        return EngineError::TooNew {
            name: name.to_owned(),
            needs,
            supports,
            onnxruntime: onnxruntime.to_owned(),
        };
    }
    if let Some(mut file) = file
        && let Some(error) = recognise(name, &mut file)
    {
        return error;
    }
    EngineError::ModelLoad {
        name: name.to_owned(),
        reason: strip_load_prefix(reason).to_owned(),
    }
}

/// The explanation of a file that berth's own reading of the ONNX protobuf gave up on (listing a
/// model's files, where ONNX Runtime has not been asked): the same words as for a refusal when the
/// first bytes name another format, else `detail`, berth's reason.
pub(crate) fn unreadable<F: Read + Seek>(name: &str, file: &mut F, detail: &str) -> EngineError {
    let mut first = [0_u8];
    let starts_like_onnx = file.seek(SeekFrom::Start(0)).is_ok()
        && file.read_exact(&mut first).is_ok()
        && first[0] == ONNX_FIRST_BYTE;
    if file.seek(SeekFrom::Start(0)).is_ok()
        && let Some(error) = recognise(name, file)
    {
        return error;
    }
    if starts_like_onnx {
        EngineError::Corrupt {
            name: name.to_owned(),
            detail: detail.to_owned(),
        }
    } else {
        EngineError::NotOnnx {
            name: name.to_owned(),
            found: format!("something else: its bytes do not read as ONNX protobuf ({detail})"),
            todo: EXPORT_HINT.to_owned(),
        }
    }
}

/// An ONNX model starts with its IR version: field 1, varint (tag 0x08).
const ONNX_FIRST_BYTE: u8 = 0x08;

/// ONNX Runtime starts its load errors with `Load model from <full path> failed:`; the name is
/// in berth's own message already, and full paths stay out of messages.
fn strip_load_prefix(reason: &str) -> &str {
    let reason = reason.trim();
    match reason.strip_prefix("Load model from ") {
        Some(rest) => rest
            .split_once(" failed:")
            .map_or(reason, |(_, r)| r.trim()),
        None => reason,
    }
}

/// The number that follows `prefix` in `text`.
fn number_after(text: &str, prefix: &str) -> Option<u64> {
    let (_, rest) = text.split_once(prefix)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// What the model needs and what ONNX Runtime supports, when the refusal is "too new".
///
/// ONNX Runtime 1.31 says: `... Opset 99 is under development and support for this is limited.
/// ... Current official support for domain ai.onnx is till opset 26.` and `Unsupported model IR
/// version: 99, max supported IR version: 11`.
fn too_new(reason: &str) -> Option<(String, String)> {
    if let Some(opset) = number_after(reason, "Opset ")
        && let Some((_, rest)) = reason.split_once("Current official support for domain ")
        && let Some((domain, rest)) = rest.split_once(" is till opset ")
    {
        let supported: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !supported.is_empty() {
            return Some((
                format!("opset {opset} of domain {domain}"),
                format!("{domain} up to opset {supported}"),
            ));
        }
    }
    if let Some(ir) = number_after(reason, "Unsupported model IR version: ")
        && let Some(max) = number_after(reason, "max supported IR version: ")
    {
        return Some((
            format!("ONNX IR version {ir}"),
            format!("IR versions up to {max}"),
        ));
    }
    None
}

/// The format of a refused file, when its bytes say it.
fn recognise<F: Read + Seek>(name: &str, file: &mut F) -> Option<EngineError> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    file.by_ref()
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .ok()?;
    let not_onnx = |found: &str, todo: &str| {
        Some(EngineError::NotOnnx {
            name: name.to_owned(),
            found: found.to_owned(),
            todo: todo.to_owned(),
        })
    };
    match head.as_slice() {
        [] => not_onnx(
            "an empty file (0 bytes)",
            "the export or copy that made it did not finish; make it again",
        ),
        // Pickle protocols 2 to 5 start with PROTO (0x80) and the protocol number; joblib's
        // uncompressed files are pickles.
        [0x80, 2..=5, ..] => not_onnx(
            "a Python pickle (a joblib or pickle file, such as a scikit-learn model saved with \
             joblib.dump)",
            EXPORT_HINT,
        ),
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => not_onnx(
            "a zip archive (such as a PyTorch .pt/.pth checkpoint saved with torch.save, or a \
             Keras .keras file)",
            EXPORT_HINT,
        ),
        [0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n', ..] => {
            not_onnx("an HDF5 file (such as a Keras .h5 model)", EXPORT_HINT)
        }
        [0x1f, 0x8b, ..] => not_onnx(
            "a gzip archive (such as a SageMaker model.tar.gz)",
            "unpack it (`tar -xzf`) and serve the .onnx file inside",
        ),
        _ if head.starts_with(b"version https://git-lfs.github.com/spec/") => not_onnx(
            "a Git LFS pointer, not the model's content",
            "fetch the model itself with `git lfs pull`",
        ),
        _ if is_text(&head) => not_onnx(
            &format!("a text file (it starts with {:?})", text_start(&head)),
            EXPORT_HINT,
        ),
        [ONNX_FIRST_BYTE, ..] => {
            let detail = ends_early(file)?;
            Some(EngineError::Corrupt {
                name: name.to_owned(),
                detail,
            })
        }
        _ => None,
    }
}

/// True when `head` reads as text: UTF-8 (a character cut at the end allowed) without control
/// characters other than tab, line feed and carriage return.
fn is_text(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() => {
            // Cut in the middle of a character at the end of the window.
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

fn text_start(head: &[u8]) -> String {
    let text = String::from_utf8_lossy(head);
    let line = text.lines().next().unwrap_or_default();
    let mut start: String = line.chars().take(40).collect();
    if start.len() < line.len() {
        start.push('…');
    }
    start
}

/// Reads a protobuf varint; `None` at the end of the file or when it runs over 10 bytes.
fn varint<F: Read>(file: &mut F) -> Option<u64> {
    let mut value = 0_u64;
    for shift in (0..70).step_by(7) {
        let mut byte = [0_u8];
        file.read_exact(&mut byte).ok()?;
        value |= u64::from(byte[0] & 0x7f) << shift;
        if byte[0] & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Walks the top-level fields of an ONNX model (protobuf `ModelProto`) without reading their
/// content, and says where the file ends before a field does: the sign of a file cut short.
fn ends_early<F: Read + Seek>(file: &mut F) -> Option<String> {
    let size = file.seek(SeekFrom::End(0)).ok()?;
    file.seek(SeekFrom::Start(0)).ok()?;
    let mut at = 0_u64;
    while at < size {
        let Some(tag) = varint(file) else {
            return Some(format!(
                "the file ends inside a field header at byte {at} of {size}"
            ));
        };
        let field = tag >> 3;
        let skip = match tag & 7 {
            0 => {
                if varint(file).is_none() {
                    return Some(format!(
                        "the file ends inside field {field} at byte {at} of {size}"
                    ));
                }
                0
            }
            1 => 8,
            5 => 4,
            2 => {
                let Some(length) = varint(file) else {
                    return Some(format!(
                        "the file ends inside field {field} at byte {at} of {size}"
                    ));
                };
                length
            }
            // Groups (3, 4) and 6, 7 do not occur in ONNX files: not an ONNX file after all.
            _ => return None,
        };
        let start = file.stream_position().ok()?;
        let end = start.checked_add(skip)?;
        if end > size {
            return Some(format!(
                "field {field} needs {skip} bytes from byte {start}, but the file has {size} bytes"
            ));
        }
        at = file.seek(SeekFrom::Start(end)).ok()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn explain(bytes: &[u8]) -> String {
        refusal(
            "m.onnx",
            Some(Cursor::new(bytes)),
            "Protobuf parsing failed.",
            "1.31.1",
        )
        .to_string()
    }

    #[test]
    fn other_formats_are_named_with_what_to_do() {
        let cases: [(&[u8], &str, &str); 7] = [
            (b"", "empty", "again"),
            (b"\x80\x04\x95\x10\x00", "Python pickle", "skl2onnx"),
            (b"PK\x03\x04\x14\x00", "zip archive", "torch.onnx.export"),
            (b"\x89HDF\r\n\x1a\n\x00", "HDF5", "tf2onnx"),
            (b"\x1f\x8b\x08\x00", "gzip", "tar -xzf"),
            (
                b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\n",
                "Git LFS",
                "git lfs pull",
            ),
            (b"feature,label\n1.0,2\n", "text file", "export it to ONNX"),
        ];
        for (bytes, what, todo) in cases {
            let message = explain(bytes);
            assert!(
                message.starts_with("model m.onnx is not an ONNX file"),
                "{message}"
            );
            assert!(
                message.contains(what) && message.contains(todo),
                "{message}"
            );
            assert!(!message.contains('\n'), "{message}");
        }
    }

    #[test]
    fn an_onnx_file_cut_short_is_called_truncated() {
        // ir_version 8, then field 7 (graph) announcing 100 bytes of which 3 are there.
        let message = explain(&[0x08, 0x08, 0x3a, 100, 1, 2, 3]);
        assert!(message.contains("truncated"), "{message}");
        assert!(message.contains("the file has 7 bytes"), "{message}");
        // A whole but unusual file keeps ONNX Runtime's reason.
        let message = explain(&[0x08, 0x08, 0x3a, 2, 1, 2]);
        assert!(message.ends_with("Protobuf parsing failed."), "{message}");
        // Unrecognised bytes keep it too.
        let message = explain(&[0x00, 0xff, 0x13]);
        assert!(message.ends_with("Protobuf parsing failed."), "{message}");
    }

    #[test]
    fn too_new_opsets_and_ir_versions_lead_with_the_cause() {
        let reason = "Load model from /x/m.onnx failed:/onnxruntime_src/onnxruntime/core/graph/\
             model_load_utils.h:46 void onnxruntime::model_load_utils::ValidateOpsetForDomain(\
             const std::unordered_map<std::__cxx11::basic_string<char>, int>&, const \
             onnxruntime::logging::Logger&, bool, const std::string&, int) ONNX Runtime only \
             *guarantees* support for models stamped with official released onnx opset versions. \
             Opset 99 is under development and support for this is limited. The operator schemas \
             and or other functionality may change before next ONNX release and in this case ONNX \
             Runtime will not guarantee backward compatibility. Current official support for \
             domain ai.onnx is till opset 26.\n";
        let message = refusal::<Cursor<&[u8]>>("m.onnx", None, reason, "1.31.1").to_string();
        assert!(
            message.starts_with(
                "model m.onnx needs opset 99 of domain ai.onnx, but ONNX Runtime 1.31.1 \
                 supports ai.onnx up to opset 26"
            ),
            "{message}"
        );
        assert!(message.contains("target_opset"), "{message}");
        assert!(
            !message.contains('\n') && !message.contains("/x/m.onnx"),
            "{message}"
        );

        let reason = "Load model from /x/m.onnx failed:/onnxruntime_src/onnxruntime/core/graph/\
             model.cc:256 onnxruntime::Model::Model(...) Unsupported model IR version: 99, max \
             supported IR version: 11\n";
        let message = refusal::<Cursor<&[u8]>>("m.onnx", None, reason, "1.31.1").to_string();
        assert!(
            message.starts_with(
                "model m.onnx needs ONNX IR version 99, but ONNX Runtime 1.31.1 supports IR \
                 versions up to 11"
            ),
            "{message}"
        );
    }

    #[test]
    fn other_refusals_keep_onnx_runtimes_reason_without_the_path() {
        let message = refusal::<Cursor<&[u8]>>(
            "m.onnx",
            None,
            "Load model from /secret/m.onnx failed:No graph was found in the protobuf.",
            "1.31.1",
        )
        .to_string();
        assert_eq!(
            message,
            "could not load model m.onnx: No graph was found in the protobuf."
        );
    }
}
