//! The one place that writes to stdout. Standard output carries what a command produced (a
//! table for people, JSON or CSV for machines) and nothing else; progress, summaries of what
//! happened and hints go to stderr, so `ostmig … --json | jq` and `ostmig sql … --csv > f.csv`
//! stay clean. `clippy::print_stdout` is denied everywhere but here.
#![allow(clippy::print_stdout)]

use std::fmt::Display;
use std::io::Write;

/// A table in the house style: condensed box lines, columns wrapped to the terminal.
pub fn table<I, T>(header: I) -> comfy_table::Table
where
    I: IntoIterator<Item = T>,
    T: Into<comfy_table::Cell>,
{
    let mut table = styled();
    table.set_header(header);
    table
}

/// A table in the house style whose header is set later.
pub fn styled() -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    table
}

/// A column of a table of `T` rows: its header and what a row shows in it.
pub type Column<T> = (&'static str, fn(&T) -> String);

/// A table with one column per entry of `columns` and a line per row.
pub fn columns<T>(columns: &[Column<T>], rows: &[T]) -> comfy_table::Table {
    let mut table = styled();
    table.set_header(columns.iter().map(|(header, _)| *header));
    for row in rows {
        table.add_row(columns.iter().map(|(_, show)| show(row)));
    }
    table
}

/// A number, right-aligned in its column.
pub fn num(n: impl Display) -> comfy_table::Cell {
    comfy_table::Cell::new(n).set_alignment(comfy_table::CellAlignment::Right)
}

/// One line of output. A closed pipe (`ostmig sql … | head`) ends the output quietly instead
/// of panicking as `println!` does.
pub fn line(text: impl Display) {
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").is_err() {
        // The reader is gone: nothing more can be shown, and nothing is lost by stopping.
        std::process::exit(0);
    }
}

/// A value as pretty JSON, the `--json` form of every command.
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    line(serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Raw bytes (a shell completion script) to stdout.
pub fn bytes(data: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(data)?;
    out.flush()?;
    Ok(())
}

/// `out!("…", args)`: a formatted line on stdout, through [`line`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::ui::line(format_args!($($arg)*))
    };
}

/// A span of seconds for people: "45 s", "12 min", "1 h 40 min".
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..=89 => format!("{s} s"),
        90..=5399 => format!("{} min", (s + 30) / 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600 + 30) / 60),
    }
}
