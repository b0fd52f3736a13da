//! Any bytes, any chunking, either format: the cleaner must not panic, must keep its output
//! free of active content, and must give the same HTML whatever the chunk boundaries.
#![no_main]

#[path = "../../../src/split/clean.rs"]
#[allow(dead_code)]
mod clean;

use clean::{Cleaned, Format, InlineFile, InlineFiles, clean_body, sanitize};
use libfuzzer_sys::fuzz_target;

const ALLOWED: &[&str] = &[
    "p", "br", "b", "strong", "i", "em", "u", "a", "ul", "ol", "li", "code", "pre", "h1", "h2",
    "h3", "h4", "h5", "h6", "img",
];

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
        // Text `<` and `>` are escaped, so every `<…>` left is a tag the cleaner allowed.
        let mut rest = html.as_str();
        while let Some(lt) = rest.find('<') {
            let end = rest[lt..].find('>').map(|g| lt + g + 1).unwrap_or(rest.len());
            let tag = rest[lt..end].to_ascii_lowercase();
            let name: String = tag[1..]
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            assert!(ALLOWED.contains(&name.as_str()), "tag {tag} in {html}");
            assert!(!tag.contains("javascript:"), "{tag} in {html}");
            assert!(
                !tag.split_whitespace().skip(1).any(|a| a.starts_with("on")),
                "{tag} in {html}"
            );
            rest = &rest[end..];
        }
    }
    // Chunk boundaries must not change the result.
    let cut = (control as usize * 7919) % (body.len() + 1);
    let whole = sanitize(&[body], &files, &mut Cleaned::default());
    let split = sanitize(&[&body[..cut], &body[cut..]], &files, &mut Cleaned::default());
    assert_eq!(whole, split);
});
