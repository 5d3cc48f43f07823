//! The photo pipeline through its public API, on pictures made here (no fixtures).

// A test crate: helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use svc_catalog::domain::photos::{
    PhotoFormat, PhotoLimits, PhotoRejection, ProcessedPhoto, VARIANT_WIDTHS, VariantFormat, inspect, process, sniff,
};

// ---------------------------------------------------------------- fixtures

/// Gradients plus deterministic noise: compresses like a photo, not like a flat fill.
fn photo_like(width: u32, height: u32) -> RgbImage {
    let mut state = 0x2545_f491_u32;
    RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state % 32) as u8;
        Rgb([
            ((x * 200 / width) as u8).saturating_add(noise),
            ((y * 200 / height) as u8).saturating_add(noise),
            (((x + y) * 100 / (width + height)) as u8).saturating_add(noise),
        ])
    })
}

fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality).encode_image(image).unwrap();
    bytes
}

fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

fn png(image: RgbImage) -> Vec<u8> {
    encode(DynamicImage::ImageRgb8(image), ImageFormat::Png)
}

fn solid(width: u32, height: u32, colour: [u8; 3]) -> RgbImage {
    RgbImage::from_pixel(width, height, Rgb(colour))
}

fn ok(bytes: &[u8]) -> ProcessedPhoto {
    process(bytes, None, &PhotoLimits::default()).unwrap()
}

/// The rejection, or a short panic: an accepted photo's `Debug` is megabytes of variant bytes.
fn refused(bytes: &[u8], declared: Option<PhotoFormat>, limits: &PhotoLimits) -> PhotoRejection {
    match process(bytes, declared, limits) {
        Ok(photo) => panic!("accepted: {} x {}, {} variants", photo.width, photo.height, photo.variants.len()),
        Err(rejection) => rejection,
    }
}

fn decoded(bytes: &[u8]) -> RgbImage {
    image::load_from_memory(bytes).unwrap().into_rgb8()
}

/// Markers and payloads of a JPEG's segments up to the first scan.
fn jpeg_segments(bytes: &[u8]) -> Vec<(u8, &[u8])> {
    let mut segments = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF {
        let marker = bytes[at + 1];
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        segments.push((marker, &bytes[at + 4..at + 2 + length]));
        if marker == 0xDA {
            break;
        }
        at += 2 + length;
    }
    segments
}

