//! Split throughput: the streaming body cleaner against a full-DOM baseline on the same bodies.
//!
//!   split_throughput DB.duckdb ostmig|dom
//!
//! Loads every thread entry body of the snapshot in DB into memory (not timed), then times
//! `OSTMIG_BENCH_PASSES` (default 3) passes over all of them on one core and prints the fastest
//! as `mode seconds html_bytes bodies`: on a shared 2-core machine the fastest pass is the one
//! least disturbed by other work, and both modes are measured the same way. The DOM
//! baseline parses each body with html5ever (scraper), serialises it and extracts its text: what
//! a cleaner built on a DOM must do at least. `benches/split.sh` runs both alternately.
use std::time::Instant;

use ostmig::split::clean::{Format, InlineFiles, clean_body};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(db), Some(mode)) = (args.next(), args.next()) else {
        eprintln!("usage: split_throughput DB.duckdb ostmig|dom");
        std::process::exit(2);
    };
    let conn = duckdb::Connection::open(&db).expect("open the staging file");
    let mut stmt = conn
        .prepare("SELECT body, format = 'text' FROM raw.thread_entry WHERE body IS NOT NULL")
        .unwrap();
    let bodies: Vec<(String, bool)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let bytes: usize = bodies.iter().map(|b| b.0.len()).sum();
    let files = InlineFiles::new();
    let passes: usize = std::env::var("OSTMIG_BENCH_PASSES")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3);
    let mut fastest = f64::INFINITY;
    for _ in 0..passes.max(1) {
        fastest = fastest.min(one_pass(&mode, &bodies, &files));
    }
    println!("{mode} {fastest:.3} {bytes} {}", bodies.len());
}

/// Seconds for one pass of `mode` over every body.
fn one_pass(mode: &str, bodies: &[(String, bool)], files: &InlineFiles) -> f64 {
    let started = Instant::now();
    let mut out = 0usize;
    match mode {
        "ostmig" => {
            for (body, text) in bodies {
                let format = if *text { Format::Text } else { Format::Html };
                let c = clean_body(body, format, "-- reply above this line --", files);
                out += c.html.len() + c.text.len();
            }
        }
        "dom" => {
            for (body, _) in bodies {
                let doc = scraper::Html::parse_fragment(body);
                out += doc.root_element().html().len();
                out += doc.root_element().text().map(str::len).sum::<usize>();
            }
        }
        other => panic!("unknown mode {other}"),
    }
    let secs = started.elapsed().as_secs_f64();
    std::hint::black_box(out);
    secs
}
