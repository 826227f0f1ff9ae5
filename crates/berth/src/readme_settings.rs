//! The README's settings table says what `berth serve` really takes: every flag with its
//! environment variable and default, and no setting that does not exist. The OpenAPI drift test
//! does the same for routes.

use clap::{Args, Command};

/// Variables read outside the command line (ONNX Runtime lookup, OpenTelemetry), documented in
/// the same table.
const READ_ELSEWHERE: [&str; 3] = [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "ORT_DYLIB_PATH",
    "BERTH_CACHE_DIR",
];

/// The table rows after `### Settings`: (flag, variable, default) cells.
fn table() -> Vec<(String, String, String)> {
    let readme = include_str!("../../../README.md");
    let section = readme
        .split("### Settings")
        .nth(1)
        .expect("README has a Settings section");
    section
        .lines()
        .skip_while(|l| !l.starts_with("| flag |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (
                cells[1].to_owned(),
                cells[2].to_owned(),
                cells[3].to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_readme_settings_table_matches_the_command_line() {
    let command = crate::serve::ServeArgs::augment_args(Command::new("serve"));
    let rows = table();
    assert!(rows.len() > 20, "settings table not found: {rows:?}");
    let mut documented_flags = 0;
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else {
            let name = arg.get_id().as_str().to_uppercase();
            assert!(
                rows.iter()
                    .any(|(flag, _, _)| flag.contains(&format!("`{name}`"))),
                "the argument {name} is not in the README's settings table"
            );
            continue;
        };
        if ["help", "version"].contains(&long) {
            continue;
        }
        let row = rows
            .iter()
            .find(|(flag, _, _)| flag.contains(&format!("`--{long}`")))
            .unwrap_or_else(|| panic!("--{long} is not in the README's settings table"));
        documented_flags += 1;
        if let Some(env) = arg.get_env() {
            let env = env.to_string_lossy();
            assert!(
                row.1.contains(&format!("`{env}`")),
                "--{long}: the README names {:?}, the flag reads {env}",
                row.1
            );
        }
        if let Some(default) = arg.get_default_values().first() {
            let default = default.to_string_lossy();
            assert!(
                row.2.contains(&format!("`{default}`")),
                "--{long}: the README's default is {:?}, the real one is {default:?}",
                row.2
            );
        } else {
            assert!(
                !row.2.starts_with('`') || long == "port",
                "--{long}: the README gives a default ({:?}), the flag has none",
                row.2
            );
        }
    }
    for (flag, env, _) in &rows {
        if let Some(long) = flag.strip_prefix("`--").and_then(|f| f.split('`').next()) {
            assert!(
                command.get_arguments().any(|a| a.get_long() == Some(long)),
                "the README documents --{long}, which berth serve does not take"
            );
        } else if flag.is_empty() {
            assert!(
                READ_ELSEWHERE
                    .iter()
                    .any(|v| env.contains(&format!("`{v}`"))),
                "the README documents {env} with no flag and no known reader"
            );
        }
    }
    assert!(documented_flags > 20);
}