/// Four-character codes of a WebP file's RIFF chunks.
fn webp_chunks(bytes: &[u8]) -> Vec<String> {
    assert_eq!((&bytes[..4], &bytes[8..12]), (&b"RIFF"[..], &b"WEBP"[..]));
    let mut chunks = Vec::new();
    let mut at = 12;
    while at + 8 <= bytes.len() {
        chunks.push(String::from_utf8_lossy(&bytes[at..at + 4]).into_owned());
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        at += 8 + size + size % 2;
    }
    chunks
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

fn close_to(actual: Rgb<u8>, expected: [u8; 3]) -> bool {
    actual.0.iter().zip(expected).all(|(&a, e)| a.abs_diff(e) <= 40)
}

/// GPSLatitude 48/1, 51/1, 2997/100 as little-endian rationals: bytes no variant may carry.
const GPS_LATITUDE: [u8; 24] = [48, 0, 0, 0, 1, 0, 0, 0, 51, 0, 0, 0, 1, 0, 0, 0, 0xB5, 0x0B, 0, 0, 100, 0, 0, 0];

/// An APP1 EXIF segment written by hand: little-endian TIFF header, IFD0 with
/// Orientation and a GPSInfo pointer, a GPS IFD with GPSLatitudeRef and GPSLatitude.
fn exif_app1(orientation: u16) -> Vec<u8> {
    fn entry(tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        tiff.extend(tag.to_le_bytes());
        tiff.extend(kind.to_le_bytes());
        tiff.extend(count.to_le_bytes());
        tiff.extend(value);
    }
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    let gps_ifd: u32 = 8 + 2 + 2 * 12 + 4;
    let latitude_data: u32 = gps_ifd + 2 + 2 * 12 + 4;

    let mut tiff = b"II\x2A\x00".to_vec();
    tiff.extend(8u32.to_le_bytes());
    tiff.extend(2u16.to_le_bytes());
    let [low, high] = orientation.to_le_bytes();
    entry(&mut tiff, 0x0112, SHORT, 1, [low, high, 0, 0]);
    entry(&mut tiff, 0x8825, LONG, 1, gps_ifd.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    assert_eq!(tiff.len() as u32, gps_ifd);
    tiff.extend(2u16.to_le_bytes());
    entry(&mut tiff, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut tiff, 0x0002, RATIONAL, 3, latitude_data.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    assert_eq!(tiff.len() as u32, latitude_data);
    tiff.extend(GPS_LATITUDE);

    segment(0xE1, &[&b"Exif\0\0"[..], &tiff].concat())
}

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0xFF, marker];
    bytes.extend(u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    bytes.extend(payload);
    bytes
}

/// Inserts segments right after SOI, where cameras put them.
fn with_segments(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    [&jpeg[..2], &segments.concat(), &jpeg[2..]].concat()
}

/// A black 1-bit greyscale PNG of any size, its zlib stream written by hand (one
/// fixed-Huffman block of 258-byte matches) so that a 50,000 x 50,000 bomb costs
/// 2 MB and a few milliseconds to make. Decoders expand it to 8 bits a pixel.
fn black_bilevel_png(width: u32, height: u32) -> Vec<u8> {
    struct Bits {
        bytes: Vec<u8>,
        buffer: u64,
        count: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, count: u32) {
            self.buffer |= u64::from(value) << self.count;
            self.count += count;
            while self.count >= 8 {
                self.bytes.push(self.buffer as u8);
                self.buffer >>= 8;
                self.count -= 8;
            }
        }
        /// Huffman codes go most significant bit first.
        fn code(&mut self, code: u32, count: u32) {
            self.put(code.reverse_bits() >> (32 - count), count);
        }
    }
    let raw_len = u64::from(height) * (1 + u64::from(width.div_ceil(8)));
    let mut bits = Bits { bytes: vec![0x78, 0x01], buffer: 0, count: 0 };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    let matches = (raw_len - 1) / 258;
    for _ in 0..matches {
        bits.code(0xC5, 8); // length 258
        bits.code(0, 5); // distance 1
    }
    for _ in 0..(raw_len - 1) % 258 {
        bits.code(0x30, 8);
    }
    bits.code(0, 7); // end of block
    bits.put(0, 7); // pad to a byte
    let mut zlib = bits.bytes;
    // Adler-32 of zeros: a = 1, b = the length.
    zlib.extend((((raw_len % 65521) as u32) << 16 | 1).to_be_bytes());

    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([1, 0, 0, 0, 0]); // 1 bit, greyscale, deflate, no filter, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(&b"IHDR"[..], &ihdr[..]), (b"IDAT", &zlib), (b"IEND", &[])] {
        png.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
        png.extend(kind);
        png.extend(data);
        png.extend(crc32(&[kind, data].concat()).to_be_bytes());
    }
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let table: Vec<u32> =
        (0..256u32).map(|n| (0..8).fold(n, |c, _| if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 })).collect();
    !bytes.iter().fold(!0u32, |crc, &byte| table[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8))
}

// ---------------------------------------------------------------- type detection

