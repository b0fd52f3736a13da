//! Fuzzing every parser ostmig feeds untrusted text to (issue 9), time-boxed so CI runs it:
//! the body cleaner, the rendered-page splitter, `ostmig.toml`, and the SQL that reads
//! osTicket's JSON columns (`thread.extra`, `thread_entry_merge.data`, `thread_event.data`,
//! `form_field.configuration`, `filter_action.configuration`, JSON answers in
//! `form_entry_values.value`). Inputs are seed inputs mutated by a seeded generator; the seed
//! is printed (`OSTMIG_FUZZ_SEED` replays it) and `OSTMIG_FUZZ_SECONDS` (default 4 per target)
//! runs it longer locally. For coverage-guided runs of the cleaner see tests/fuzz/ (cargo fuzz).
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Fragments that tend to break HTML, TOML and JSON parsers.
const TOKENS: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "<script>",
    "</script>",
    "<p>",
    "</p>",
    "<a href=\"",
    "javascript:",
    "&#",
    "&amp;",
    "&#x3c;",
    "\"",
    "'",
    "=",
    "<img src=cid:",
    "<!--",
    "-->",
    "<![CDATA[",
    "<div>",
    "<b>",
    "\u{0}",
    "\u{feff}",
    "\r\n",
    "\n",
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\\",
    "\\u0000",
    "\"\"\"",
    "[[",
    "]]",
    "=",
    "#",
    "null",
    "true",
    "1e999",
    "-0",
    "\u{1F600}",
    "\u{202e}",
    " onload=",
    "data:",
    "<style>",
    "<svg>",
    "<math>",
    "<table>",
];

/// The generator's seed: `OSTMIG_FUZZ_SEED` if set; in CI a fixed one, so a red build is a
/// finding anyone can replay rather than a coin toss on what lands; otherwise a fresh one, so
/// every local run explores new inputs.
fn seed() -> u64 {
    const CI_SEED: u64 = 9969198557096007700;
    let seed = std::env::var("OSTMIG_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            if std::env::var_os("CI").is_some() {
                CI_SEED
            } else {
                rand::random()
            }
        });
    eprintln!("fuzz seed {seed} (OSTMIG_FUZZ_SEED to replay)");
    seed
}

fn budget() -> Duration {
    Duration::from_secs_f64(
        std::env::var("OSTMIG_FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(4.0),
    )
}

/// One mutation of `input`: byte edits, inserted tokens, duplicated ranges, splices.
fn mutate(rng: &mut ChaCha8Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.random_range(1..8) {
        let at = rng.random_range(0..=out.len());
        match rng.random_range(0..6) {
            0 => out.insert(at, rng.random()),
            1 if !out.is_empty() => {
                let end = (at + rng.random_range(1..64)).min(out.len());
                out.drain(at.min(end)..end);
            }
            2 => {
                let t = TOKENS[rng.random_range(0..TOKENS.len())].as_bytes();
                out.splice(at..at, t.iter().copied());
            }
            3 if !out.is_empty() => {
                let start = rng.random_range(0..out.len());
                let end = (start + rng.random_range(1..256)).min(out.len());
                let piece = out[start..end].repeat(rng.random_range(1..40));
                out.splice(at..at, piece);
            }
            4 => {
                let other = &corpus[rng.random_range(0..corpus.len())];
                if !other.is_empty() {
                    let start = rng.random_range(0..other.len());
                    let end = (start + rng.random_range(1..512)).min(other.len());
                    out.splice(at..at, other[start..end].iter().copied());
                }
            }
            _ => {
                if let Some(b) = out.get_mut(at) {
                    *b ^= 1 << rng.random_range(0..8);
                }
            }
        }
    }
    out.truncate(1 << 20);
    out
}

/// Run `check` on mutated corpus inputs until the budget is spent; returns how many ran.
fn fuzz(name: &str, corpus: &[Vec<u8>], mut check: impl FnMut(&[u8])) -> usize {
    let mut rng = ChaCha8Rng::seed_from_u64(seed());
    let started = Instant::now();
    let mut runs = 0;
    let mut pool = corpus.to_vec();
    while started.elapsed() < budget() {
        let base = pool[rng.random_range(0..pool.len())].clone();
        let input = mutate(&mut rng, &base, corpus);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&input)));
        if let Err(e) = outcome {
            let file = std::env::temp_dir().join(format!("ostmig-fuzz-{name}-crash.bin"));
            std::fs::write(&file, &input).unwrap();
            std::panic::resume_unwind(Box::new(format!(
                "{name}: input saved to {}: {:?}",
                file.display(),
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            )));
        }
        // Keep some mutants as new bases, so mutations compound.
        if rng.random_bool(0.1) && pool.len() < 512 {
            pool.push(input);
        }
        runs += 1;
    }
    eprintln!("{name}: {runs} inputs in {:?}", started.elapsed());
    assert!(runs > 0);
    runs
}

