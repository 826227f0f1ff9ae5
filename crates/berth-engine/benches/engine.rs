//! The engine alone: `Model::run` on the same rows the load benchmark sends, with no HTTP.
//!
//! `make bench` runs it on the server's core and compares berth's served rows/s with it (the
//! server's own cost is the difference). Models come from the benchmark kit
//! (`BERTH_BENCH_MODELS`, default `bench/out/models`); a missing model is skipped with a note.

use std::path::PathBuf;

use berth_engine::library::LibraryLocator;
use berth_engine::{InputTensor, Model, ModelSource, Runtime, SessionOptions, TensorData};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The rows the load benchmark sends (`load.sh` of the benchmark kit, seed 42): its Park-Miller
/// generator, values uniform in [-3, 8) written with three decimals. A tree ensemble's run time
/// depends on the values (the paths they take), so the engine must see the very same rows.
fn rows(count: usize, width: usize) -> Vec<f32> {
    let mut state: u64 = 42;
    (0..count * width)
        .map(|_| {
            state = state * 16_807 % 2_147_483_647;
            #[allow(clippy::cast_precision_loss)]
            let value = -3.0 + 11.0 * (state as f64 / 2_147_483_647.0);
            format!("{value:.3}").parse().expect("a number")
        })
        .collect()
}

/// How many different blocks of rows each case runs in turn.
const BLOCKS: usize = 16;

fn bench(c: &mut Criterion) {
    let dir = std::env::var_os("BERTH_BENCH_MODELS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/out/models"),
        PathBuf::from,
    );
    let runtime =
        Runtime::load(&LibraryLocator::from_env()).expect("ONNX Runtime (make onnxruntime)");
    let mut cases = Vec::new();
    for (model, width, batch) in [
        ("random_forest_nozipmap", 4, 1),
        ("logistic_regression_nozipmap", 4, 100),
        ("random_forest_nozipmap", 4, 100),
        ("mlp_nozipmap", 4, 100),
        ("rf_wide_nozipmap", 50, 1),
        ("rf_wide_nozipmap", 50, 100),
    ] {
        let path = dir.join(format!("{model}.onnx"));
        if !path.is_file() {
            eprintln!(
                "skipping {model}: {} missing (make bench-build)",
                path.display()
            );
            continue;
        }
        let loaded = Model::load(
            &runtime,
            &ModelSource::File(path),
            &SessionOptions::default(),
        )
        .expect("model loads");
        let name = loaded.signature().inputs[0].name.clone();
        // Blocks of `batch` rows, one after another from the load's stream; the first is the
        // load's own body, which the load sends again and again.
        let blocks: Vec<Vec<InputTensor>> = rows(batch * BLOCKS, width)
            .chunks(batch * width)
            .map(|block| {
                vec![InputTensor {
                    name: name.clone(),
                    shape: vec![batch, width],
                    data: TensorData::Float32(block.to_vec()),
                }]
            })
            .collect();
        cases.push((format!("{model}/{batch}"), batch, loaded, blocks));
    }
    // `engine`: the load's body, repeated as the load repeats it. A tree ensemble then runs
    // faster than on rows it has not just seen (the branch predictor learns the block's paths),
    // so `engine-in-turn` runs the blocks in turn: the Iris forest's 100 rows took 101 us
    // repeated and 212 us in turn (bench/notes.md, step 6).
    for (group_name, in_turn) in [("engine", false), ("engine-in-turn", true)] {
        let mut group = c.benchmark_group(group_name);
        for (case, batch, loaded, blocks) in &mut cases {
            let mut turn = 0;
            group.throughput(Throughput::Elements(*batch as u64));
            group.bench_function(case.as_str(), |b| {
                b.iter(|| {
                    if in_turn {
                        turn = (turn + 1) % BLOCKS;
                    }
                    loaded.run(&blocks[turn]).expect("run")
                });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
