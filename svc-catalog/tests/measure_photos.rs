//! Photo processing, measured (ignored in the normal run; `.ci/run --bench` and
//! `tests/run --bench` run it in release): throughput of `process` on a
//! 12-megapixel photo-like JPEG on one core, against decoding alone in the same
//! run, and the bytes a phone downloads for a listing page of 20 photos (the 640 px
//! WebP each, what `srcset` picks on a phone) against serving the originals.

// A test crate: helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use svc_catalog::domain::photos::{PhotoFormat, PhotoLimits, VariantFormat, process};

const ROUNDS: u32 = 5;
const PHOTOS_PER_PAGE: usize = 20;

/// Gradients, a soft texture and sensor-like noise, `width` x `height`, with a seed
/// so the 20 photos of a page differ.
fn photo_like(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut state = 0x9E37_79B9_u32 ^ seed.wrapping_mul(0x85EB_CA6B);
    let picture = RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state % 16) as f32 - 8.0;
        let texture = 20.0 * ((x as f32 / (31.0 + seed as f32)).sin() * (y as f32 / 23.0).cos());
        let channel = |base: f32| (base + texture + noise).clamp(0.0, 255.0) as u8;
        Rgb([
            channel(40.0 + 180.0 * x as f32 / width as f32),
            channel(60.0 + 150.0 * y as f32 / height as f32),
            channel(200.0 - 120.0 * (x + y) as f32 / (width + height) as f32),
        ])
    });
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, 90).encode_image(&picture).unwrap();
    bytes
}

fn time<T>(mut run: impl FnMut() -> T) -> Duration {
    black_box(run());
    let start = Instant::now();
    for _ in 0..ROUNDS {
        black_box(run());
    }
    start.elapsed() / ROUNDS
}

#[test]
#[ignore = "a measurement, not a check: run by `tests/run --bench`"]
fn photo_processing_throughput_and_the_bytes_a_phone_downloads() {
    let limits = PhotoLimits::default();
    let upload = photo_like(4000, 3000, 0);
    let decode = time(|| image::load_from_memory(&upload).unwrap());
    let whole = time(|| process(&upload, Some(PhotoFormat::Jpeg), &limits).unwrap());
    println!("12 MP JPEG ({} bytes), {ROUNDS} rounds, one thread:", upload.len());
    println!("  decode alone (baseline)   {:>8.1} ms", decode.as_secs_f64() * 1000.0);
    println!(
        "  process (4 sizes x 2)     {:>8.1} ms = {:.2} photos/s per core, {:.1}x the decode",
        whole.as_secs_f64() * 1000.0,
        1.0 / whole.as_secs_f64(),
        whole.as_secs_f64() / decode.as_secs_f64()
    );

    let mut originals = 0usize;
    let mut phone = 0usize;
    for seed in 0..PHOTOS_PER_PAGE as u32 {
        let upload = photo_like(4000, 3000, seed);
        let processed = process(&upload, None, &limits).unwrap();
        let variant = processed
            .variants
            .iter()
            .find(|variant| variant.width == 640 && variant.format == VariantFormat::Webp)
            .unwrap();
        originals += upload.len();
        phone += variant.bytes.len();
    }
    println!("a listing page of {PHOTOS_PER_PAGE} photos on a phone:");
    println!("  originals      {:>10} bytes", originals);
    println!("  640 px WebP    {:>10} bytes = {:.2}% of the originals", phone, 100.0 * phone as f64 / originals as f64);
    assert!(phone < originals, "the variants must be smaller than what they replace");
}