/// Every tag left in cleaned HTML is one of the allowed ones, with no handler and no URL a
/// browser would run (text `<` and `>` are escaped by the cleaner, so `<…>` is a tag). The tag
/// is read as a browser reads it — attribute by attribute, entities decoded, the scheme taken
/// from the URL's start — so a safe `https://` link whose text merely contains `javascript:`
/// (fuzz seed 9969198557096007700) is not mistaken for a script.
fn assert_clean(html: &str) {
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        let end = rest[lt..].find('>').map_or(rest.len(), |g| lt + g + 1);
        let tag = &rest[lt..end];
        let (name, attributes) = read_tag(tag);
        assert!(ALLOWED_TAGS.contains(&name.as_str()), "tag {tag} in {html}");
        for (attr, value) in attributes {
            assert!(!attr.starts_with("on"), "handler {attr} in {tag}");
            if matches!(
                attr.as_str(),
                "href" | "src" | "action" | "formaction" | "xlink:href"
            ) {
                let scheme = url_scheme(&decode_entities(&value));
                assert!(
                    matches!(
                        scheme.as_str(),
                        "" | "http" | "https" | "mailto" | "tel" | "cid"
                    ),
                    "{scheme}: URL in {tag}"
                );
            }
        }
        rest = &rest[end..];
    }
}

/// A tag's lower-case name and its attributes (names lower-cased, values as written).
fn read_tag(tag: &str) -> (String, Vec<(String, String)>) {
    let inner = tag.trim_start_matches('<').trim_end_matches('>');
    let inner = inner.trim_start_matches('/');
    let name_len = inner
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(inner.len());
    let name = inner[..name_len].to_ascii_lowercase();
    let mut attributes = Vec::new();
    let mut chars = inner[name_len..].chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == '/') {
            chars.next();
        }
        let mut attr = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '=' || c == '/' {
                break;
            }
            attr.push(c.to_ascii_lowercase());
            chars.next();
        }
        if attr.is_empty() {
            break;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            match chars.peek().copied() {
                Some(q @ ('"' | '\'')) => {
                    chars.next();
                    for c in chars.by_ref() {
                        if c == q {
                            break;
                        }
                        value.push(c);
                    }
                }
                _ => {
                    while let Some(&c) = chars.peek() {
                        if c.is_whitespace() {
                            break;
                        }
                        value.push(c);
                        chars.next();
                    }
                }
            }
        }
        attributes.push((attr, value));
    }
    (name, attributes)
}

/// Numeric character references and the named ones that can spell a scheme's colon or hide a
/// break, as a browser decodes an attribute value before it reads the URL.
fn decode_entities(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest.find(';').unwrap_or(rest.len());
        let entity = rest[1..end].to_ascii_lowercase();
        let decoded = match entity.as_str() {
            "colon" => Some(':'),
            "tab" => Some('\t'),
            "newline" => Some('\n'),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) if end < rest.len() => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The scheme a browser reads from a URL: leading controls and spaces skipped, tab and line
/// breaks removed anywhere, then letters, digits, `+`, `-`, `.` up to the first `:`
/// (empty for a relative URL).
fn url_scheme(url: &str) -> String {
    let url: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    match url.find(':') {
        Some(colon)
            if colon > 0
                && url[..colon]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            url[..colon].to_ascii_lowercase()
        }
        _ => String::new(),
    }
}

