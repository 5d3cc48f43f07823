//! Decode, orient, resize, encode: one upload in, the listing's variants out.

use std::io::Cursor;

use fast_image_resize as fir;
use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, RgbImage, RgbaImage};

use super::rejection::PhotoRejection;
use super::sniff::{PhotoFormat, sniff};

/// Variant widths in CSS pixels: phone cards, phone full width and desktop cards,
/// desktop gallery, full-screen gallery.
pub const VARIANT_WIDTHS: [u32; 4] = [320, 640, 1280, 1920];

/// WebP at 75 is visually close to JPEG at 80 for photos and about a third smaller.
const WEBP_QUALITY: f32 = 75.0;
const JPEG_QUALITY: u8 = 80;

/// What an upload may be; checked before any pixel is allocated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoLimits {
    pub max_bytes: usize,
    pub max_width: u32,
    pub max_height: u32,
    pub max_pixels: u64,
    /// Handed to the decoder: it refuses to allocate more than this for pixels.
    pub max_alloc_bytes: u64,
}

impl Default for PhotoLimits {
    /// Phone cameras top out around 50 megapixels (8160 x 6144) and 15 MB.
    fn default() -> Self {
        PhotoLimits {
            max_bytes: 15 * 1024 * 1024,
            max_width: 12_000,
            max_height: 12_000,
            max_pixels: 50_000_000,
            max_alloc_bytes: 512 * 1024 * 1024,
        }
    }
}

/// Stored by name in the photo's row (`"webp"`, `"jpeg"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VariantFormat {
    Webp,
    Jpeg,
}

impl VariantFormat {
    /// The contract's name (`PhotoVariant.format`).
    pub fn as_str(self) -> &'static str {
        match self {
            VariantFormat::Webp => "webp",
            VariantFormat::Jpeg => "jpeg",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            VariantFormat::Webp => "webp",
            VariantFormat::Jpeg => "jpg",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            VariantFormat::Webp => "image/webp",
            VariantFormat::Jpeg => "image/jpeg",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedVariant {
    pub width: u32,
    pub height: u32,
    pub format: VariantFormat,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedPhoto {
    pub source_format: PhotoFormat,
    /// Upright dimensions, after the EXIF orientation.
    pub width: u32,
    pub height: u32,
    /// Average colour as `#rrggbb`, shown while the photo loads.
    pub placeholder: String,
    /// By width ascending; a WebP then a JPEG at each width.
    pub variants: Vec<EncodedVariant>,
}

/// Checks, decodes and re-encodes one upload. `declared` is the type the client
/// claimed (file name or content type); it must match the bytes.
pub fn process(
    bytes: &[u8],
    declared: Option<PhotoFormat>,
    limits: &PhotoLimits,
) -> Result<ProcessedPhoto, PhotoRejection> {
    let (source_format, mut decoder) = open(bytes, declared, limits)?;
    let (width, height) = decoder.dimensions();
    // A damaged EXIF block is no reason to refuse the photo itself.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let stored = DynamicImage::from_decoder(decoder).map_err(|error| match error {
        ImageError::Limits(_) => PhotoRejection::TooManyPixels { width, height },
        other => undecodable(other.to_string()),
    })?;
    let stored = to_opaque_rgb(stored);

    let (width, height) = upright_size(stored.dimensions(), orientation);
    let targets = target_sizes(width, height);
    let Some((&largest, smaller)) = targets.split_last() else {
        return Err(undecodable("no variant size"));
    };

    let mut resizer = fir::Resizer::new();
    // Orienting after the first downscale turns a small buffer instead of the
    // full-size one; rotations and flips commute with resizing.
    let mut current = orient(resize_stored(&mut resizer, stored, largest, orientation)?, orientation);
    let mut variants = vec![encode_webp(&current)?, encode_jpeg(&current)?];
    // Each smaller size from the previous one: resampling cost follows the source
    // size, so this costs about a third of resizing the original every time.
    for &(target_width, target_height) in smaller.iter().rev() {
        current = resize(&mut resizer, &current, target_width, target_height)?;
        variants.push(encode_webp(&current)?);
        variants.push(encode_jpeg(&current)?);
    }
    // Stable: keeps the WebP before the JPEG of each width.
    variants.sort_by_key(|variant| variant.width);
    let placeholder = average_colour(&current);

    Ok(ProcessedPhoto { source_format, width, height, placeholder, variants })
}

/// The cheap part of [`process`], for the request path: size, type, declared type,
/// a JPEG's completeness and the dimensions in the header, without decoding a pixel.
/// What it passes can still fail in `process` (damaged data inside a PNG or WebP).
pub fn inspect(
    bytes: &[u8],
    declared: Option<PhotoFormat>,
    limits: &PhotoLimits,
) -> Result<PhotoFormat, PhotoRejection> {
    open(bytes, declared, limits).map(|(format, _)| format)
}

fn undecodable(reason: impl Into<String>) -> PhotoRejection {
    PhotoRejection::Undecodable { reason: reason.into() }
}

/// Every check that needs no pixels, in order, then a decoder that may allocate
/// no more than the limits allow.
fn open<'a>(
    bytes: &'a [u8],
    declared: Option<PhotoFormat>,
    limits: &PhotoLimits,
) -> Result<(PhotoFormat, impl ImageDecoder + 'a), PhotoRejection> {
    // Size first: the cheapest check, and it bounds every later one.
    if bytes.len() > limits.max_bytes {
        return Err(PhotoRejection::TooLarge { limit_bytes: limits.max_bytes });
    }
    let format = sniff(bytes)?;
    if let Some(declared) = declared
        && declared != format
    {
        return Err(PhotoRejection::TypeMismatch { declared, actual: format });
    }
    // The JPEG decoder fills whatever is missing with grey instead of failing.
    if format == PhotoFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(undecodable("the JPEG data ends before its end-of-image marker"));
    }

    // Width and height limits are left out while the header is read, so that a
    // too-large photo is reported with its dimensions instead of a decoder error.
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_alloc_bytes);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(image_limits.clone());
    let mut decoder = reader.into_decoder().map_err(|error| undecodable(error.to_string()))?;

    let (width, height) = decoder.dimensions();
    let too_many = || PhotoRejection::TooManyPixels { width, height };
    if width > limits.max_width
        || height > limits.max_height
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(too_many());
    }
    image_limits.max_image_width = Some(limits.max_width);
    image_limits.max_image_height = Some(limits.max_height);
    // `ImageReader::into_decoder` does not count the output buffer against
    // `max_alloc` (only `ImageReader::decode` does): reserve it here.
    image_limits.reserve(decoder.total_bytes()).map_err(|_| too_many())?;
    decoder.set_limits(image_limits).map_err(|_| too_many())?;
    Ok((format, decoder))
}

