//! `ostmig report`: the customer's spreadsheets, written from `reports/*.toml` definitions.
//!
//! A definition names the workbook and, per sheet, a `reports.*` relation (built by the
//! transform from `sql/models/reports/`) and its columns: field, title, width, number or date
//! format, wrapping. No logic lives in a definition: what a sheet shows is its relation. Every
//! sheet gets a bold frozen header and an autofilter; each workbook opens with an "About" sheet
//! saying what it is, where it came from and what each sheet holds. With the same staging file
//! and `SOURCE_DATE_EPOCH`, the output is byte-identical.

use std::path::{Path, PathBuf};

use anyhow::Context;
use duckdb::types::Value as Dv;
use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet,
};
use serde::{Deserialize, Serialize};

use crate::error::Hinted;
use crate::warehouse::{self, ident, literal};

/// The workbooks, in the order they are written: (name, definition).
pub const DEFINITIONS: &[(&str, &str)] = &[
    ("scope", include_str!("../reports/scope.toml")),
    (
        "thread-sample",
        include_str!("../reports/thread-sample.toml"),
    ),
    (
        "reconciliation",
        include_str!("../reports/reconciliation.toml"),
    ),
    ("sla-map", include_str!("../reports/sla-map.toml")),
    (
        "automation-inventory",
        include_str!("../reports/automation-inventory.toml"),
    ),
];

/// Excel refuses longer cells; the relations cut long text already, this is the last guard.
const CELL_LIMIT: usize = 32_767;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workbook_ {
    pub title: String,
    pub file: String,
    pub about: String,
    pub sheets: Vec<Sheet>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sheet {
    pub name: String,
    pub relation: String,
    pub about: String,
    pub columns: Vec<Column>,
    /// A chart of this sheet's own cells, placed beside (or, for a wide sheet, below) them.
    pub chart: Option<ChartDef>,
}

/// What a sheet's chart plots: one series per `values` field, labelled by `categories`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartDef {
    pub title: String,
    /// `column`, `stacked` (stacked columns), `bar` or `stacked_bar`.
    pub kind: String,
    pub categories: String,
    pub values: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub field: String,
    pub title: String,
    pub width: f64,
    /// An Excel number format, e.g. `#,##0` or `yyyy-mm-dd hh:mm`.
    pub format: Option<String>,
    #[serde(default)]
    pub wrap: bool,
}

pub fn definition(name: &str) -> anyhow::Result<Workbook_> {
    let Some((_, text)) = DEFINITIONS.iter().find(|(n, _)| *n == name) else {
        return Err(Hinted::new(
            format!("there is no report named {name:?}"),
            format!(
                "use one of: {}",
                DEFINITIONS
                    .iter()
                    .map(|d| d.0)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .into());
    };
    toml::from_str(text).with_context(|| format!("reports/{name}.toml"))
}

/// What one sheet held, for the terminal summary.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub workbook: String,
    pub sheet: String,
    pub rows: usize,
    pub note: Option<String>,
}

pub struct Options {
    pub db: PathBuf,
    pub out: PathBuf,
    pub names: Vec<String>,
    pub markdown: bool,
}

/// The creation time written into every workbook: `SOURCE_DATE_EPOCH` when set (reproducible
/// output), else now.
fn creation_time() -> anyhow::Result<ExcelDateTime> {
    let ts = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| chrono::Utc::now().timestamp());
    Ok(ExcelDateTime::from_timestamp(ts)?)
}

