//! The codec against hand-written bodies: every accepted shape and every refusal.

use super::*;
use berth_engine::{ElementType, TensorData};

fn spec(name: &str, element_type: ElementType, shape: Vec<Option<usize>>) -> InputSpec {
    InputSpec {
        name: name.into(),
        element_type,
        shape,
    }
}

fn iris() -> Vec<InputSpec> {
    vec![spec("features", ElementType::Float32, vec![None, Some(4)])]
}

fn two() -> Vec<InputSpec> {
    vec![
        spec("a", ElementType::Float32, vec![None, Some(3)]),
        spec("b", ElementType::Int64, vec![None, Some(1)]),
    ]
}

fn options() -> DecodeOptions {
    DecodeOptions {
        columns: ColumnSelection::default(),
        max_records: 10,
        csv_delimiter: b',',
        csv_header: CsvHeader::Auto,
        missing: MissingValues::Refuse,
    }
}

fn run(format: RequestFormat, body: &str, specs: &[InputSpec]) -> Result<Decoded, ServeError> {
    let layout = Layout::new(specs, None)?;
    decode(format, body.as_bytes(), &layout, &options())
}

fn floats(decoded: &Decoded) -> Vec<f32> {
    match &decoded.tensors[0].data {
        TensorData::Float32(v) => v.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn json_shapes_all_give_the_same_rows() {
    let specs = iris();
    for body in [
        r#"{"instances": [[1,2,3,4],[5,6,7,8]]}"#,
        r#"{"inputs": [[1,2,3,4],[5,6,7,8]]}"#,
        "[[1,2,3,4],[5,6,7,8]]",
        r#"[{"features":[1,2,3,4]},{"features":[5,6,7,8]}]"#,
        r#"{"instances": [{"features":[1,2,3,4]},{"features":[5,6,7,8]}]}"#,
        r#"{"inputs": {"features": [[1,2,3,4],[5,6,7,8]]}}"#,
    ] {
        let decoded = run(RequestFormat::Json, body, &specs).unwrap();
        assert_eq!(decoded.rows, 2, "{body}");
        assert_eq!(decoded.tensors[0].shape, vec![2, 4]);
        assert_eq!(
            floats(&decoded),
            vec![1., 2., 3., 4., 5., 6., 7., 8.],
            "{body}"
        );
    }
    for body in [
        r#"{"features":[1,2,3,4]}"#,
        "[1,2,3,4]",
        r#"{"instances":[1,2,3,4]}"#,
    ] {
        let decoded = run(RequestFormat::Json, body, &specs).unwrap();
        assert_eq!(decoded.rows, 1, "{body}");
    }
}

#[test]
fn csv_headers_are_read_by_name_or_refused() {
    let specs = iris();
    // Unknown column names: a header cannot be matched, so it is refused, naming the settings.
    let error = run(RequestFormat::Csv, "a,b,c,d\n1,2,3,4\n", &specs).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("FEATURE_NAMES") && message.contains("CSV_HAS_HEADER"),
        "{message}"
    );
    // Declared names: the header is read by name, in any order; pandas' index is left out.
    let names: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
    let layout = Layout::new(&specs, Some(&names)).unwrap();
    let by_name = |body: &str, header| {
        let options = DecodeOptions {
            csv_header: header,
            ..options()
        };
        decode(RequestFormat::Csv, body.as_bytes(), &layout, &options)
    };
    for body in [
        "a,b,c,d\n1,2,3,4\r\n\n5, 6 ,7,8\n",
        "d,c,b,a\n4,3,2,1\n8,7,6,5",
        ",b,a,d,c\n0,2,1,4,3\n1,6,5,8,7",
    ] {
        let decoded = by_name(body, CsvHeader::Auto).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(
            floats(&decoded),
            vec![1., 2., 3., 4., 5., 6., 7., 8.],
            "{body}"
        );
    }
    let error = by_name("a,b,c,x\n1,2,3,4", CsvHeader::True)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("unknown [\"x\"]") && error.contains("missing [\"d\"]"),
        "{error}"
    );
    let error = by_name("a,b,c,d,d\n1,2,3,4,4", CsvHeader::True)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("unknown []") && error.contains("repeated"),
        "{error}"
    );
    // CSV_HAS_HEADER=true without names: skipped, the client vouches for the order.
    let options = DecodeOptions {
        csv_header: CsvHeader::True,
        ..options()
    };
    let decoded = decode(
        RequestFormat::Csv,
        b"w,x,y,z\n1,2,3,4",
        &Layout::new(&specs, None).unwrap(),
        &options,
    )
    .unwrap();
    assert_eq!(decoded.rows, 1);
    // A single bad row is an error, not a header swallowed in silence.
    let error = run(RequestFormat::Csv, "1,2,3,x", &specs).unwrap_err();
    assert_eq!(error.status(), 400);
    assert!(error.to_string().contains("column 4"), "{error}");
    let error = by_name("a,b,c,d\n", CsvHeader::Auto).unwrap_err();
    assert!(
        error.to_string().contains("header line but no rows"),
        "{error}"
    );
    let decoded = run(RequestFormat::Csv, "\"1\",2,3,4", &specs).unwrap();
    assert_eq!(decoded.rows, 1);
    // Another separator is named, not taken for a header.
    let error = run(RequestFormat::Csv, "1;2;3;4\n5;6;7;8", &specs)
        .unwrap_err()
        .to_string();
    assert!(error.contains("CSV_DELIMITER=;"), "{error}");
}

