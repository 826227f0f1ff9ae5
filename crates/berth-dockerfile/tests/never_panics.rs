//! Property tests: no input makes the parser, the instructions stage, the stage graph or the
//! variable expansion panic. Random bytes reach the UTF-8 and line checks; Dockerfile-shaped
//! text made of keywords, flags, quotes, escapes, heredoc markers and `${}` forms reaches deep.

use berth_dockerfile::shell::{LexOptions, expand};
use berth_dockerfile::{BuildOptions, parse_bytes};
use proptest::prelude::*;
use std::collections::HashMap;

fn dockerfile_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("FROM ".to_owned()),
        Just("from alpine AS b\n".to_owned()),
        Just("RUN ".to_owned()),
        Just("COPY ".to_owned()),
        Just("ADD ".to_owned()),
        Just("ENV ".to_owned()),
        Just("ARG ".to_owned()),
        Just("ONBUILD ".to_owned()),
        Just("HEALTHCHECK ".to_owned()),
        Just("SHELL ".to_owned()),
        Just("USER ".to_owned()),
        Just("LABEL ".to_owned()),
        Just("--from=".to_owned()),
        Just("--mount=type=cache,from=".to_owned()),
        Just("--chmod=".to_owned()),
        Just("--link".to_owned()),
        Just("--".to_owned()),
        Just("<<EOF".to_owned()),
        Just("<<-'EOT'".to_owned()),
        Just("EOF\n".to_owned()),
        Just("\tEOT\n".to_owned()),
        Just("${a:-${b}}".to_owned()),
        Just("${v#*/}".to_owned()),
        Just("${x/a/b}".to_owned()),
        Just("$".to_owned()),
        Just("${".to_owned()),
        Just("[\"a\", \"b\"]".to_owned()),
        Just("[1, \"a\"]".to_owned()),
        Just("# escape=`\n".to_owned()),
        Just("# syntax=x\n".to_owned()),
        Just("#\n".to_owned()),
        Just("\\\n".to_owned()),
        Just("`\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\n".to_owned()),
        Just(" ".to_owned()),
        Just("=".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("0".to_owned()),
        Just("\u{feff}".to_owned()),
        "[a-z0-9/:. ]{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn parser_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(file) = parse_bytes(&bytes) {
            let _ = file.stage_graph(&BuildOptions::default());
        }
    }

    #[test]
    fn parser_never_panics_on_dockerfile_shapes(pieces in proptest::collection::vec(dockerfile_piece(), 0..60)) {
        let text: String = pieces.concat();
        if let Ok(file) = parse_bytes(text.as_bytes()) {
            let _ = file.stage_graph(&BuildOptions::default());
            let _ = file.stage_graph(&BuildOptions { target: Some("b".to_owned()), ..BuildOptions::default() });
        }
    }

    #[test]
    fn expansion_never_panics(word in "[${}:#%/?*+\\-a-z\\\\'\" ]{0,40}", escape in prop_oneof![Just('\\'), Just('`')]) {
        let env: HashMap<String, String> = [("a", "/x/y"), ("b", ""), ("v", "value")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let _ = expand(&word, &env, LexOptions::new(escape));
        let _ = expand(&word, &env, LexOptions { raw_quotes: true, raw_escapes: true, skip_unset_env: true, escape });
    }
}