/// Variants are opaque: JPEG has no alpha, and the WebP of the same width must look
/// the same as the JPEG whichever one the browser picks. Transparency becomes white.
fn to_opaque_rgb(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba: RgbaImage = image.into_rgba8();
    let (width, height) = rgba.dimensions();
    let mut rgb = Vec::with_capacity(rgba.as_raw().len() / 4 * 3);
    for pixel in rgba.as_raw().chunks_exact(4) {
        let alpha = u32::from(pixel[3]);
        for &channel in &pixel[..3] {
            // channel over white: (c * a + 255 * (255 - a)) / 255, rounded.
            rgb.push(((u32::from(channel) * alpha + 255 * (255 - alpha) + 127) / 255) as u8);
        }
    }
    // The buffer has exactly width * height * 3 bytes.
    RgbImage::from_raw(width, height, rgb).unwrap_or_default()
}

/// A JPEG is complete when its last scan is followed by the end-of-image marker.
/// Walks the segments and the entropy-coded data, so bytes that phones append after
/// the marker (Samsung trailers, MPF secondary images) are allowed.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut at = 2; // after SOI
    while at + 1 < bytes.len() {
        if bytes[at] != 0xFF {
            // Stray bytes between segments: decoders skip them, so do we.
            at += 1;
            continue;
        }
        let marker = bytes[at + 1];
        match marker {
            0xD9 => return true,           // EOI
            0xFF => at += 1,               // fill byte
            0x01 | 0xD0..=0xD7 => at += 2, // TEM and RSTn stand alone
            _ => {
                let Some(length) = bytes.get(at + 2..at + 4) else { return false };
                at += 2 + usize::from(u16::from_be_bytes([length[0], length[1]]));
                if marker == 0xDA {
                    // SOS: entropy-coded data runs to the next marker that is not a
                    // stuffed 0xFF00 or a restart marker.
                    at = match next_marker(bytes, at) {
                        Some(next) => next,
                        None => return false,
                    };
                }
            }
        }
    }
    false
}

fn next_marker(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while at + 1 < bytes.len() {
        if bytes[at] == 0xFF && !matches!(bytes[at + 1], 0x00 | 0xD0..=0xD7 | 0xFF) {
            return Some(at);
        }
        at += 1;
    }
    None
}

fn swaps_axes(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    )
}