#[test]
fn named_inputs_make_headers_work_for_string_models() {
    let specs = vec![
        spec("colour", ElementType::String, vec![None, Some(1)]),
        spec("size", ElementType::Float32, vec![None, Some(1)]),
    ];
    let decoded = run(RequestFormat::Csv, "size,colour\n2.5,red\n1,blue", &specs).unwrap();
    assert_eq!(decoded.rows, 2);
    assert_eq!(
        decoded.tensors[0].data,
        TensorData::String(vec!["red".into(), "blue".into()])
    );
    assert_eq!(decoded.tensors[1].data, TensorData::Float32(vec![2.5, 1.0]));
    // Records keyed by column name, pandas and MLflow shapes: the same rows.
    for body in [
        r#"[{"size": 2.5, "colour": "red"}, {"colour": "blue", "size": 1}]"#,
        r#"{"dataframe_records": [{"size": 2.5, "colour": "red"}, {"colour": "blue", "size": 1}]}"#,
        r#"{"dataframe_split": {"columns": ["size", "colour"], "data": [[2.5, "red"], [1, "blue"]]}}"#,
        r#"{"columns": ["size", "colour"], "index": [7, 8], "data": [[2.5, "red"], [1, "blue"]]}"#,
        r#"{"inputs": {"colour": ["red", "blue"], "size": [2.5, 1]}}"#,
        r#"{"instances": [["red", 2.5], ["blue", 1]]}"#,
    ] {
        let decoded =
            run(RequestFormat::Json, body, &specs).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(
            decoded.tensors[1].data,
            TensorData::Float32(vec![2.5, 1.0]),
            "{body}"
        );
        assert_eq!(
            decoded.tensors[0].data,
            TensorData::String(vec!["red".into(), "blue".into()]),
            "{body}"
        );
    }
    let error = run(
        RequestFormat::Json,
        r#"{"dataframe_split": {"columns": ["size", "color"], "data": [[1, "red"]]}}"#,
        &specs,
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("unknown [\"color\"]") && error.contains("missing [\"colour\"]"),
        "{error}"
    );
    let error = run(
        RequestFormat::Json,
        r#"{"instances": [["red", 1]], "params": {"x": 1}}"#,
        &specs,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("unexpected key \"params\""),
        "{error}"
    );
}

