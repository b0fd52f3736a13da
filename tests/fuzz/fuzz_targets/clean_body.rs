//! Any bytes, any chunking, either format: the cleaner must not panic, must keep its output
//! free of active content, and must give the same HTML whatever the chunk boundaries.
#![no_main]

#[path = "../../../src/split/clean.rs"]
#[allow(dead_code)]
mod clean;

use clean::{Cleaned, Format, InlineFile, InlineFiles, clean_body, sanitize};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&control, body)) = data.split_first() else { return };
    let mut files = InlineFiles::new();
    files.insert(
        "abcdefabcdefabcdefabcdefabcdef12".into(),
        InlineFile { file_id: 1, name: "a.png".into() },
    );
    let text = String::from_utf8_lossy(body);
    let format = if control & 1 == 0 { Format::Html } else { Format::Text };
    let c = clean_body(&text, format, "-- reply above this line --", &files);
    for html in std::iter::once(&c.html).chain(c.quoted_html.as_ref()) {
        let lower = html.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "{html}");
        assert!(!lower.contains("=\"javascript:"), "{html}");
        assert!(!lower.contains("<iframe"), "{html}");
    }
    // Chunk boundaries must not change the result.
    let cut = (control as usize * 7919) % (body.len() + 1);
    let whole = sanitize(&[body], &files, &mut Cleaned::default());
    let split = sanitize(&[&body[..cut], &body[cut..]], &files, &mut Cleaned::default());
    assert_eq!(whole, split);
});