#[test]
fn the_clean_html_check_reads_urls_as_a_browser_does() {
    // The check itself must catch what a browser would run, and pass what it would not.
    assert_clean(r#"<a href="https://docsjavascript:.acme-helpdesk.example/usage#billing">x</a>"#);
    assert_clean(r#"<a href="https://x.example/?q=a%20onload=1" title="see onload">x</a>"#);
    for bad in [
        r#"<a href="javascript:alert(1)">x</a>"#,
        r#"<a href=" JaVa&#x09;script&colon;alert(1)">x</a>"#,
        r#"<img src='data:text/html,x'>"#,
        r#"<p onclick="x()">x</p>"#,
        r#"<script>x</script>"#,
    ] {
        let caught = std::panic::catch_unwind(|| assert_clean(bad)).is_err();
        assert!(caught, "{bad} passes the check");
    }
}

fn rendered_pages() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/osticket-1.17/rendered");
    let mut pages: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
                .map(|e| std::fs::read(e.path()).unwrap())
                .collect()
        })
        .unwrap_or_default();
    pages.push(
        br#"<html><head><title>Ticket #123456</title></head><body><a href="tickets.php?id=7">#123456</a><div id="thread-entry-1"><div class="thread-entry message"><div class="header"><b>Ann</b><time datetime="2024-01-02T03:04:05Z"></time></div><div class="thread-body"><div>Hello <img src="x" data-cid="abc"></div></div></div></div></body></html>"#
            .to_vec(),
    );
    pages
}

#[test]
fn the_body_cleaner_survives_any_input() {
    let mut corpus: Vec<Vec<u8>> = vec![
        b"<p>Hello <b>world</b></p><script>alert(1)</script>".to_vec(),
        b"<div onclick=x()>a<a href='javascript:alert(1)'>b</a><img src=\"cid:abcdefabcdefabcdefabcdefabcdef12\"></div>".to_vec(),
        b"Plain text\n\n-- reply above this line --\nold".to_vec(),
        b"<blockquote>On Monday, Ann wrote:<br>old</blockquote>".to_vec(),
        b"<table><tr><td>cell<ul><li>one<li>two</table><style>p{}</style>".to_vec(),
    ];
    corpus.extend(rendered_pages());
    let mut files = ostmig::split::clean::InlineFiles::new();
    files.insert(
        "abcdefabcdefabcdefabcdefabcdef12".into(),
        ostmig::split::clean::InlineFile {
            file_id: 1,
            name: "a.png".into(),
        },
    );
    fuzz("clean_body", &corpus, |input| {
        let text = String::from_utf8_lossy(input);
        for format in [
            ostmig::split::clean::Format::Html,
            ostmig::split::clean::Format::Text,
        ] {
            let c = ostmig::split::clean::clean_body(
                &text,
                format,
                "-- reply above this line --",
                &files,
            );
            assert_clean(&c.html);
            if let Some(q) = &c.quoted_html {
                assert_clean(q);
            }
        }
    });
}

#[test]
fn the_rendered_page_splitter_survives_any_input() {
    let corpus = rendered_pages();
    let mut parsed = 0;
    fuzz("rendered_page", &corpus, |input| {
        if let Some(page) = ostmig::split::rendered::parse_page(&String::from_utf8_lossy(input)) {
            parsed += 1;
            // What a page gives is cleaned like a database body before it is sent.
            for e in &page.entries {
                let c = ostmig::split::clean::clean_body(
                    &e.body,
                    ostmig::split::clean::Format::Html,
                    "-- reply above this line --",
                    &Default::default(),
                );
                assert_clean(&c.html);
            }
        }
    });
    assert!(parsed > 0, "some mutants are still ticket pages");
}

