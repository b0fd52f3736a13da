//! Repair of double-encoded UTF-8 ("mojibake": `MÃ¼nster` for `Münster`).
//!
//! Old osTicket installs (1.6 era) have latin1 columns, and clients that talked latin1 to a utf8
//! database wrote UTF-8 bytes that MySQL then stored as latin1 characters. Read back over a
//! utf8mb4 connection, each original multi-byte character shows up as two or three characters
//! from the windows-1252 repertoire (MySQL's `latin1` *is* windows-1252). We undo that run by
//! run: a run of non-ASCII characters is re-encoded to windows-1252 and kept only if the bytes
//! form valid UTF-8 made of multi-byte sequences. Genuine accented text ("Café", "Größe") does
//! not pass that test, because a lone latin1 letter is never a valid UTF-8 sequence.
use std::borrow::Cow;

use encoding_rs::WINDOWS_1252;

/// Returns the repaired text, or `Cow::Borrowed` when nothing looked double-encoded.
pub fn repair_mojibake(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        return Cow::Borrowed(s);
    }
    let mut out: Option<String> = None;
    let mut copied_to = 0;
    let mut run_start: Option<usize> = None;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let in_run = !c.is_ascii() && encodable_1252(c);
        if in_run && run_start.is_none() {
            run_start = Some(i);
        }
        let run_ends = !in_run || iter.peek().is_none();
        if run_ends && let Some(start) = run_start.take() {
            let end = if in_run { i + c.len_utf8() } else { i };
            if let Some(fixed) = repair_run(&s[start..end]) {
                let buf = out.get_or_insert_with(|| String::with_capacity(s.len()));
                buf.push_str(&s[copied_to..start]);
                buf.push_str(&fixed);
                copied_to = end;
            }
        }
    }
    match out {
        Some(mut buf) => {
            buf.push_str(&s[copied_to..]);
            Cow::Owned(buf)
        }
        None => Cow::Borrowed(s),
    }
}

fn encodable_1252(c: char) -> bool {
    let cp = c as u32;
    // Latin-1 block maps to itself; the C1 range is filled by the windows-1252 specials
    // (€ ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ) and, for 0x81 0x8D 0x8F 0x90 0x9D,
    // by the raw C1 code points MySQL's latin1 produces.
    (0x80..=0xFF).contains(&cp)
        || matches!(
            c,
            '€' | '‚'
                | 'ƒ'
                | '„'
                | '…'
                | '†'
                | '‡'
                | 'ˆ'
                | '‰'
                | 'Š'
                | '‹'
                | 'Œ'
                | 'Ž'
                | '‘'
                | '’'
                | '“'
                | '”'
                | '•'
                | '–'
                | '—'
                | '˜'
                | '™'
                | 'š'
                | '›'
                | 'œ'
                | 'ž'
                | 'Ÿ'
        )
}

fn repair_run(run: &str) -> Option<String> {
    let (bytes, _, unmappable) = WINDOWS_1252.encode(run);
    let mut bytes = bytes.into_owned();
    if unmappable {
        // encoding_rs maps C1 code points U+0081.. back only when they are in the index;
        // fill the five holes by hand.
        bytes = run
            .chars()
            .map(|c| {
                let mut b = [0u8; 4];
                let (enc, _, bad) = WINDOWS_1252.encode(c.encode_utf8(&mut b));
                if bad { c as u32 as u8 } else { enc[0] }
            })
            .collect();
    }
    // A valid repair contains at least one multi-byte sequence and nothing else odd.
    let text = std::str::from_utf8(&bytes).ok()?;
    if text.is_ascii() || text.chars().count() == run.chars().count() {
        return None;
    }
    Some(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_encoded_text_is_repaired() {
        assert_eq!(repair_mojibake("JÃ¼rgen GroÃŸ"), "Jürgen Groß");
        assert_eq!(
            repair_mojibake("cafÃ© â€” â€œquotedâ€\u{9d}"),
            "café — “quoted”"
        );
        assert_eq!(repair_mojibake("æ—¥æœ¬"), "日本");
    }

    #[test]
    fn genuine_text_is_left_alone() {
        for s in [
            "Café",
            "Größe",
            "Ñandú",
            "日本語",
            "Ελληνικά",
            "plain",
            "naïve — “ok”",
            "© 2024",
        ] {
            assert!(matches!(repair_mojibake(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn mixed_good_and_bad_runs() {
        assert_eq!(repair_mojibake("Größe / GrÃ¶ÃŸe"), "Größe / Größe");
    }
}