pub fn run(opts: &Options) -> anyhow::Result<Vec<Written>> {
    let names: Vec<String> = if opts.names.is_empty() {
        DEFINITIONS.iter().map(|d| d.0.to_string()).collect()
    } else {
        opts.names.clone()
    };
    let defs: Vec<(String, Workbook_)> = names
        .iter()
        .map(|n| Ok((n.clone(), definition(n)?)))
        .collect::<anyhow::Result<_>>()?;
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("creating {}", opts.out.display()))?;
    let duck = warehouse::open(&opts.db)?;
    let source: String = duck
        .query_row(
            "SELECT 'snapshot ' || snapshot_id || ' of ' || source || ' (osTicket ' || osticket_version || ', '
                    || strftime(finished_at, '%Y-%m-%d %H:%M') || ' UTC)'
             FROM meta.snapshot ORDER BY snapshot_id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .map_err(|_| {
            Hinted::new(
                format!("{} holds no snapshot", opts.db.display()),
                "run `ostmig snapshot`, `split` and `transform` first (or `ostmig run`)",
            )
        })?;
    let created = creation_time()?;
    let mut out = Vec::new();
    for (name, def) in &defs {
        let mut wb = Workbook::new();
        wb.set_properties(
            &DocProperties::new()
                .set_title(&def.title)
                .set_author("ostmig")
                .set_comment(&def.about)
                .set_creation_datetime(&created),
        );
        let mut tables = Vec::new();
        about_sheet(wb.add_worksheet(), def, &source)?;
        for sheet in &def.sheets {
            let ws = wb.add_worksheet();
            let (rows, note) = data_sheet(&duck, ws, sheet)?;
            if let Some(chart) = &sheet.chart
                && !rows.is_empty()
            {
                chart_of(ws, sheet, chart, rows.len())
                    .with_context(|| format!("the chart of {} / {}", def.file, sheet.name))?;
            }
            out.push(Written {
                workbook: def.file.clone(),
                sheet: sheet.name.clone(),
                rows: rows.len(),
                note,
            });
            tables.push((sheet, rows));
        }
        let file = opts.out.join(&def.file);
        let bytes = wb
            .save_to_buffer()
            .with_context(|| format!("building {}", file.display()))?;
        crate::write_atomically(&file, &bytes)
            .with_context(|| format!("writing {}", file.display()))?;
        if opts.markdown {
            let md = opts.out.join(format!("{name}.md"));
            crate::write_atomically(&md, markdown(def, &source, &tables).as_bytes())
                .with_context(|| format!("writing {}", md.display()))?;
        }
    }
    Ok(out)
}

/// Draw `def` from the sheet's own cells (rows 1..=`rows`), so the chart follows the numbers a
/// reader may correct or filter.
fn chart_of(ws: &mut Worksheet, sheet: &Sheet, def: &ChartDef, rows: usize) -> anyhow::Result<()> {
    let column = |field: &str| {
        sheet
            .columns
            .iter()
            .position(|c| c.field == field)
            .map(|i| i as u16)
            .with_context(|| {
                format!("the chart names {field:?}, which is not a column of the sheet")
            })
    };
    let mut chart = Chart::new(match def.kind.as_str() {
        "column" => ChartType::Column,
        "stacked" => ChartType::ColumnStacked,
        "bar" => ChartType::Bar,
        "stacked_bar" => ChartType::BarStacked,
        other => anyhow::bail!("chart kind {other:?}: use column, stacked, bar or stacked_bar"),
    });
    chart.title().set_name(&def.title);
    let last = rows as u32;
    let categories = column(&def.categories)?;
    for field in &def.values {
        let c = column(field)?;
        chart
            .add_series()
            .set_name((sheet.name.as_str(), 0, c))
            .set_categories((sheet.name.as_str(), 1, categories, last, categories))
            .set_values((sheet.name.as_str(), 1, c, last, c));
    }
    // Bars read top-down in the table's order, each category tall enough for its series.
    let height = if def.kind.contains("bar") {
        chart.y_axis().set_reverse();
        let per_category = if def.kind == "bar" {
            10 + 12 * def.values.len() as u32
        } else {
            24
        };
        (120 + per_category * rows as u32).clamp(288, 1200)
    } else {
        360
    };
    chart.set_width(720).set_height(height);
    // Beside a narrow table, below a wide one.
    let (row, col) = if sheet.columns.len() <= 6 {
        (1, sheet.columns.len() as u16 + 1)
    } else {
        (last + 2, 0)
    };
    ws.insert_chart(row, col, &chart)?;
    Ok(())
}