#[test]
fn rows_must_have_the_inputs_per_row_shape() {
    let cases = [
        ("[[[1,2],[3,4]]]", "nests deeper"),
        ("[[1,2,3,4],[1,2,[3,4]]]", "nests deeper"),
        ("[[1,2,3,4],[1,2,3]]", "expects 4 features, got 3"),
        ("[[1,2,3,4,5]]", "expects 4 features, got 5"),
    ];
    for (body, message) in cases {
        let error = run(RequestFormat::Json, body, &iris()).unwrap_err();
        assert_eq!(error.status(), 400, "{body}");
        assert!(error.to_string().contains(message), "{body}: {error}");
    }
    // An image input [N, 3, 2, 2] (NCHW): rows nested exactly so; NHWC or flat rows refused.
    let image = vec![spec(
        "image",
        ElementType::Float32,
        vec![None, Some(3), Some(2), Some(2)],
    )];
    let nchw = "[[[[1,2],[3,4]],[[5,6],[7,8]],[[9,10],[11,12]]]]";
    let decoded = run(RequestFormat::Json, nchw, &image).unwrap();
    assert_eq!(decoded.tensors[0].shape, vec![1, 3, 2, 2]);
    let nhwc = "[[[[1,5,9],[2,6,10]],[[3,7,11],[4,8,12]]]]";
    for (body, format) in [
        (nhwc, RequestFormat::Json),
        ("[[1,2,3,4,5,6,7,8,9,10,11,12]]", RequestFormat::Json),
        ("1,2,3,4,5,6,7,8,9,10,11,12", RequestFormat::Csv),
    ] {
        let error = run(format, body, &image).unwrap_err();
        assert!(
            error.to_string().contains("takes rows of shape [3, 2, 2]"),
            "{body}: {error}"
        );
    }
    // One value per row: a scalar or a one-element list; a list of scalars is rows.
    let column = vec![spec("x", ElementType::Float32, vec![None, Some(1)])];
    let decoded = run(RequestFormat::Json, "[1, [2], 3]", &column).unwrap();
    assert_eq!(decoded.tensors[0].shape, vec![3, 1]);
    let error = run(RequestFormat::Json, "[[1, 2]]", &column).unwrap_err();
    assert!(error.to_string().contains("one value per row"), "{error}");
}

#[test]
fn missing_and_non_finite_values_are_refused_with_row_and_column() {
    for (format, body, place) in [
        (RequestFormat::Json, "[[1,2,3,4],[1,null,3,4]]", "row 2"),
        (RequestFormat::Csv, "1,2,3,4\n1,,3,4", "line 2, column 2"),
        (RequestFormat::Csv, "1,2,nan,4", "line 1, column 3"),
        (
            RequestFormat::JsonLines,
            "[1,2,3,4]\n[1,2,3,null]",
            "line 2",
        ),
    ] {
        let error = run(format, body, &iris()).unwrap_err().to_string();
        assert!(
            error.contains(place) && error.contains("MISSING_VALUES=nan"),
            "{body}: {error}"
        );
    }
    for (format, body) in [
        (RequestFormat::Json, "[[1,2,3,1e39]]"),
        (RequestFormat::Csv, "1,2,3,1e39"),
        (RequestFormat::Csv, "1,2,3,1e309"),
        (RequestFormat::Csv, "1,2,3,inf"),
    ] {
        let error = run(format, body, &iris()).unwrap_err();
        assert_eq!(error.status(), 400, "{body}");
        assert!(
            error.to_string().contains("not a finite"),
            "{body}: {error}"
        );
    }
    assert_eq!(
        run(RequestFormat::Json, "[[1,2,3,1e309]]", &iris())
            .unwrap_err()
            .status(),
        400
    );
    let options = DecodeOptions {
        missing: MissingValues::Nan,
        ..options()
    };
    let layout = Layout::new(&iris(), None).unwrap();
    let decoded = decode(RequestFormat::Csv, b"1,,3,4", &layout, &options).unwrap();
    assert!(decoded.has_missing && floats(&decoded)[1].is_nan());
    let decoded = decode(RequestFormat::Json, b"[[1,2,3,4]]", &layout, &options).unwrap();
    assert!(!decoded.has_missing);
}

#[test]
fn npy_bodies_feed_rows() {
    fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
        let header = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}\n",
            if fortran { "True" } else { "False" }
        );
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }
    let layout = Layout::new(&iris(), None).unwrap();
    let f8: Vec<u8> = [1.0f64, 5.0, 2.0, 6.0, 3.0, 7.0, 4.0, 8.0]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let decoded = decode(
        RequestFormat::Npy,
        &npy("<f8", true, "(2, 4)", &f8),
        &layout,
        &options(),
    )
    .unwrap();
    assert_eq!(floats(&decoded), vec![1., 2., 3., 4., 5., 6., 7., 8.]);
    let one: Vec<u8> = [1.0f32, 2.0, 3.0, 4.0]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let decoded = decode(
        RequestFormat::Npy,
        &npy("<f4", false, "(4,)", &one),
        &layout,
        &options(),
    )
    .unwrap();
    assert_eq!(decoded.rows, 1);
    let error = decode(
        RequestFormat::Npy,
        &npy("<f4", false, "(1, 3)", &one[..12]),
        &layout,
        &options(),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("expects 4 features, got 3"),
        "{error}"
    );
    let nan: Vec<u8> = [1.0f32, f32::NAN, 3.0, 4.0]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let error = decode(
        RequestFormat::Npy,
        &npy("<f4", false, "(1, 4)", &nan),
        &layout,
        &options(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("MISSING_VALUES"), "{error}");
}