fn upright_size((width, height): (u32, u32), orientation: Orientation) -> (u32, u32) {
    if swaps_axes(orientation) { (height, width) } else { (width, height) }
}

/// The variant sizes, smallest first: every standard width up to the photo's own
/// (never upscaled), or just the photo's width when it is narrower than all of them.
fn target_sizes(width: u32, height: u32) -> Vec<(u32, u32)> {
    let mut widths: Vec<u32> = VARIANT_WIDTHS.iter().copied().filter(|&target| target <= width).collect();
    if widths.is_empty() {
        widths.push(width);
    }
    widths
        .into_iter()
        .map(|target| {
            let scaled = (u64::from(height) * u64::from(target) + u64::from(width) / 2) / u64::from(width);
            (target, u32::try_from(scaled).unwrap_or(u32::MAX).max(1))
        })
        .collect()
}

/// Resizes the image as stored to what will be `upright` once oriented.
fn resize_stored(
    resizer: &mut fir::Resizer,
    stored: RgbImage,
    upright: (u32, u32),
    orientation: Orientation,
) -> Result<RgbImage, PhotoRejection> {
    let (width, height) = upright_size(upright, orientation);
    if stored.dimensions() == (width, height) {
        return Ok(stored);
    }
    resize(resizer, &stored, width, height)
}

/// Lanczos3 through fast_image_resize (SIMD): several times faster than `image`'s
/// resize, and no full-size f32 intermediate buffer. Gamma is not linearised
/// (like every browser's and CDN's resizer); fine for photos.
fn resize(resizer: &mut fir::Resizer, source: &RgbImage, width: u32, height: u32) -> Result<RgbImage, PhotoRejection> {
    let internal = |error: &dyn std::fmt::Display| undecodable(format!("resize failed: {error}"));
    let source_view =
        fir::images::ImageRef::new(source.width(), source.height(), source.as_raw(), fir::PixelType::U8x3)
            .map_err(|error| internal(&error))?;
    let mut target = fir::images::Image::new(width, height, fir::PixelType::U8x3);
    let options = fir::ResizeOptions::new().resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Lanczos3));
    resizer.resize(&source_view, &mut target, &options).map_err(|error| internal(&error))?;
    RgbImage::from_raw(width, height, target.into_vec()).ok_or_else(|| internal(&"buffer size"))
}

fn orient(image: RgbImage, orientation: Orientation) -> RgbImage {
    if orientation == Orientation::NoTransforms {
        return image;
    }
    let mut image = DynamicImage::ImageRgb8(image);
    image.apply_orientation(orientation);
    image.into_rgb8()
}

/// Lossy WebP through libwebp's simple API: it writes a bare `VP8 ` bitstream with
/// no EXIF, XMP or ICC chunk, since none is handed to it.
fn encode_webp(image: &RgbImage) -> Result<EncodedVariant, PhotoRejection> {
    let mut config = webp::WebPConfig::new().map_err(|()| undecodable("libwebp could not be initialised"))?;
    config.quality = WEBP_QUALITY;
    let encoded = webp::Encoder::from_rgb(image.as_raw(), image.width(), image.height())
        .encode_advanced(&config)
        .map_err(|error| undecodable(format!("WebP encoding failed: {error:?}")))?;
    Ok(EncodedVariant {
        width: image.width(),
        height: image.height(),
        format: VariantFormat::Webp,
        bytes: encoded.to_vec(),
    })
}

/// Baseline JPEG (4:2:2 chroma). `image`'s encoder writes a JFIF header and nothing
/// else unless EXIF or ICC data is set on it, which is never done here.
fn encode_jpeg(image: &RgbImage) -> Result<EncodedVariant, PhotoRejection> {
    let mut bytes = Vec::with_capacity(image.as_raw().len() / 8);
    JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
        .encode_image(image)
        .map_err(|error| undecodable(format!("JPEG encoding failed: {error}")))?;
    Ok(EncodedVariant { width: image.width(), height: image.height(), format: VariantFormat::Jpeg, bytes })
}

/// Mean of the smallest variant's pixels (at most 320 pixels wide: cheap).
fn average_colour(image: &RgbImage) -> String {
    let mut sums = [0u64; 3];
    for pixel in image.pixels() {
        for (sum, &channel) in sums.iter_mut().zip(pixel.0.iter()) {
            *sum += u64::from(channel);
        }
    }
    let count = u64::from(image.width()) * u64::from(image.height());
    let [red, green, blue] = sums.map(|sum| (sum + count / 2) / count.max(1));
    format!("#{red:02x}{green:02x}{blue:02x}")
}