fn about_sheet(ws: &mut Worksheet, def: &Workbook_, source: &str) -> anyhow::Result<()> {
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    ws.set_name("About")?;
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_column_width(0, 24)?;
    ws.set_column_width(1, 100)?;
    ws.write_string_with_format(0, 0, &def.title, &title)?;
    ws.write_string_with_format(1, 0, "What it is", &bold)?;
    ws.write_string_with_format(1, 1, &def.about, &wrap)?;
    ws.set_row_height(
        1,
        15.0 * def.about.chars().count().div_ceil(110).max(1) as f64,
    )?;
    ws.write_string_with_format(3, 0, "Source", &bold)?;
    ws.write_string(3, 1, source)?;
    ws.write_string_with_format(4, 0, "Written by", &bold)?;
    ws.write_string(4, 1, format!("ostmig {}", env!("CARGO_PKG_VERSION")))?;
    ws.write_string_with_format(6, 0, "Sheet", &bold)?;
    ws.write_string_with_format(6, 1, "What it holds", &bold)?;
    for (i, s) in def.sheets.iter().enumerate() {
        ws.write_string(7 + i as u32, 0, &s.name)?;
        ws.write_string_with_format(7 + i as u32, 1, &s.about, &wrap)?;
    }
    Ok(())
}

/// One sheet from its relation; returns the rows as text (for Markdown) and a note when the
/// relation could not be read (the sheet then says why instead of failing the whole report).
fn data_sheet(
    duck: &duckdb::Connection,
    ws: &mut Worksheet,
    sheet: &Sheet,
) -> anyhow::Result<(Vec<Vec<String>>, Option<String>)> {
    ws.set_name(&sheet.name)?;
    let formats = header_and_formats(ws, sheet)?;
    let fields: Vec<String> = sheet.columns.iter().map(|c| ident(&c.field)).collect();
    let (schema, table) = sheet
        .relation
        .split_once('.')
        .unwrap_or(("reports", &sheet.relation));
    let sql = format!(
        "SELECT {} FROM {}.{}",
        fields.join(", "),
        ident(schema),
        ident(table)
    );
    let mut rows_text = Vec::new();
    let mut stmt = match duck.prepare(&sql) {
        Ok(s) => s,
        Err(e) => {
            let note = format!(
                "not available: {} cannot be read ({e}); run `ostmig transform`",
                sheet.relation
            );
            ws.write_string(1, 0, &note)?;
            return Ok((rows_text, Some(note)));
        }
    };
    let mut rows = stmt.query([])?;
    let mut r: u32 = 1;
    while let Some(row) = rows.next()? {
        let mut texts = Vec::with_capacity(fields.len());
        for (i, f) in formats.iter().enumerate() {
            let text = write_cell(ws, r, i as u16, row.get::<_, Dv>(i)?, f)?;
            texts.push(text);
        }
        let lines = wrapped_lines(sheet, &texts);
        if lines > 1 {
            ws.set_row_height(r, (15.0 * lines as f64).min(409.0))?;
        }
        rows_text.push(texts);
        r += 1;
    }
    ws.autofilter(
        0,
        0,
        r.saturating_sub(1).max(1),
        sheet.columns.len() as u16 - 1,
    )?;
    Ok((rows_text, None))
}

/// One cell, written with its column's format; returns its text for Markdown.
fn write_cell(ws: &mut Worksheet, r: u32, c: u16, value: Dv, f: &Format) -> anyhow::Result<String> {
    Ok(match value {
        Dv::Null => String::new(),
        Dv::Boolean(b) => {
            let t = if b { "yes" } else { "no" };
            ws.write_string_with_format(r, c, t, f)?;
            t.to_string()
        }
        Dv::TinyInt(v) => number(ws, r, c, v as f64, f)?,
        Dv::SmallInt(v) => number(ws, r, c, v as f64, f)?,
        Dv::Int(v) => number(ws, r, c, v as f64, f)?,
        Dv::BigInt(v) => number(ws, r, c, v as f64, f)?,
        Dv::UTinyInt(v) => number(ws, r, c, v as f64, f)?,
        Dv::USmallInt(v) => number(ws, r, c, v as f64, f)?,
        Dv::UInt(v) => number(ws, r, c, v as f64, f)?,
        Dv::UBigInt(v) => number(ws, r, c, v as f64, f)?,
        Dv::HugeInt(v) => number(ws, r, c, v as f64, f)?,
        Dv::Float(v) => number(ws, r, c, v as f64, f)?,
        Dv::Double(v) => number(ws, r, c, v, f)?,
        Dv::Timestamp(unit, v) => {
            let secs = unit.to_micros(v).div_euclid(1_000_000);
            let dt = ExcelDateTime::from_timestamp(secs)?;
            ws.write_datetime_with_format(r, c, &dt, f)?;
            chrono::DateTime::from_timestamp(secs, 0)
                .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default()
        }
        Dv::List(items) => {
            let t = items.iter().map(value_text).collect::<Vec<_>>().join(", ");
            ws.write_string_with_format(r, c, cut(&t), f)?;
            t
        }
        other => {
            let t = value_text(&other);
            ws.write_string_with_format(r, c, cut(&t), f)?;
            t
        }
    })
}

