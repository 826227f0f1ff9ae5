//! The engine alone: `Model::run` on the same rows the load benchmark sends, with no HTTP.
//!
//! `make bench` runs it on the server's core and compares berth's served rows/s with it (the
//! server's own cost is the difference). Models come from the benchmark kit
//! (`BERTH_BENCH_MODELS`, default `bench/out/models`); a missing model is skipped with a note.

use std::path::PathBuf;

use berth_engine::library::LibraryLocator;
use berth_engine::{InputTensor, Model, ModelSource, Runtime, SessionOptions, TensorData};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The rows of the load benchmark: deterministic values in [-3, 3).
fn rows(count: usize, width: usize) -> Vec<f32> {
    let mut state: u64 = 42;
    (0..count * width)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            let unit = ((state >> 33) as f64 / f64::from(1u32 << 31)) as f32;
            unit * 6.0 - 3.0
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let dir = std::env::var_os("BERTH_BENCH_MODELS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/out/models"),
        PathBuf::from,
    );
    let runtime =
        Runtime::load(&LibraryLocator::from_env()).expect("ONNX Runtime (make onnxruntime)");
    let mut group = c.benchmark_group("engine");
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
        let mut loaded = Model::load(
            &runtime,
            &ModelSource::File(path),
            &SessionOptions::default(),
        )
        .expect("model loads");
        let name = loaded.signature().inputs[0].name.clone();
        let inputs = vec![InputTensor {
            name,
            shape: vec![batch, width],
            data: TensorData::Float32(rows(batch, width)),
        }];
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(format!("{model}/{batch}"), |b| {
            b.iter(|| loaded.run(&inputs).expect("run"));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