#[test]
fn json_lines_take_rows_and_objects() {
    let decoded = run(
        RequestFormat::JsonLines,
        "{\"features\":[1,2,3,4]}\n\n[6.5,3.0,5.2,2.3]\n",
        &iris(),
    )
    .unwrap();
    assert_eq!(decoded.rows, 2);
    let error = run(RequestFormat::JsonLines, "[1,2,3,4]\n{oops", &iris()).unwrap_err();
    assert!(error.to_string().contains("line 2"), "{error}");
}

#[test]
fn multi_input_models_take_records_columns_flat_rows_and_csv() {
    let specs = two();
    for (format, body) in [
        (
            RequestFormat::Json,
            r#"{"instances":[{"a":[1,2,3],"b":[2]},{"a":[4,5,6],"b":3}]}"#,
        ),
        (
            RequestFormat::Json,
            r#"{"inputs":{"a":[[1,2,3],[4,5,6]],"b":[[2],[3]]}}"#,
        ),
        (RequestFormat::Json, "[[1,2,3,2],[4,5,6,3]]"),
        (RequestFormat::Csv, "1,2,3,2\n4,5,6,3"),
        (
            RequestFormat::JsonLines,
            "{\"a\":[1,2,3],\"b\":[2]}\n[4,5,6,3]",
        ),
    ] {
        let decoded = run(format, body, &specs).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(decoded.tensors[0].shape, vec![2, 3], "{body}");
        assert_eq!(decoded.tensors[1].shape, vec![2, 1], "{body}");
        assert_eq!(
            decoded.tensors[1].data,
            TensorData::Int64(vec![2, 3]),
            "{body}"
        );
    }
    let error = run(RequestFormat::Json, r#"[{"a":[1,2,3]}]"#, &specs).unwrap_err();
    assert!(error.to_string().contains("missing [\"b\"]"), "{error}");
    let error = run(RequestFormat::Json, r#"[{"a":[1,2,3],"b":[1.5]}]"#, &specs).unwrap_err();
    assert!(error.to_string().contains("expects an integer"), "{error}");
}

#[test]
fn refusals_say_what_was_expected() {
    let specs = iris();
    let cases = [
        ("[[1,2,3]]", "expects 4 features, got 3"),
        ("[[1,2,3,\"x\"]]", "expects a number, got a string"),
        ("[]", "no rows"),
        ("[[]]", "expects 4 features, got 0"),
        ("5", "expected a list of rows"),
        (
            "{\"rows\": []}",
            "expected a JSON object with \"instances\"",
        ),
        ("[[1,2,3,{}]]", "an object inside a row"),
    ];
    for (body, message) in cases {
        let error = run(RequestFormat::Json, body, &specs).unwrap_err();
        assert_eq!(error.status(), 400, "{body}");
        assert!(error.to_string().contains(message), "{body}: {error}");
    }
    let error = run(RequestFormat::Json, "{not json", &specs).unwrap_err();
    assert_eq!(error.code(), "malformed_json");
    let error = run(RequestFormat::Json, "  \n", &specs).unwrap_err();
    assert_eq!(error.code(), "empty_body");
}

#[test]
fn too_many_rows_is_413_and_deep_nesting_is_400() {
    let body = format!("[{}]", ["[1,2,3,4]"; 11].join(","));
    let error = run(RequestFormat::Json, &body, &iris()).unwrap_err();
    assert_eq!(error.status(), 413);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let error = run(RequestFormat::Json, &deep, &iris()).unwrap_err();
    assert_eq!(error.status(), 400);
}

#[test]
fn strings_feed_string_inputs() {
    let specs = vec![spec("colour", ElementType::String, vec![None, Some(1)])];
    // The input's name is the column's: a first line naming it is the header.
    let decoded = run(RequestFormat::Csv, "colour\nred\nblue", &specs).unwrap();
    assert_eq!(decoded.rows, 2);
    let decoded = run(RequestFormat::Json, r#"[["red"],["blue"]]"#, &specs).unwrap();
    assert_eq!(
        decoded.tensors[0].data,
        TensorData::String(vec!["red".into(), "blue".into()])
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn all_specs() -> Vec<Vec<InputSpec>> {
        vec![
            iris(),
            two(),
            vec![spec("s", ElementType::String, vec![None, Some(1)])],
            vec![spec("n", ElementType::Int64, vec![Some(1)])],
            vec![spec("w", ElementType::Float64, vec![None, None])],
            vec![spec("b", ElementType::Bool, vec![None, Some(2), Some(2)])],
        ]
    }

    fn decode_everything(body: &[u8]) {
        for specs in all_specs() {
            for format in [
                RequestFormat::Json,
                RequestFormat::Csv,
                RequestFormat::JsonLines,
            ] {
                for csv_header in [CsvHeader::Auto, CsvHeader::True, CsvHeader::False] {
                    let options = DecodeOptions {
                        csv_header,
                        ..options()
                    };
                    let Ok(layout) = Layout::new(&specs, None) else {
                        continue;
                    };
                    if let Ok(decoded) = decode(format, body, &layout, &options) {
                        assert!(decoded.rows >= 1 && decoded.rows <= 10);
                        for tensor in &decoded.tensors {
                            assert_eq!(tensor.shape.iter().product::<usize>(), tensor.data.len());
                        }
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn on_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            decode_everything(&body);
        }

        #[test]
        fn on_json_and_csv_lookalikes(body in r#"[\[\]{}",:0-9a-z.\-eE \n\r\t]{0,120}"#) {
            decode_everything(body.as_bytes());
        }

        #[test]
        fn on_well_formed_rows(rows in proptest::collection::vec(
            proptest::collection::vec(-1.0e6f64..1.0e6, 0..6), 0..12)) {
            let json = serde_json::to_string(&rows).unwrap();
            decode_everything(json.as_bytes());
            let csv: Vec<String> = rows.iter()
                .map(|r| r.iter().map(ToString::to_string).collect::<Vec<_>>().join(","))
                .collect();
            decode_everything(csv.join("\n").as_bytes());
        }
    }
}

/// The CSV parser kept per thread reads every body as a new parser would: quotes, CRLF, blank
/// lines, surrounding spaces, a byte order mark, a wide record, and another delimiter in between.
#[test]
fn csv_records_split_like_a_fresh_parser_on_every_body() {
    let specs = iris();
    let expected = vec![1.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    for body in [
        "1,2.5,3,4\n5,6,7,8\n",
        "1,2.5,3,4\r\n5,6,7,8",
        "\u{feff}1,2.5,3,4\n\n5,6,7,8\n",
        " 1 ,\"2.5\",3 ,4\n5,6,\"7\",8\n",
    ] {
        let decoded =
            run(RequestFormat::Csv, body, &specs).unwrap_or_else(|e| panic!("{body:?}: {e}"));
        assert_eq!(floats(&decoded), expected, "{body:?}");
    }
    // A record wider than the parser's first field buffer.
    let wide: Vec<InputSpec> = vec![spec("x", ElementType::Float32, vec![None, Some(40)])];
    let row: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    let decoded = run(RequestFormat::Csv, &row.join(","), &wide).unwrap();
    assert_eq!(floats(&decoded).len(), 40);
    // A body with another delimiter, then the default one again on the same thread.
    let layout = Layout::new(&specs, None).unwrap();
    let semicolons = DecodeOptions {
        csv_delimiter: b';',
        ..options()
    };
    let decoded = decode(
        RequestFormat::Csv,
        b"1;2.5;3;4\n5;6;7;8",
        &layout,
        &semicolons,
    )
    .unwrap();
    assert_eq!(floats(&decoded), expected);
    let decoded = run(RequestFormat::Csv, "1,2.5,3,4\n5,6,7,8", &specs).unwrap();
    assert_eq!(floats(&decoded), expected);
    // A quoted field may hold the delimiter; it is one field, so the row is one value short.
    let error = run(RequestFormat::Csv, "1,\"2,5\",3\n", &specs)
        .unwrap_err()
        .to_string();
    assert!(error.contains("line 1"), "{error}");
    // Line numbers count the lines before, blank ones too.
    let error = run(RequestFormat::Csv, "1,2,3,4\n\n1,x,3,4\n", &specs)
        .unwrap_err()
        .to_string();
    assert!(error.contains("line 3, column 2"), "{error}");
}
