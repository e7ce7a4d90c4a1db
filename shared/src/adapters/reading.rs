//! Reading what contacts send: images downscaled for vision models, the text of PDFs. Both run
//! off the async runtime and treat every byte as hostile: bounded dimensions and memory, and a
//! parser that panics on a malformed file fails this file only.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{ImageReader, Limits};

/// Larger images are refused before decoding (a 40-megapixel photo is already far above what
/// WhatsApp sends after its own compression).
const MAX_DECODED_SIDE: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
const JPEG_QUALITY: u8 = 80;

/// The image as a JPEG that fits `max_side` on its longer side (never enlarged).
pub async fn downscale_to_jpeg(bytes: Vec<u8>, max_side: u32) -> Result<Vec<u8>, String> {
    off_the_runtime(move || downscale(&bytes, max_side)).await
}

fn downscale(bytes: &[u8], max_side: u32) -> Result<Vec<u8>, String> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|err| err.to_string())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(|err| err.to_string())?;
    let image =
        if image.width() > max_side || image.height() > max_side { image.thumbnail(max_side, max_side) } else { image };
    let mut out = Vec::new();
    image
        .to_rgb8()
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
        .map_err(|err| err.to_string())?;
    Ok(out)
}

/// A PDF's text, whitespace runs folded.
pub async fn pdf_text(bytes: Vec<u8>) -> Result<String, String> {
    off_the_runtime(move || {
        let text = pdf_extract::extract_text_from_mem(&bytes).map_err(|err| err.to_string())?;
        let lines: Vec<String> = text
            .lines()
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|line| !line.is_empty())
            .collect();
        Ok(lines.join("\n"))
    })
    .await
}

/// Runs `work` on the blocking pool; a panic inside it (the release profile unwinds) becomes
/// this file's error.
async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(err) if err.is_panic() => Err("the file is malformed (its parser gave up)".into()),
        Err(err) => Err(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        image.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90)).expect("encode");
        out
    }

    #[tokio::test]
    async fn a_large_image_is_downscaled_to_the_longer_side_and_a_small_one_kept() {
        let scaled = downscale_to_jpeg(jpeg(3000, 1500), 1024).await.expect("downscaled");
        let image = image::load_from_memory(&scaled).expect("a JPEG");
        assert_eq!((image.width(), image.height()), (1024, 512));
        let small = downscale_to_jpeg(jpeg(300, 200), 1024).await.expect("kept");
        let image = image::load_from_memory(&small).expect("a JPEG");
        assert_eq!((image.width(), image.height()), (300, 200));
    }

    #[tokio::test]
    async fn garbage_is_an_error_not_a_panic() {
        assert!(downscale_to_jpeg(b"not an image".to_vec(), 1024).await.is_err());
        assert!(pdf_text(b"%PDF-1.4 not really".to_vec()).await.is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn no_bytes_make_the_readers_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), pdf in any::<bool>()) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
            let mut bytes = bytes;
            if pdf { bytes.splice(0..0, b"%PDF-1.7\n".iter().copied()); }
            let _ = runtime.block_on(downscale_to_jpeg(bytes.clone(), 64));
            let _ = runtime.block_on(pdf_text(bytes));
        }
    }
}
