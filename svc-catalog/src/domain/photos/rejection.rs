//! Why an upload was refused. `Display` is a sentence for the dealer; `code()` is
//! the stable key the web layer translates by.

use super::sniff::PhotoFormat;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PhotoRejection {
    #[error("the file is empty; upload a JPEG, PNG or WebP photo")]
    Empty,
    #[error("the file is larger than {}; upload a smaller photo", megabytes(*limit_bytes))]
    TooLarge { limit_bytes: usize },
    /// `detected` is a short stable name: `pdf`, `gif`, `heic`, `avif`, `tiff`,
    /// `bmp`, `jxl`, `zip`, `video`, `text` or `unknown`.
    #[error("{}; upload a JPEG, PNG or WebP photo", describe(detected))]
    UnsupportedType { detected: String },
    #[error(
        "the file was sent as a {} photo but is really a {} photo; save it again with the right file type",
        declared.label(),
        actual.label()
    )]
    TypeMismatch { declared: PhotoFormat, actual: PhotoFormat },
    #[error("the photo is {width} x {height} pixels, more than we can take; upload a smaller version of it")]
    TooManyPixels { width: u32, height: u32 },
    /// `reason` is the decoder's own words: for logs, not for the dealer.
    #[error("the photo could not be read: the file is damaged or incomplete; upload it again")]
    Undecodable { reason: String },
}

impl PhotoRejection {
    pub fn code(&self) -> &'static str {
        match self {
            PhotoRejection::Empty => "empty",
            PhotoRejection::TooLarge { .. } => "too_large",
            PhotoRejection::UnsupportedType { .. } => "unsupported_type",
            PhotoRejection::TypeMismatch { .. } => "type_mismatch",
            PhotoRejection::TooManyPixels { .. } => "too_many_pixels",
            PhotoRejection::Undecodable { .. } => "undecodable",
        }
    }
}

fn describe(detected: &str) -> &'static str {
    match detected {
        "pdf" => "the file is a PDF document, not a photo",
        "gif" => "the file is a GIF animation, which we do not take",
        "heic" => {
            "the file is an HEIC photo, which browsers cannot show (on an iPhone, choose Settings > Camera > Formats > Most Compatible)"
        }
        "avif" => "the file is an AVIF image, which we do not take yet",
        "tiff" => "the file is a TIFF or camera raw image, which we do not take",
        "bmp" => "the file is a BMP bitmap, which we do not take",
        "jxl" => "the file is a JPEG XL image, which we do not take yet",
        "zip" => "the file is an archive or office document, not a photo",
        "video" => "the file is a video, not a photo",
        "text" => "the file is text, not a photo",
        _ => "the file is not a photo type we recognise",
    }
}

/// `15728640` -> "15 MB"; dealers think in MB, and the limit is a whole number of them.
fn megabytes(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MB", bytes / MIB)
    } else if bytes >= MIB {
        format!("{:.1} MB", bytes as f64 / MIB as f64)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}