#[test]
fn the_configuration_parser_survives_any_input() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let example = readme
        .split("```toml")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("README has the ostmig.toml example")
        .to_string();
    assert!(
        ostmig::config::Config::parse(&example).is_ok(),
        "the README example parses"
    );
    let corpus = vec![
        example.clone().into_bytes(),
        b"events = \"summary\"\n[admins]\nfallback = \"a@b.example\"\n[admins.map]\nx = \"y@z.example\"\n".to_vec(),
        b"[statuses.map]\n\"On Hold\" = \"waiting_on_customer\"\n[attributes]\nprefix = \"os-\"\n".to_vec(),
    ];
    fuzz("config", &corpus, |input| {
        // Ok or an error message; either way no panic, and what parses yields its settings.
        if let Ok(config) = ostmig::config::Config::parse(&String::from_utf8_lossy(input)) {
            let _ = config.settings();
            let _ = config.free_mail();
        }
    });
}

/// The models that read osTicket's JSON columns, run as the transform runs them.
const JSON_MODELS: &[&str] = &[
    "sql/split/01_entries.sql",
    "sql/models/staging/stg_custom_fields.sql",
    "sql/models/intermediate/int_field_values.sql",
    "sql/models/intermediate/int_ticket_events.sql",
    "sql/models/reports/rpt_filters.sql",
];

#[test]
fn the_sql_reading_json_columns_survives_any_value() {
    require_mariadb!();
    let db = "ostmig_t_fuzz_json";
    fixture_db(db, "ost_", 60);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    snapshot(db, &path, &[]);
    let p = path.to_str().unwrap();
    split_to_the_end(p, &[]);
    assert!(ostmig(&["transform", "--db", p], &[]).status.success());
    let models: Vec<(String, String)> = JSON_MODELS
        .iter()
        .map(|m| {
            let sql =
                std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(m)).unwrap();
            (m.to_string(), sql)
        })
        .collect();
    let conn = duck(&path);
    // The values osTicket wrote, as seeds.
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    for sql in [
        "SELECT extra FROM raw.thread WHERE extra IS NOT NULL LIMIT 5",
        "SELECT data FROM raw.thread_entry_merge LIMIT 5",
        "SELECT data FROM raw.thread_event WHERE data IS NOT NULL LIMIT 10",
        "SELECT configuration FROM raw.form_field WHERE configuration IS NOT NULL LIMIT 10",
        "SELECT configuration FROM raw.filter_action LIMIT 5",
        "SELECT value FROM raw.form_entry_values WHERE value LIKE '{%' LIMIT 10",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        corpus.extend(rows.map(|r| r.unwrap().into_bytes()));
    }
    assert!(
        corpus.len() >= 10,
        "the fixture has JSON values to start from"
    );
    let targets = [
        "UPDATE raw.thread SET extra = ?1 WHERE id IN (SELECT id FROM raw.thread ORDER BY id LIMIT 3)",
        "UPDATE raw.thread_entry_merge SET data = ?1 WHERE rowid IN (SELECT rowid FROM raw.thread_entry_merge ORDER BY rowid LIMIT 2)",
        "UPDATE raw.thread_event SET data = ?1 WHERE id IN (SELECT id FROM raw.thread_event ORDER BY id LIMIT 5)",
        "UPDATE raw.form_field SET configuration = ?1 WHERE id IN (SELECT id FROM raw.form_field WHERE configuration IS NOT NULL ORDER BY id LIMIT 4)",
        "UPDATE raw.filter_action SET configuration = ?1 WHERE id IN (SELECT id FROM raw.filter_action ORDER BY id LIMIT 2)",
        "UPDATE raw.form_entry_values SET value = ?1 WHERE rowid IN (SELECT rowid FROM raw.form_entry_values WHERE value LIKE '{%' ORDER BY rowid LIMIT 4)",
    ];
    fuzz("json_columns", &corpus, |input| {
        let value = String::from_utf8_lossy(input).replace('\0', "");
        conn.execute_batch("BEGIN TRANSACTION").unwrap();
        for t in targets {
            conn.execute(t, [&value]).unwrap();
        }
        for (name, sql) in &models {
            if let Err(e) = conn.execute_batch(sql) {
                panic!("{name} failed on {value:?}: {e}");
            }
        }
        conn.execute_batch("SELECT count(*) FROM stage.split_entries; ROLLBACK")
            .unwrap();
    });
}