/// The lines the tallest wrapped cell of a row needs. Wrapped text needs its row height set:
/// neither Excel nor LibreOffice grows a row written with a default height. Estimated from the
/// column width (in characters).
fn wrapped_lines(sheet: &Sheet, texts: &[String]) -> usize {
    sheet
        .columns
        .iter()
        .zip(texts)
        .filter(|(c, _)| c.wrap)
        .map(|(c, t)| {
            let per_line = (c.width * 1.1).max(1.0) as usize;
            t.lines()
                .map(|l| l.chars().count().div_ceil(per_line).max(1))
                .sum::<usize>()
        })
        .max()
        .unwrap_or(1)
}

/// The header row, column widths, frozen header and print setup; returns each column's format.
fn header_and_formats(ws: &mut Worksheet, sheet: &Sheet) -> anyhow::Result<Vec<Format>> {
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color("#DDEBF7")
        .set_align(FormatAlign::Top);
    let formats: Vec<Format> = sheet
        .columns
        .iter()
        .map(|c| {
            let mut f = Format::new().set_align(FormatAlign::Top);
            if let Some(n) = &c.format {
                f = f.set_num_format(n);
            }
            if c.wrap {
                f = f.set_text_wrap();
            }
            f
        })
        .collect();
    for (i, c) in sheet.columns.iter().enumerate() {
        ws.set_column_width(i as u16, c.width)?;
        ws.write_string_with_format(0, i as u16, &c.title, &header)?;
    }
    ws.set_freeze_panes(1, 0)?;
    // Printed (or converted to PDF): landscape, as wide as one page, the header on every page.
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    Ok(formats)
}

fn number(ws: &mut Worksheet, r: u32, c: u16, v: f64, f: &Format) -> anyhow::Result<String> {
    ws.write_number_with_format(r, c, v, f)?;
    Ok(if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    })
}

