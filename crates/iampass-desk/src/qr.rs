//! QR codes rendered in Rust, as PNG: error correction M (survives a scuffed screen or glare),
//! a quiet zone, and large enough to scan at arm's length from across a desk.

use base64::Engine as _;
use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode};

use crate::error::{DeskError, DeskResult};

/// Smallest side, in pixels; the UI scales it down to fit, never up.
pub const DEFAULT_SIZE_PX: u32 = 720;

/// The PNG bytes of `text`'s QR code, at least `min_px` square.
pub fn png(text: &str, min_px: u32) -> DeskResult<Vec<u8>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| DeskError::Invalid(format!("cannot encode this link as a QR code: {e}")))?;
    let img = code.render::<Luma<u8>>().min_dimensions(min_px, min_px).quiet_zone(true).build();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).map_err(|e| DeskError::Storage(format!("PNG encoding failed: {e}")))?;
    Ok(out.into_inner())
}

/// How many modules a side `text`'s code has: what decides whether it scans across a desk.
pub fn modules(text: &str) -> DeskResult<usize> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map(|c| c.width())
        .map_err(|e| DeskError::Invalid(format!("cannot encode this link as a QR code: {e}")))
}

const DATA_URL_PREFIX: &str = "data:image/png;base64,";

/// `data:image/png;base64,...` for an `<img>`.
pub fn data_url(png: &[u8]) -> String {
    format!("{DATA_URL_PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(png))
}

/// The PNG bytes back from [`data_url`]'s form (a ticket already carries its picture: attaching
/// it to an e-mail need not render it again).
pub fn png_of_data_url(url: &str) -> DeskResult<Vec<u8>> {
    url.strip_prefix(DATA_URL_PREFIX)
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .ok_or_else(|| DeskError::Storage("the QR code picture is not a PNG data URL".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picture_carries_the_link_and_is_large() {
        let link = "http://127.0.0.1:8080/register/AbCdEfGhIjKlMnOpQrStUv";
        let bytes = png(link, DEFAULT_SIZE_PX).unwrap();
        let img = image::load_from_memory_with_format(&bytes, ImageFormat::Png).unwrap().to_luma8();
        assert!(img.width() >= DEFAULT_SIZE_PX && img.width() == img.height());
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let (meta, content) = grids[0].decode().unwrap();
        assert_eq!(content, link);
        assert_eq!(meta.ecc_level, 0, "rqrr numbers M as 0");
        assert!(data_url(&bytes).starts_with("data:image/png;base64,iVBOR"));
        assert_eq!(png_of_data_url(&data_url(&bytes)).unwrap(), bytes);
        assert!(png_of_data_url("data:text/plain,hi").is_err());
    }

    /// The employee's name rides in the link's fragment: at the book's longest (100 characters),
    /// Latin or not, the code stays within what a phone reads from across a desk at 720 px
    /// (at least 7 px a module), and it decodes back to the same link.
    #[test]
    fn a_long_name_keeps_the_code_scannable() {
        let base = "https://iampass.corp.example/register/0123456789abcdef0123456789abcdef";
        let cases = [
            ("", 37),
            ("Ann Lee", 41),
            (&*"Maximiliana Wolfeschlegelsteinhausen-Bergerdorff ".repeat(2), 49),
            (&*"王".repeat(100), 81),
        ];
        for (name, most) in cases {
            let link = crate::enroll::with_name(base, name);
            let n = modules(&link).unwrap();
            eprintln!("{} chars: {} link bytes, {n} modules", name.chars().count(), link.len());
            assert!(n <= most, "{} chars: {n} modules", name.chars().count());
            let png = png(&link, DEFAULT_SIZE_PX).unwrap();
            let img = image::load_from_memory(&png).unwrap().to_luma8();
            assert!(img.width() / (n as u32 + 8) >= 6, "{} px for {n} modules", img.width());
            let mut prepared = rqrr::PreparedImage::prepare(img);
            assert_eq!(prepared.detect_grids()[0].decode().unwrap().1, link);
        }
    }
}
