//! Models whose channel counts differ from RGB → RGB: grey sketch models and grey outputs
//! paint, other counts are refused at load with a reason, never a panic at paint time.
// Helpers here may unwrap like the tests they serve (clippy.toml allows it in tests only).
#![allow(clippy::unwrap_used)]

mod common;

use burn::tensor::Device;
use common::*;
use pix2paint::inference::Painter;
use pix2paint::model::GeneratorConfig;
use pix2paint::weights::{self, ModelInfo, Precision, SaveRequest};
use std::path::Path;

fn save(path: &Path, config: &GeneratorConfig) {
    let d = Device::flex();
    d.seed(1);
    weights::save(
        path,
        &SaveRequest {
            generator: &config.init(&d),
            generator_config: config,
            training_generator: None,
            discriminator: None,
            info: &ModelInfo::named("odd channels"),
            extras: &Default::default(),
            precision: Precision::Full,
        },
    )
    .unwrap();
}

#[test]
fn grey_sketch_and_grey_output_models_paint() {
    let dir = tempfile::tempdir().unwrap();
    let d = Device::flex();
    let sketch = draw_sketch(256, 256);
    for (cin, cout) in [(1, 3), (3, 1), (1, 1)] {
        let p = dir.path().join(format!("{cin}-{cout}.safetensors"));
        save(
            &p,
            &GeneratorConfig::new()
                .with_ngf(4)
                .with_in_channels(cin)
                .with_out_channels(cout),
        );
        let painter = Painter::from_model(weights::load(&p, &d).unwrap(), &d);
        let img = painter.paint(&sketch, None, &d).unwrap();
        assert_eq!(img.dimensions(), (256, 256));
        if cout == 1 {
            assert!(
                img.pixels().all(|p| p[0] == p[1] && p[1] == p[2]),
                "grey shown as grey"
            );
        }
    }
}

#[test]
fn other_channel_counts_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("lab.safetensors");
    save(
        &p,
        &GeneratorConfig::new()
            .with_ngf(4)
            .with_in_channels(1)
            .with_out_channels(2),
    );
    let e = weights::load(&p, &Device::flex()).unwrap_err().to_string();
    assert!(e.contains("writes 2"), "{e}");
}