fn cut(s: &str) -> &str {
    if s.len() <= CELL_LIMIT {
        return s;
    }
    let mut end = CELL_LIMIT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn value_text(v: &Dv) -> String {
    match v {
        Dv::Null => String::new(),
        Dv::Text(s) => s.clone(),
        Dv::Boolean(b) => if *b { "yes" } else { "no" }.into(),
        Dv::BigInt(n) => n.to_string(),
        Dv::Int(n) => n.to_string(),
        Dv::Double(n) => n.to_string(),
        Dv::Date32(d) => chrono::DateTime::from_timestamp(i64::from(*d) * 86_400, 0)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        other => format!("{other:?}"),
    }
}

/// The same workbook as Markdown tables (50 rows a sheet), for people who live in a terminal.
fn markdown(def: &Workbook_, source: &str, tables: &[(&Sheet, Vec<Vec<String>>)]) -> String {
    let esc = |s: &str| {
        let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
        let one = one.replace('|', "\\|");
        if one.chars().count() > 120 {
            format!("{}…", one.chars().take(119).collect::<String>())
        } else {
            one
        }
    };
    let mut md = format!("# {}\n\n{}\n\nSource: {source}\n", def.title, def.about);
    for (sheet, rows) in tables {
        md.push_str(&format!("\n## {}\n\n{}\n\n", sheet.name, sheet.about));
        md.push_str(&format!(
            "| {} |\n|{}\n",
            sheet
                .columns
                .iter()
                .map(|c| esc(&c.title))
                .collect::<Vec<_>>()
                .join(" | "),
            " --- |".repeat(sheet.columns.len())
        ));
        for row in rows.iter().take(50) {
            md.push_str(&format!(
                "| {} |\n",
                row.iter().map(|v| esc(v)).collect::<Vec<_>>().join(" | ")
            ));
        }
        if rows.len() > 50 {
            md.push_str(&format!(
                "\n… {} more rows in {}\n",
                rows.len() - 50,
                def.file
            ));
        } else if rows.is_empty() {
            md.push_str("\n(no rows)\n");
        }
    }
    md
}

pub fn print(written: &[Written], out: &Path) {
    if !crate::verbose() {
        // One line for all the workbooks; the notes (a sheet cut short, say) always show.
        let mut books: Vec<(&str, usize, i64)> = Vec::new();
        for w in written {
            match books.iter_mut().find(|b| b.0 == w.workbook) {
                Some(b) => {
                    b.1 += 1;
                    b.2 += w.rows as i64;
                }
                None => books.push((&w.workbook, 1, w.rows as i64)),
            }
        }
        let line: Vec<String> = books
            .iter()
            .map(|(book, sheets, rows)| {
                let s = if *sheets == 1 { "" } else { "s" };
                format!("{book} ({sheets} sheet{s}, {rows} rows)")
            })
            .collect();
        crate::out!("{}", line.join(" · "));
        for w in written.iter().filter(|w| w.note.is_some()) {
            crate::out!(
                "note: {} / {}: {}",
                w.workbook,
                w.sheet,
                w.note.as_deref().unwrap_or_default()
            );
        }
        eprintln!("written to {} (--verbose lists every sheet)", out.display());
        return;
    }
    let mut table = crate::ui::table(["workbook", "sheet", "rows", "note"]);
    for w in written {
        table.add_row(vec![
            w.workbook.clone(),
            w.sheet.clone(),
            w.rows.to_string(),
            w.note.clone().unwrap_or_default(),
        ]);
    }
    crate::out!("{table}");
    eprintln!("written to {}", out.display());
}

/// One CSV (with a header row) per `reports.*` table or view into `dir`; returns how many.
pub fn export_csv(db: &Path, dir: &Path) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let duck = warehouse::open(db)?;
    let names: Vec<String> = {
        let mut stmt = duck.prepare(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'reports' ORDER BY 1",
        )?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    for name in &names {
        // Copied beside it, then renamed: a killed export leaves no half-written list.
        let file = dir.join(format!("{name}.csv"));
        let tmp = dir.join(format!(".{name}.csv.tmp"));
        duck.execute_batch(&format!(
            "COPY reports.{} TO {} (HEADER)",
            ident(name),
            literal(&tmp.to_string_lossy())
        ))
        .map_err(anyhow::Error::from)
        .and_then(|()| Ok(std::fs::rename(&tmp, &file)?))
        .with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(names.len())
}

#[cfg(test)]
mod tests {
    /// Every definition parses, names a reports.* relation of a model, and every column field
    /// is a column that model creates (checked by name in its SQL).
    #[test]
    fn definitions_name_real_relations_and_columns() {
        for (name, _) in super::DEFINITIONS {
            let def = super::definition(name).unwrap();
            assert!(def.file.ends_with(".xlsx"));
            for s in &def.sheets {
                assert!(
                    s.name.len() <= 31,
                    "{name}: sheet name {:?} too long",
                    s.name
                );
                let model = s.relation.replace('.', "/") + ".sql";
                let sql = crate::transform::MODELS
                    .iter()
                    .find(|(m, _)| *m == model)
                    .unwrap_or_else(|| panic!("{name}: {} is not a model", s.relation))
                    .1;
                for c in &s.columns {
                    assert!(
                        sql.contains(&c.field),
                        "{name}/{}: {} has no column {}",
                        s.name,
                        s.relation,
                        c.field
                    );
                }
                // A chart plots the sheet's own columns.
                if let Some(chart) = &s.chart {
                    for field in std::iter::once(&chart.categories).chain(&chart.values) {
                        assert!(
                            s.columns.iter().any(|c| c.field == *field),
                            "{name}/{}: the chart names {field}, not a column",
                            s.name
                        );
                    }
                    assert!(
                        ["column", "stacked", "bar", "stacked_bar"].contains(&chart.kind.as_str())
                    );
                }
            }
        }
    }
}
