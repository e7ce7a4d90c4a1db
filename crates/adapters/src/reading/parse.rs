//! The parsers themselves, run only in the reader child (`child.rs`): images downscaled for
//! vision models, the text of PDFs. Bounded where the libraries let us bound them; the child's
//! limits bound the rest.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{ImageReader, Limits};

use colloquy_domain::media::model::DOCUMENT_TEXT_MAX_CHARS;

/// Larger images are refused before decoding (a 40-megapixel photo is already far above what
/// WhatsApp sends after its own compression).
const MAX_DECODED_SIDE: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
const JPEG_QUALITY: u8 = 80;

/// The image as a JPEG that fits `max_side` on its longer side (never enlarged).
pub fn downscale(bytes: &[u8], max_side: u32) -> Result<Vec<u8>, String> {
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

/// A PDF's text, whitespace runs folded, cut a little past what the agent is given (the worker
/// cuts it exactly and says so).
pub fn pdf_text(bytes: &[u8]) -> Result<String, String> {
    let text = pdf_extract::extract_text_from_mem(bytes).map_err(|err| err.to_string())?;
    let mut folded = String::new();
    let lines = text.lines().map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "));
    for line in lines.filter(|line| !line.is_empty()) {
        if !folded.is_empty() {
            folded.push('\n');
        }
        folded.push_str(&line);
        if folded.len() > DOCUMENT_TEXT_MAX_CHARS * 4 {
            break;
        }
    }
    Ok(folded)
}

/// A PDF's pages, each one's lines with whitespace runs folded, separated by form feeds (a page
/// break); at most `MAX_PAGES_TEXT_BYTES` in all.
pub fn pdf_pages(bytes: &[u8]) -> Result<String, String> {
    let pages = pdf_extract::extract_text_from_mem_by_pages(bytes).map_err(|err| err.to_string())?;
    let mut out = String::new();
    for (number, page) in pages.iter().enumerate() {
        if number > 0 {
            out.push(PAGE_BREAK);
        }
        let lines = page.lines().map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "));
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
        if out.len() > MAX_PAGES_TEXT_BYTES {
            return Err(format!("it has more than {} MB of text", MAX_PAGES_TEXT_BYTES / (1024 * 1024)));
        }
    }
    Ok(out)
}

/// An HTML page's text: scripts and styles dropped, headings as Markdown's `#` lines (so that
/// a knowledge base's chunks keep their sections), links without their addresses.
pub fn html_text(bytes: &[u8]) -> Result<String, String> {
    let text = html2text::config::with_decorator(html2text::render::PlainDecorator::new())
        .allow_width_overflow()
        .string_from_read(bytes, HTML_LINE_WIDTH)
        .map_err(|err| err.to_string())?;
    if text.len() > MAX_PAGES_TEXT_BYTES {
        return Err(format!("it has more than {} MB of text", MAX_PAGES_TEXT_BYTES / (1024 * 1024)));
    }
    Ok(text)
}

/// Lines of an HTML page's text are wrapped this wide (a paragraph stays one block).
const HTML_LINE_WIDTH: usize = 400;

/// Between two pages of `pdf_pages`' answer.
pub const PAGE_BREAK: char = '\u{c}';
/// A document's text is at most this (a knowledge base splits it into at most 5,000 chunks).
pub const MAX_PAGES_TEXT_BYTES: usize = 6 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_html_page_reads_as_text_with_its_headings_and_without_scripts() {
        let page = b"<!doctype html><html><head><style>p{color:red}</style><script>alert('x')</script></head>\
            <body><h1>House rules</h1><p>Quiet hours run from <b>22:00</b>.</p><h2>Pets</h2><ul><li>Cats are welcome</li></ul>\
            <p><a href=\"https://example.com/x\">More</a></p></body></html>";

        let text = html_text(page).expect("read");

        assert!(text.contains("# House rules\n"), "{text}");
        assert!(text.contains("## Pets\n"), "{text}");
        assert!(text.contains("Quiet hours run from 22:00."), "{text}");
        assert!(text.contains("Cats are welcome"), "{text}");
        assert!(!text.contains("alert") && !text.contains("color:red"), "{text}");
    }

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        image.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90)).expect("encode");
        out
    }

    #[test]
    fn a_large_image_is_downscaled_to_the_longer_side_and_a_small_one_kept() {
        let scaled = downscale(&jpeg(3000, 1500), 1024).expect("downscaled");
        let image = image::load_from_memory(&scaled).expect("a JPEG");
        assert_eq!((image.width(), image.height()), (1024, 512));
        let small = downscale(&jpeg(300, 200), 1024).expect("kept");
        let image = image::load_from_memory(&small).expect("a JPEG");
        assert_eq!((image.width(), image.height()), (300, 200));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(downscale(b"not an image", 1024).is_err());
        assert!(std::panic::catch_unwind(|| pdf_text(b"%PDF-1.4 not really")).map_or(true, |r| r.is_err()));
    }
}
