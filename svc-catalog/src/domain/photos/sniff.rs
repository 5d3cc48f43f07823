//! What a file really is, from its first bytes. File names and `Content-Type`
//! headers are whatever the dealer's phone or browser made up; the magic bytes are
//! what a decoder will actually see.

use super::rejection::PhotoRejection;

/// The photo types we accept: every phone and browser can produce one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhotoFormat {
    Jpeg,
    Png,
    Webp,
}

impl PhotoFormat {
    pub const ALL: [PhotoFormat; 3] = [PhotoFormat::Jpeg, PhotoFormat::Png, PhotoFormat::Webp];

    /// What a client declared (`Content-Type`), to be checked against the bytes;
    /// `None` for anything that names no type of ours (`application/octet-stream`).
    pub fn from_mime(mime: &str) -> Option<PhotoFormat> {
        let mime = mime.trim().to_ascii_lowercase();
        match mime.as_str() {
            "image/jpg" | "image/pjpeg" => Some(PhotoFormat::Jpeg),
            other => PhotoFormat::ALL.into_iter().find(|format| format.mime() == other),
        }
    }

    /// Stable lower-case name, for logs, metrics and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "jpeg",
            PhotoFormat::Png => "png",
            PhotoFormat::Webp => "webp",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "image/jpeg",
            PhotoFormat::Png => "image/png",
            PhotoFormat::Webp => "image/webp",
        }
    }

    /// The name a dealer knows the type by, for messages.
    pub(super) fn label(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "JPEG",
            PhotoFormat::Png => "PNG",
            PhotoFormat::Webp => "WebP",
        }
    }

    pub(super) fn image_format(self) -> image::ImageFormat {
        match self {
            PhotoFormat::Jpeg => image::ImageFormat::Jpeg,
            PhotoFormat::Png => image::ImageFormat::Png,
            PhotoFormat::Webp => image::ImageFormat::WebP,
        }
    }
}

/// Detects the type from magic bytes only. Anything but JPEG, PNG and WebP is
/// refused, naming what it looks like (`pdf`, `gif`, `heic`, `text`...) so the
/// dealer can be told what to do instead.
pub fn sniff(bytes: &[u8]) -> Result<PhotoFormat, PhotoRejection> {
    if bytes.is_empty() {
        return Err(PhotoRejection::Empty);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(PhotoFormat::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(PhotoFormat::Png);
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Ok(PhotoFormat::Webp);
    }
    Err(PhotoRejection::UnsupportedType { detected: other_kind(bytes).to_owned() })
}

/// A short stable name for a refused file; `PhotoRejection`'s message explains it.
fn other_kind(bytes: &[u8]) -> &'static str {
    const PREFIXES: &[(&[u8], &str)] = &[
        (b"%PDF-", "pdf"),
        (b"GIF87a", "gif"),
        (b"GIF89a", "gif"),
        (b"II*\0", "tiff"),
        (b"MM\0*", "tiff"),
        (b"BM", "bmp"),
        (b"\xFF\x0A", "jxl"),
        (b"\0\0\0\x0CJXL ", "jxl"),
        (b"PK\x03\x04", "zip"),
    ];
    if let Some((_, kind)) = PREFIXES.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return kind;
    }
    // ISO base media files (HEIC, AVIF, MP4, MOV): a box size, then `ftyp` and brands.
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let box_len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        let brands = &bytes[8..box_len.clamp(12, bytes.len())];
        return if brands.chunks_exact(4).any(|brand| brand == b"avif" || brand == b"avis") {
            "avif"
        } else if brands
            .chunks_exact(4)
            .any(|brand| brand.starts_with(b"hei") || brand.starts_with(b"hev") || brand == b"mif1")
        {
            "heic"
        } else {
            "video"
        };
    }
    if looks_like_text(bytes) { "text" } else { "unknown" }
}

/// UTF-8 without control characters other than whitespace, in the first kilobyte
/// (HTML, SVG, CSV, a pasted URL...).
fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // The kilobyte may end inside a multi-byte character.
        Err(error) if error.error_len().is_none() => {
            std::str::from_utf8(&head[..error.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !text.is_empty() && text.chars().all(|c| !c.is_control() || c.is_ascii_whitespace())
}