#[test]
fn sniff_accepts_jpeg_png_and_webp_by_their_magic_bytes() {
    let picture = solid(8, 8, [10, 20, 30]);
    assert_eq!(sniff(&jpeg(&picture, 90)), Ok(PhotoFormat::Jpeg));
    assert_eq!(sniff(&png(picture.clone())), Ok(PhotoFormat::Png));
    assert_eq!(sniff(&encode(DynamicImage::ImageRgb8(picture), ImageFormat::WebP)), Ok(PhotoFormat::Webp));
    assert_eq!(
        (PhotoFormat::Jpeg.as_str(), PhotoFormat::Png.mime(), PhotoFormat::Webp.mime()),
        ("jpeg", "image/png", "image/webp")
    );
}

#[test]
fn sniff_refuses_other_files_and_names_them() {
    let detected = |bytes: &[u8]| match sniff(bytes) {
        Err(PhotoRejection::UnsupportedType { detected }) => detected,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(detected(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj"), "pdf");
    assert_eq!(detected(b"GIF89a\x01\x00\x01\x00\x80\x00\x00"), "gif");
    assert_eq!(detected(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"), "heic");
    assert_eq!(detected(b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf"), "avif");
    assert_eq!(detected(b"\0\0\0\x18ftypmp42\0\0\0\0isommp42"), "video");
    assert_eq!(detected("<svg xmlns='http://www.w3.org/2000/svg'>é</svg>".as_bytes()), "text");
    assert_eq!(detected(&[0x00, 0x9F, 0x13, 0x07, 0xFE, 0x80]), "unknown");
    // A RIFF file that is not WebP (a WAV recording).
    assert_eq!(detected(b"RIFF\x24\x00\x00\x00WAVEfmt "), "unknown");
    assert_eq!(sniff(&[]), Err(PhotoRejection::Empty));
}

// ---------------------------------------------------------------- rule 1: order of checks

#[test]
fn size_is_checked_first_then_emptiness_then_type() {
    let limits = PhotoLimits { max_bytes: 1024, ..PhotoLimits::default() };
    let big_pdf = [&b"%PDF-1.7\n"[..], &[b' '; 2000]].concat();
    assert_eq!(refused(&big_pdf, None, &limits), PhotoRejection::TooLarge { limit_bytes: 1024 });
    assert_eq!(refused(&[], Some(PhotoFormat::Jpeg), &limits), PhotoRejection::Empty);
    assert_eq!(
        refused(&big_pdf[..500], Some(PhotoFormat::Jpeg), &limits),
        PhotoRejection::UnsupportedType { detected: "pdf".into() }
    );
}

#[test]
fn declared_type_must_match_the_bytes() {
    let renamed_png = png(photo_like(64, 48));
    assert_eq!(
        refused(&renamed_png, Some(PhotoFormat::Jpeg), &PhotoLimits::default()),
        PhotoRejection::TypeMismatch { declared: PhotoFormat::Jpeg, actual: PhotoFormat::Png }
    );
    let photo = process(&renamed_png, Some(PhotoFormat::Png), &PhotoLimits::default()).unwrap();
    assert_eq!(photo.source_format, PhotoFormat::Png);
}

// ---------------------------------------------------------------- rule 2: pixel limits

#[test]
fn decompression_bomb_is_refused_from_its_header() {
    let bomb = black_bilevel_png(50_000, 50_000); // 2.5 GB of pixels once decoded
    assert!(bomb.len() < 3 * 1024 * 1024, "the bomb is {} bytes", bomb.len());
    assert_eq!(
        refused(&bomb, Some(PhotoFormat::Png), &PhotoLimits::default()),
        PhotoRejection::TooManyPixels { width: 50_000, height: 50_000 }
    );
}

#[test]
fn decoder_allocation_is_capped_even_when_dimensions_are_allowed() {
    let bomb = black_bilevel_png(50_000, 50_000);
    let generous = PhotoLimits {
        max_width: u32::MAX,
        max_height: u32::MAX,
        max_pixels: u64::MAX,
        max_alloc_bytes: 64 * 1024 * 1024,
        ..PhotoLimits::default()
    };
    assert_eq!(refused(&bomb, None, &generous), PhotoRejection::TooManyPixels { width: 50_000, height: 50_000 });
}

#[test]
fn pixel_count_is_limited_within_the_width_and_height_limits() {
    let wide = black_bilevel_png(8_000, 7_000); // 56 megapixels, each side under 12,000
    assert_eq!(
        refused(&wide, None, &PhotoLimits::default()),
        PhotoRejection::TooManyPixels { width: 8_000, height: 7_000 }
    );
    let tall = black_bilevel_png(300, 12_001);
    assert_eq!(
        refused(&tall, None, &PhotoLimits::default()),
        PhotoRejection::TooManyPixels { width: 300, height: 12_001 }
    );
}

#[test]
fn the_hand_made_bilevel_png_is_a_real_png() {
    let photo = ok(&black_bilevel_png(700, 500));
    assert_eq!((photo.width, photo.height, photo.placeholder.as_str()), (700, 500, "#000000"));
}

#[test]
fn inspect_refuses_what_it_can_without_decoding() {
    let limits = PhotoLimits::default();
    let whole = jpeg(&photo_like(640, 480), 90);
    assert_eq!(inspect(&whole, Some(PhotoFormat::Jpeg), &limits), Ok(PhotoFormat::Jpeg));
    assert_eq!(inspect(&whole[..whole.len() / 2], None, &limits).unwrap_err().code(), "undecodable");
    assert_eq!(
        inspect(&whole, Some(PhotoFormat::Webp), &limits),
        Err(PhotoRejection::TypeMismatch { declared: PhotoFormat::Webp, actual: PhotoFormat::Jpeg })
    );
    assert_eq!(
        inspect(&black_bilevel_png(50_000, 50_000), None, &limits),
        Err(PhotoRejection::TooManyPixels { width: 50_000, height: 50_000 })
    );
    assert_eq!(inspect(b"%PDF-1.4", None, &limits).unwrap_err().code(), "unsupported_type");
}

// ---------------------------------------------------------------- rule 3: damaged files

#[test]
fn truncated_jpeg_is_refused() {
    let whole = jpeg(&photo_like(640, 480), 90);
    ok(&whole);
    let rejection = refused(&whole[..whole.len() / 2], None, &PhotoLimits::default());
    assert_eq!(rejection.code(), "undecodable", "{rejection:?}");
    let rejection = refused(&whole[..whole.len() - 2], None, &PhotoLimits::default());
    assert_eq!(rejection.code(), "undecodable", "only the end-of-image marker missing: {rejection:?}");
}

#[test]
fn jpeg_with_bytes_after_its_end_marker_is_accepted() {
    // Phones append their own data after the image (Samsung trailers, MPF previews).
    let mut trailer = jpeg(&photo_like(400, 300), 85);
    trailer.extend(b"SEFH\x00\x00\x00\x00some vendor data SEFT");
    assert_eq!(ok(&trailer).width, 400);
}

#[test]
fn truncated_png_is_refused() {
    let whole = png(photo_like(320, 240));
    let rejection = refused(&whole[..whole.len() / 2], None, &PhotoLimits::default());
    assert_eq!(rejection.code(), "undecodable", "{rejection:?}");
}

// ---------------------------------------------------------------- rule 4: orientation, no metadata

#[test]
fn exif_orientation_is_applied_and_every_variant_is_stripped_of_metadata() {
    // Stored landscape 1400 x 700, red on top, blue below, "rotate 90° clockwise to view".
    let stored = RgbImage::from_fn(1400, 700, |_, y| if y < 350 { Rgb([255, 0, 0]) } else { Rgb([0, 0, 255]) });
    let xmp = segment(
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x='adobe:ns:meta/'><exif:GPSLatitude>48,51.4995N</exif:GPSLatitude></x:xmpmeta>",
    );
    let icc = segment(0xE2, b"ICC_PROFILE\0\x01\x01not really a profile");
    let upload = with_segments(&jpeg(&stored, 90), &[exif_app1(6), xmp, icc]);

    let photo = process(&upload, Some(PhotoFormat::Jpeg), &PhotoLimits::default()).unwrap();
    assert_eq!((photo.width, photo.height), (700, 1400));
    let sizes: Vec<_> = photo.variants.iter().map(|v| (v.width, v.height)).collect();
    assert_eq!(sizes, [(320, 640), (320, 640), (640, 1280), (640, 1280)]);

    for variant in &photo.variants {
        let what = format!("{:?} {}x{}", variant.format, variant.width, variant.height);
        let pixels = decoded(&variant.bytes);
        assert_eq!(pixels.dimensions(), (variant.width, variant.height), "{what}");
        // A quarter turn clockwise puts the top (red) on the right.
        let middle = variant.height / 2;
        assert!(close_to(*pixels.get_pixel(variant.width / 4, middle), [0, 0, 255]), "{what}: left is not blue");
        assert!(close_to(*pixels.get_pixel(variant.width * 3 / 4, middle), [255, 0, 0]), "{what}: right is not red");

        for needle in [&b"Exif"[..], &GPS_LATITUDE, b"xmpmeta", b"GPSLatitude", b"ICC_PROFILE"] {
            assert!(!contains(&variant.bytes, needle), "{what} contains {:?}", String::from_utf8_lossy(needle));
        }
        match variant.format {
            VariantFormat::Jpeg => {
                let markers: Vec<u8> = jpeg_segments(&variant.bytes).iter().map(|(marker, _)| *marker).collect();
                assert!(!markers.contains(&0xE1) && !markers.contains(&0xE2), "{what} has APP1/APP2: {markers:x?}");
            }
            VariantFormat::Webp => {
                // A simple lossy file: one VP8 bitstream, no extended-format chunks at all.
                assert_eq!(webp_chunks(&variant.bytes), ["VP8 "], "{what}");
            }
        }
    }
}

// ---------------------------------------------------------------- rule 5: variants

#[test]
fn variants_at_each_width_up_to_the_photo_never_upscaled() {
    let photo = process(&jpeg(&photo_like(1500, 1000), 90), Some(PhotoFormat::Jpeg), &PhotoLimits::default()).unwrap();
    assert_eq!((photo.source_format, photo.width, photo.height), (PhotoFormat::Jpeg, 1500, 1000));
    let listed: Vec<_> = photo.variants.iter().map(|v| (v.width, v.height, v.format)).collect();
    use VariantFormat::{Jpeg, Webp};
    assert_eq!(
        listed,
        [(320, 213, Webp), (320, 213, Jpeg), (640, 427, Webp), (640, 427, Jpeg), (1280, 853, Webp), (1280, 853, Jpeg)]
    );
    for variant in &photo.variants {
        let expected = if variant.format == Webp { PhotoFormat::Webp } else { PhotoFormat::Jpeg };
        assert_eq!(sniff(&variant.bytes), Ok(expected));
        assert_eq!(variant.format.mime(), expected.mime());
        assert_eq!(decoded(&variant.bytes).dimensions(), (variant.width, variant.height));
        if variant.format == Jpeg {
            let markers: Vec<u8> = jpeg_segments(&variant.bytes).iter().map(|(marker, _)| *marker).collect();
            assert!(markers.contains(&0xC0) && !markers.contains(&0xC2), "not baseline: {markers:x?}");
        }
    }
    assert_eq!((VariantFormat::Webp.extension(), VariantFormat::Jpeg.extension()), ("webp", "jpg"));
}

#[test]
fn a_photo_of_a_standard_width_gets_that_width_and_all_smaller_ones() {
    let photo = ok(&png(photo_like(1920, 1080)));
    let widths: Vec<u32> = photo.variants.iter().map(|v| v.width).collect();
    assert_eq!(widths, VARIANT_WIDTHS.iter().flat_map(|&w| [w, w]).collect::<Vec<_>>());
    assert_eq!((photo.variants[7].width, photo.variants[7].height), (1920, 1080));
}

#[test]
fn a_photo_narrower_than_the_smallest_width_keeps_its_own_width() {
    let photo = ok(&jpeg(&photo_like(200, 150), 90));
    let sizes: Vec<_> = photo.variants.iter().map(|v| (v.width, v.height, v.format)).collect();
    assert_eq!(sizes, [(200, 150, VariantFormat::Webp), (200, 150, VariantFormat::Jpeg)]);
}

#[test]
fn transparency_is_flattened_onto_white() {
    // Fully transparent red: invisible, so it must come out white, not red or black.
    let mut rgba = RgbaImage::from_pixel(400, 300, Rgba([255, 0, 0, 0]));
    // A half-transparent blue square: blue mixed with white.
    for (x, y, pixel) in rgba.enumerate_pixels_mut() {
        if x >= 200 && y >= 150 {
            *pixel = Rgba([0, 0, 255, 128]);
        }
    }
    let photo = ok(&encode(DynamicImage::ImageRgba8(rgba), ImageFormat::Png));
    assert_eq!(photo.placeholder.len(), 7);
    for variant in &photo.variants {
        let pixels = decoded(&variant.bytes);
        let (clear, half) = (
            pixels.get_pixel(variant.width / 8, variant.height / 6),
            pixels.get_pixel(variant.width * 7 / 8, variant.height * 5 / 6),
        );
        assert!(close_to(*clear, [255, 255, 255]), "{:?}: {clear:?}", variant.format);
        assert!(close_to(*half, [127, 127, 255]), "{:?}: {half:?}", variant.format);
    }
}

#[test]
fn webp_uploads_are_accepted() {
    let upload = encode(DynamicImage::ImageRgb8(photo_like(800, 600)), ImageFormat::WebP);
    let photo = process(&upload, Some(PhotoFormat::Webp), &PhotoLimits::default()).unwrap();
    assert_eq!(
        (photo.source_format, photo.width, photo.height, photo.variants.len()),
        (PhotoFormat::Webp, 800, 600, 4)
    );
}

// ---------------------------------------------------------------- rule 6: placeholder

#[test]
fn placeholder_is_the_average_colour() {
    assert_eq!(ok(&png(solid(900, 600, [0x33, 0x66, 0xCC]))).placeholder, "#3366cc");
    assert_eq!(ok(&png(solid(100, 100, [0xFE, 0x01, 0x80]))).placeholder, "#fe0180");
}

// ---------------------------------------------------------------- rejections for people and machines

#[test]
fn rejections_have_stable_codes_and_plain_messages() {
    let cases = [
        (PhotoRejection::Empty, "empty", "the file is empty"),
        (PhotoRejection::TooLarge { limit_bytes: 15 * 1024 * 1024 }, "too_large", "larger than 15 MB"),
        (PhotoRejection::UnsupportedType { detected: "pdf".into() }, "unsupported_type", "the file is a PDF document"),
        (PhotoRejection::UnsupportedType { detected: "heic".into() }, "unsupported_type", "Most Compatible"),
        (
            PhotoRejection::TypeMismatch { declared: PhotoFormat::Jpeg, actual: PhotoFormat::Png },
            "type_mismatch",
            "sent as a JPEG photo but is really a PNG photo",
        ),
        (PhotoRejection::TooManyPixels { width: 50_000, height: 50_000 }, "too_many_pixels", "50000 x 50000 pixels"),
        (PhotoRejection::Undecodable { reason: "eof".into() }, "undecodable", "damaged or incomplete"),
    ];
    for (rejection, code, phrase) in cases {
        let message = rejection.to_string();
        assert_eq!(rejection.code(), code);
        assert!(message.contains(phrase), "{message:?} lacks {phrase:?}");
        assert!(message.contains("upload") || message.contains("save it again"), "{message:?} says nothing to do");
    }
}
