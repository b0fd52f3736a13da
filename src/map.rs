//! `ostmig map`: the mapping proposal, its sign-off and the check that the load still matches it.
//!
//! The proposal is read from the staged models (what `transform` decided, with ostmig.toml and
//! any earlier confirmed edits applied), so it is exactly what the load would send. `confirm`
//! validates the edited file against the proposal, records its destinations with a checksum and
//! who confirmed them; the next `transform` applies the edits (config.* maps, config.field_map).
//! `load --apply` refuses while the mapping the data would send differs from the confirmed one.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::config::STATE_CATEGORIES;
use crate::error::Hinted;
use crate::warehouse;

/// Applies the latest confirmation's edits to the config maps the models read (run by
/// `transform` after ostmig.toml's maps are written). Only values that differ from what was
/// proposed are edits: an untouched open status keeps its per-ticket waiting/in-progress rule.
pub const APPLY_EDITS: &str = "
    INSERT OR REPLACE INTO config.status_map
        SELECT source, value FROM mapping.entry
        WHERE class = 'status' AND key = 'to' AND value IS DISTINCT FROM proposed;
    INSERT OR REPLACE INTO config.priority_map
        SELECT source, value FROM mapping.entry
        WHERE class = 'priority' AND key = 'to' AND value IS DISTINCT FROM proposed;
    INSERT OR REPLACE INTO config.team_map
        SELECT source, value FROM mapping.entry
        WHERE class = 'department' AND key = 'to' AND value IS DISTINCT FROM proposed;
    INSERT INTO config.field_map
        SELECT source::BIGINT,
               max(CASE WHEN key = 'attribute' AND value IS DISTINCT FROM proposed THEN value END),
               max(CASE WHEN key = 'type' AND value IS DISTINCT FROM proposed THEN value END)
        FROM mapping.entry WHERE class = 'field'
        GROUP BY source
        HAVING count(*) FILTER (WHERE value IS DISTINCT FROM proposed) > 0;";

/// The object classes of a mapping, in file order, with what their `to` means.
const CLASSES: &[(&str, &str)] = &[
    (
        "status",
        "Intercom ticket state category: in_progress | waiting_on_customer | resolved",
    ),
    ("priority", "value of the tickets' Priority attribute"),
    ("department", "Intercom team inbox (must exist in Intercom)"),
    (
        "topic",
        "Intercom tag (named by topics.naming in ostmig.toml; not editable here)",
    ),
    (
        "field",
        "custom field → data attribute (contacts, companies) or ticket attribute; edit attribute and type",
    ),
    (
        "sla",
        "how to rebuild the plan in Intercom (SLAs are set up by hand; not editable here)",
    ),
];

/// One signed value: (class, source key, field, value).
type Destination = (String, String, String, Option<String>);

/// The latest confirmation: who, when, its checksum and its values.
struct Signed {
    by: String,
    at: String,
    sha: String,
    rows: Vec<Destination>,
}

/// One proposed mapping of one source object.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub class: String,
    /// The source's key: its name, or the field id for custom fields.
    pub key: String,
    /// What a person reads: the name, or "Form / Label" for a field.
    pub source: String,
    pub to: String,
    pub attribute: Option<String>,
    pub data_type: Option<String>,
    /// Custom fields: contact, company or ticket; and osTicket's field type.
    pub object: Option<String>,
    pub source_type: Option<String>,
    pub rule: String,
    pub count: i64,
    pub samples: Vec<String>,
    pub lossy: String,
    /// Custom fields: the type the rules chose (before any confirmed edit), "" for none. The
    /// values are read as that type, so it decides which types the field may be given.
    pub proposed_type: Option<String>,
}

impl Entry {
    /// The destination values a confirmation signs: (key, value).
    fn destinations(&self) -> Vec<(&'static str, Option<String>)> {
        if self.class == "field" {
            vec![
                ("attribute", self.attribute.clone()),
                ("type", self.data_type.clone()),
            ]
        } else {
            vec![("to", Some(self.to.clone()))]
        }
    }
}

/// The mapping the staged data would send now.
pub fn proposal(duck: &duckdb::Connection) -> anyhow::Result<Vec<Entry>> {
    let sql = "
        SELECT 'status', s.status, s.status,
               coalesce(sm.category, s.intercom_category, 'not migrated'), NULL, NULL, NULL, NULL,
               CASE WHEN sm.category IS NOT NULL THEN 'statuses.map in ostmig.toml, or an edit confirmed before'
                    WHEN s.state = 'open' THEN 'osTicket state \"open\": in_progress; a ticket an agent answered last waits on the customer'
                    WHEN s.state IN ('closed', 'archived') THEN 'osTicket state \"' || s.state || '\": resolved'
                    ELSE 'osTicket state \"' || s.state || '\"' END,
               (SELECT count(*) FROM raw.ticket t WHERE t.status_id = s.status_id),
               (SELECT list(number) FROM (SELECT '#' || t.number AS number FROM raw.ticket t
                    WHERE t.status_id = s.status_id ORDER BY t.ticket_id LIMIT 3)),
               coalesce(s.note, ''), NULL
        FROM intermediate.int_ticket_states s
        LEFT JOIN config.status_map sm ON lower(sm.status) = lower(s.status)
        UNION ALL
        SELECT 'priority', p.priority, p.priority, coalesce(pm.value, p.priority_desc), NULL, NULL, NULL, NULL,
               CASE WHEN pm.value IS NOT NULL THEN 'priorities.map in ostmig.toml, or an edit confirmed before'
                    ELSE 'the priority''s description in osTicket' END,
               (SELECT count(*) FROM staging.stg_tickets t WHERE t.priority = lower(p.priority)),
               (SELECT list(number) FROM (SELECT '#' || t.number AS number FROM staging.stg_tickets t
                    WHERE t.priority = lower(p.priority) ORDER BY t.ticket_id LIMIT 3)),
               '', NULL
        FROM raw.ticket_priority p
        LEFT JOIN config.priority_map pm ON lower(pm.priority) = lower(p.priority)
        UNION ALL
        SELECT 'department', i.department, i.department, i.expected_team, NULL, NULL, NULL, NULL,
               CASE WHEN m.team_name IS NOT NULL THEN 'teams.map in ostmig.toml, or an edit confirmed before'
                    ELSE 'the department''s path' END
                   || CASE WHEN i.team_id IS NULL THEN ' (no such team in Intercom yet)' ELSE '' END,
               i.tickets,
               (SELECT list(number) FROM (SELECT '#' || t.number AS number FROM raw.ticket t
                    WHERE t.dept_id = i.dept_id ORDER BY t.ticket_id LIMIT 3)),
               '', NULL
        FROM intermediate.int_team_inboxes i
        LEFT JOIN config.team_map m ON lower(m.department) = lower(i.department)
        UNION ALL
        SELECT 'topic', h.full_name, h.full_name, h.tag, NULL, NULL, NULL, NULL,
               'help topic → tag (topics.naming = ' || (SELECT value FROM config.setting WHERE key = 'topics.naming') || ')',
               (SELECT count(*) FROM raw.ticket t WHERE t.topic_id = h.topic_id),
               (SELECT list(number) FROM (SELECT '#' || t.number AS number FROM raw.ticket t
                    WHERE t.topic_id = h.topic_id ORDER BY t.ticket_id LIMIT 3)),
               '', NULL
        FROM staging.stg_help_topics h
        UNION ALL
        SELECT 'field', m.field_id::VARCHAR, coalesce(m.form_title, '?') || ' / ' || coalesce(nullif(m.label, ''), m.field_name),
               CASE m.target WHEN 'ticket' THEN 'ticket attribute' ELSE m.target || ' data attribute' END,
               m.attribute_name, m.data_type, m.target, m.field_type,
               CASE WHEN m.data_type IS DISTINCT FROM m.proposed_type OR m.attribute_name IS DISTINCT FROM m.proposed_attribute
                    THEN 'edit confirmed before (the rules proposed ' || coalesce(m.proposed_type, 'nothing') || ' ' || coalesce(m.proposed_attribute, '') || ')'
                    ELSE 'osTicket type ' || m.field_type || ' → ' || coalesce(m.data_type, 'not migrated')
                         || coalesce(' (' || m.data_rule || ')', '') END,
               (SELECT count(*) FROM raw.form_entry_values v WHERE v.field_id = m.field_id AND nullif(trim(v.value), '') IS NOT NULL),
               (SELECT list(v) FROM (SELECT DISTINCT left(regexp_replace(trim(v.value), '\\s+', ' ', 'g'), 60) AS v FROM raw.form_entry_values v
                    WHERE v.field_id = m.field_id AND nullif(trim(v.value), '') IS NOT NULL ORDER BY 1 LIMIT 3)),
               coalesce(m.lossy, ''), coalesce(m.proposed_type, '')
        FROM intermediate.int_attribute_map m
        UNION ALL
        SELECT 'sla', s.name, s.name, s.rebuild_in_intercom, NULL, NULL, NULL, NULL,
               'Intercom SLAs are configured in the workspace, not through the API',
               s.tickets,
               (SELECT list(number) FROM (SELECT '#' || t.number AS number FROM raw.ticket t
                    WHERE t.sla_id = s.sla_id ORDER BY t.ticket_id LIMIT 3)),
               '', NULL
        FROM reports.rpt_sla_map s";
    let mut stmt = duck.prepare(sql).map_err(|e| {
        Hinted::new(
            format!("the mapping cannot be read from the staged models: {e}"),
            "run `ostmig transform` first",
        )
    })?;
    let mut out: Vec<Entry> = stmt
        .query_map([], |r| {
            let samples: Option<duckdb::types::Value> = r.get(10)?;
            Ok(Entry {
                class: r.get(0)?,
                key: r.get(1)?,
                source: r.get(2)?,
                to: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                attribute: r.get(4)?,
                data_type: r.get(5)?,
                object: r.get(6)?,
                source_type: r.get(7)?,
                rule: r.get(8)?,
                count: r.get(9)?,
                samples: match samples {
                    Some(duckdb::types::Value::List(items)) => items
                        .into_iter()
                        .filter_map(|v| match v {
                            duckdb::types::Value::Text(t) => Some(t),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                },
                lossy: r.get(11)?,
                proposed_type: r.get(12)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let order = |c: &str| CLASSES.iter().position(|(k, _)| *k == c).unwrap_or(99);
    out.sort_by_key(|a| (order(&a.class), natural(&a.key)));
    Ok(out)
}

/// Numeric keys (field ids) in number order, names in name order.
fn natural(key: &str) -> (i64, String) {
    (key.parse().unwrap_or(i64::MAX), key.to_string())
}

/// The mapping file: TOML, one array of tables per class, with comments that say what to edit.
pub fn render(entries: &[Entry], about: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# ostmig mapping: what each osTicket object becomes in Intercom.\n\
         # {about}\n\
         #\n\
         # Edit `to` (statuses, priorities, departments) and `attribute` / `type` (custom fields),\n\
         # then sign it off with `ostmig map confirm --file <this file>`. The other keys are\n\
         # information: why the rule chose the destination, sample values, what is lossy.\n\
         # `ostmig load --apply` refuses to run until the mapping is confirmed, and again whenever\n\
         # the data would be sent differently (`ostmig map diff` shows what changed)."
    );
    for (class, meaning) in CLASSES {
        let _ = writeln!(s, "\n# ── {class}: {meaning}");
        for e in entries.iter().filter(|e| e.class == *class) {
            let _ = writeln!(s, "\n[[{class}]]");
            let _ = writeln!(s, "source = {}", quote(&e.source));
            if e.class == "field" {
                let _ = writeln!(s, "field_id = {}", e.key);
                let _ = writeln!(s, "object = {}", quote(e.object.as_deref().unwrap_or("")));
                let _ = writeln!(
                    s,
                    "source_type = {}",
                    quote(e.source_type.as_deref().unwrap_or(""))
                );
                let _ = writeln!(
                    s,
                    "attribute = {}",
                    quote(e.attribute.as_deref().unwrap_or(""))
                );
                let _ = writeln!(
                    s,
                    "type = {}   # {}",
                    quote(e.data_type.as_deref().unwrap_or("")),
                    allowed_types(e).join(" | ")
                );
                let _ = writeln!(s, "answers = {}", e.count);
            } else {
                let _ = writeln!(s, "to = {}", quote(&e.to));
                let _ = writeln!(s, "tickets = {}", e.count);
            }
            let _ = writeln!(s, "rule = {}", quote(&e.rule));
            let samples: Vec<String> = e.samples.iter().map(|v| quote(v)).collect();
            let _ = writeln!(s, "samples = [{}]", samples.join(", "));
            if !e.lossy.is_empty() {
                let _ = writeln!(s, "lossy = {}", quote(&e.lossy));
            }
        }
    }
    s
}

fn quote(v: &str) -> String {
    toml::Value::String(v.to_string()).to_string()
}

/// The types a custom field may be given, by what the rules proposed (and so how its values
/// are read) and what the destination object accepts. Empty: the field is not migrated.
fn allowed_types(e: &Entry) -> Vec<&'static str> {
    let object = e.object.as_deref().unwrap_or("");
    let mut types: Vec<&'static str> = match e.proposed_type.as_deref().unwrap_or("") {
        "list" => vec!["list", "string"],
        "boolean" => vec!["boolean", "string"],
        "date" | "datetime" => vec!["date", "datetime", "string"],
        "float" | "decimal" => vec!["float", "decimal", "string"],
        "integer" => vec!["integer", "float", "decimal", "string"],
        "string" => vec!["string"],
        "files" => vec!["files"],
        _ => vec![],
    };
    // Ticket type attributes have no date, float or integer-as-float; data attributes no list
    // (Intercom's "options" take the rules' list) and no files.
    types.retain(|t| match object {
        "ticket" => !matches!(*t, "date" | "float"),
        _ => !matches!(*t, "decimal" | "files"),
    });
    types
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    status: Vec<Simple>,
    #[serde(default)]
    priority: Vec<Simple>,
    #[serde(default)]
    department: Vec<Simple>,
    #[serde(default)]
    topic: Vec<Simple>,
    #[serde(default)]
    field: Vec<Field>,
    #[serde(default)]
    sla: Vec<Simple>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // information keys: accepted, never read back
struct Simple {
    source: toml::Spanned<String>,
    to: toml::Spanned<String>,
    tickets: Option<i64>,
    rule: Option<String>,
    samples: Option<Vec<String>>,
    lossy: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Field {
    source: Option<String>,
    field_id: toml::Spanned<i64>,
    object: Option<String>,
    source_type: Option<String>,
    attribute: toml::Spanned<String>,
    #[serde(rename = "type")]
    data_type: toml::Spanned<String>,
    answers: Option<i64>,
    rule: Option<String>,
    samples: Option<Vec<String>>,
    lossy: Option<String>,
}

/// A destination value read from the file, with the line it is on.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmed {
    pub class: String,
    pub key: String,
    pub field: String,
    pub value: Option<String>,
    pub proposed: Option<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Check an edited mapping file against the current proposal. Every problem names its line.
pub fn validate(text: &str, proposal: &[Entry]) -> Result<Vec<Confirmed>, Vec<String>> {
    let file: File = toml::from_str(text).map_err(|e| {
        vec![format!(
            "{} (the keys of each class are the ones `ostmig map propose` writes)",
            e.to_string().trim_end().replace('\n', " ")
        )]
    })?;
    let mut check = Checker {
        text,
        proposal,
        by_key: proposal
            .iter()
            .map(|e| ((e.class.as_str(), e.key.as_str()), e))
            .collect(),
        seen: HashMap::new(),
        attributes: HashMap::new(),
        errors: Vec::new(),
        out: Vec::new(),
    };
    let simple = [
        ("status", &file.status),
        ("priority", &file.priority),
        ("department", &file.department),
        ("topic", &file.topic),
        ("sla", &file.sla),
    ];
    for (class, items) in simple {
        for item in items {
            check.simple(class, item);
        }
    }
    for item in &file.field {
        check.field(item);
    }
    for e in proposal {
        if !check.seen.contains_key(&(e.class.clone(), e.key.clone())) {
            check.errors.push(format!(
                "{} {:?} is missing from the file; add it back (`ostmig map propose` writes it)",
                e.class, e.source
            ));
        }
    }
    if check.errors.is_empty() {
        Ok(check.out)
    } else {
        Err(check.errors)
    }
}

/// What [`validate`] has seen of a mapping file so far: the entries confirmed and the problems.
struct Checker<'a> {
    text: &'a str,
    proposal: &'a [Entry],
    by_key: HashMap<(&'a str, &'a str), &'a Entry>,
    /// (class, key) → the line it was first listed on.
    seen: HashMap<(String, String), usize>,
    /// (attribute namespace, lowercased name) → the line and field that took it.
    attributes: HashMap<(String, String), (usize, String)>,
    errors: Vec<String>,
    out: Vec<Confirmed>,
}

impl Checker<'_> {
    /// One entry of a simple class. Proposal keys of the simple classes are their names;
    /// statuses are keyed by id.
    fn simple(&mut self, class: &str, item: &Simple) {
        let line = line_of(self.text, item.source.span().start);
        let name = item.source.get_ref();
        let found = self
            .proposal
            .iter()
            .find(|e| e.class == class && e.source.eq_ignore_ascii_case(name));
        let Some(entry) = found else {
            self.errors.push(format!(
            "line {line}: {class} {name:?} is not in the staged data; remove it, or run `ostmig map propose` again"
        ));
            return;
        };
        if let Some(first) = self
            .seen
            .insert((class.to_string(), entry.key.clone()), line)
        {
            self.errors.push(format!(
                "line {line}: {class} {name:?} is listed twice (first on line {first})"
            ));
            return;
        }
        let to = item.to.get_ref().trim();
        let to_line = line_of(self.text, item.to.span().start);
        let problem = match class {
            "status" if !STATE_CATEGORIES.contains(&to) && to != entry.to => {
                Some(format!("use one of {}", STATE_CATEGORIES.join(", ")))
            }
            "priority" if to.is_empty() || to.contains(',') => Some(
                "the value must be non-empty and without commas (it becomes a list option)".into(),
            ),
            "department" if to.is_empty() => Some("name the Intercom team inbox".into()),
            "topic" | "sla" if to != entry.to => Some(format!(
                "{class} destinations cannot be edited here ({}); put back {:?}",
                if class == "topic" {
                    "rename tags with topics.naming in ostmig.toml"
                } else {
                    "rebuild the SLA in Intercom's settings"
                },
                entry.to
            )),
            _ => None,
        };
        if let Some(p) = problem {
            self.errors.push(format!(
                "line {to_line}: {class} {name:?}: to = {to:?}: {p}"
            ));
            return;
        }
        self.out.push(Confirmed {
            class: class.into(),
            key: entry.key.clone(),
            field: "to".into(),
            value: Some(to.to_string()),
            proposed: Some(entry.to.clone()),
        });
    }

    /// One custom field: its Intercom type must be possible and its attribute name free.
    fn field(&mut self, item: &Field) {
        let line = line_of(self.text, item.field_id.span().start);
        let id = item.field_id.get_ref().to_string();
        let Some(entry) = self.by_key.get(&("field", id.as_str())) else {
            self.errors.push(format!(
                "line {line}: field_id {id} is not a custom field of the staged data; remove it, or run `ostmig map propose` again"
            ));
            return;
        };
        if let Some(first) = self.seen.insert(("field".into(), id.clone()), line) {
            self.errors.push(format!(
                "line {line}: field_id {id} is listed twice (first on line {first})"
            ));
            return;
        }
        let ty = item.data_type.get_ref().trim();
        let ty_line = line_of(self.text, item.data_type.span().start);
        let allowed = allowed_types(entry);
        let ty = if ty.is_empty() && allowed.is_empty() {
            None
        } else if allowed.contains(&ty) {
            Some(ty.to_string())
        } else {
            self.errors.push(format!(
                "line {ty_line}: field {:?} (osTicket {}, {}): type = {ty:?} is impossible; {}",
                entry.source,
                entry.source_type.as_deref().unwrap_or("?"),
                entry.object.as_deref().unwrap_or("?"),
                if allowed.is_empty() {
                    "this field cannot be migrated: leave type empty".to_string()
                } else {
                    format!("use one of {}", allowed.join(", "))
                }
            ));
            return;
        };
        let attr = item.attribute.get_ref().trim();
        let attr_line = line_of(self.text, item.attribute.span().start);
        if ty.is_some()
            && (attr.is_empty()
                || attr
                    .chars()
                    .any(|c| !c.is_ascii_alphanumeric() && c != '-' && c != '_'))
        {
            self.errors.push(format!(
                "line {attr_line}: field {:?}: attribute = {attr:?}: use letters, digits, - and _ only",
                entry.source
            ));
            return;
        }
        let object = entry.object.clone().unwrap_or_default();
        // Contacts and companies share Intercom's data attribute namespace.
        let namespace = if object == "ticket" { "ticket" } else { "data" };
        if ty.is_some()
            && let Some((first, other)) = self.attributes.insert(
                (namespace.to_string(), attr.to_lowercase()),
                (attr_line, entry.source.clone()),
            )
        {
            self.errors.push(format!(
                "line {attr_line}: field {:?} and field {other:?} (line {first}) both map to attribute {attr:?}; give one another name",
                entry.source
            ));
            return;
        }
        for (field, value, proposed) in [
            ("attribute", Some(attr.to_string()), entry.attribute.clone()),
            ("type", ty.clone(), entry.data_type.clone()),
        ] {
            self.out.push(Confirmed {
                class: "field".into(),
                key: id.clone(),
                field: field.into(),
                value,
                proposed,
            });
        }
    }
}

/// The checksum of a mapping's destinations: class, key, field and value of every entry.
fn canonical(rows: &[Destination]) -> String {
    let mut sorted: Vec<String> = rows
        .iter()
        .map(|(c, k, f, v)| format!("{c}\t{k}\t{f}\t{}", v.as_deref().unwrap_or("")))
        .collect();
    sorted.sort();
    hex::encode(Sha256::digest(sorted.join("\n").as_bytes()))
}

fn proposal_rows(entries: &[Entry]) -> Vec<Destination> {
    entries
        .iter()
        .flat_map(|e| {
            e.destinations()
                .into_iter()
                .map(|(f, v)| (e.class.clone(), e.key.clone(), f.to_string(), v))
        })
        .collect()
}

/// What a person calls each (class, key): the name, or "Form / Label" for a field.
fn names(entries: &[Entry]) -> HashMap<(String, String), String> {
    entries
        .iter()
        .map(|e| ((e.class.clone(), e.key.clone()), e.source.clone()))
        .collect()
}

fn invalid(file: &Path, errors: &[String]) -> Hinted {
    Hinted::new(
        format!(
            "{} is not a valid mapping:\n  {}",
            file.display(),
            errors.join("\n  ")
        ),
        "fix the lines named above and run `ostmig map confirm` again",
    )
}

/// `ostmig map propose`: write the proposal to `out`.
pub fn propose(db: &Path, out: &Path) -> anyhow::Result<Vec<Entry>> {
    let duck = warehouse::open(db)?;
    let entries = proposal(&duck)?;
    let snapshot: Option<String> = duck
        .query_row(
            "SELECT source || ' taken ' || strftime(finished_at, '%Y-%m-%d %H:%M UTC') FROM meta.snapshot
             ORDER BY finished_at DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap_or(None);
    let about = format!(
        "Proposed from the snapshot of {} in {}.",
        snapshot.as_deref().unwrap_or("(unknown time)"),
        db.display()
    );
    crate::write_atomically(out, render(&entries, &about).as_bytes()).map_err(|e| {
        Hinted::new(
            format!("cannot write {}: {e}", out.display()),
            "choose a writable path with --file",
        )
    })?;
    Ok(entries)
}

/// What `confirm` recorded.
#[derive(Debug)]
pub struct Confirmation {
    pub entries: usize,
    pub edits: usize,
    pub checksum: String,
}

/// `ostmig map confirm`: validate `file` and record it as the signed mapping.
pub fn confirm(db: &Path, file: &Path, by: &str) -> anyhow::Result<Confirmation> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        Hinted::new(
            format!("cannot read {}: {e}", file.display()),
            "write it with `ostmig map propose --file <path>` first",
        )
    })?;
    let duck = warehouse::open(db)?;
    let entries = proposal(&duck)?;
    let confirmed = validate(&text, &entries).map_err(|errors| invalid(file, &errors))?;
    let rows: Vec<Destination> = confirmed
        .iter()
        .map(|c| {
            (
                c.class.clone(),
                c.key.clone(),
                c.field.clone(),
                c.value.clone(),
            )
        })
        .collect();
    let checksum = canonical(&rows);
    let edits = confirmed.iter().filter(|c| c.value != c.proposed).count();
    warehouse::in_transaction(
        &duck,
        "BEGIN TRANSACTION; DELETE FROM mapping.entry;",
        "the mapping confirmation",
        || {
            let mut app = duck.appender_to_db("entry", "mapping")?;
            for c in &confirmed {
                app.append_row(duckdb::params![
                    c.class, c.key, c.field, c.value, c.proposed
                ])?;
            }
            app.flush()?;
            duck.execute(
                "INSERT INTO mapping.confirmation VALUES (now()::TIMESTAMP, ?, ?, ?, ?, ?)",
                duckdb::params![
                    by,
                    file.display().to_string(),
                    hex::encode(Sha256::digest(text.as_bytes())),
                    checksum,
                    confirmed.len() as i64
                ],
            )?;
            Ok(())
        },
    )?;
    Ok(Confirmation {
        entries: confirmed.len(),
        edits,
        checksum,
    })
}

/// One destination that differs between the confirmed mapping and another.
#[derive(Debug, PartialEq)]
pub struct Change {
    pub class: String,
    pub source: String,
    pub field: String,
    pub confirmed: Option<String>,
    pub now: Option<String>,
}

fn confirmed_rows(duck: &duckdb::Connection) -> anyhow::Result<Option<Signed>> {
    let head: Option<(String, String, String)> = duck
        .query_row(
            "SELECT confirmed_by, confirmed_at::VARCHAR, mapping_sha256 FROM mapping.confirmation
             ORDER BY confirmed_at DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .ok();
    let Some((by, at, sha)) = head else {
        return Ok(None);
    };
    let mut stmt = duck.prepare("SELECT class, source, key, value FROM mapping.entry")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Signed { by, at, sha, rows }))
}

/// Differences between the confirmed mapping and `now` (the current proposal, or a file).
pub fn changes(
    confirmed: &[Destination],
    now: &[Destination],
    names: &HashMap<(String, String), String>,
) -> Vec<Change> {
    let index = |rows: &[Destination]| {
        rows.iter()
            .map(|(c, k, f, v)| ((c.clone(), k.clone(), f.clone()), v.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let (a, b) = (index(confirmed), index(now));
    let mut keys: Vec<&(String, String, String)> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|(c, k, f)| Change {
            class: c.clone(),
            source: names
                .get(&(c.clone(), k.clone()))
                .cloned()
                .unwrap_or_else(|| k.clone()),
            field: f.clone(),
            confirmed: a.get(&(c.clone(), k.clone(), f.clone())).cloned().flatten(),
            now: b.get(&(c.clone(), k.clone(), f.clone())).cloned().flatten(),
        })
        .collect()
}

/// `ostmig map diff`: the confirmed mapping against the current proposal (or `file`).
pub fn diff(db: &Path, file: Option<&Path>) -> anyhow::Result<Vec<Change>> {
    let duck = warehouse::open(db)?;
    let entries = proposal(&duck)?;
    let Some(Signed {
        rows: confirmed, ..
    }) = confirmed_rows(&duck)?
    else {
        return Err(Hinted::new(
            "no mapping has been confirmed in this staging file",
            "run `ostmig map propose`, review the file, then `ostmig map confirm`",
        )
        .into());
    };
    let now = match file {
        None => proposal_rows(&entries),
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", f.display()))?;
            validate(&text, &entries)
                .map_err(|errors| invalid(f, &errors))?
                .into_iter()
                .map(|c| (c.class, c.key, c.field, c.value))
                .collect()
        }
    };
    Ok(changes(&confirmed, &now, &names(&entries)))
}

/// The load's gate: a confirmed mapping, and the staged data would send exactly it.
pub fn gate(db: &Path) -> anyhow::Result<()> {
    let duck = warehouse::open(db)?;
    let Some(Signed {
        by,
        at,
        sha,
        rows: confirmed,
    }) = confirmed_rows(&duck)?
    else {
        return Err(Hinted::new(
            "the mapping has not been confirmed: nothing is loaded before someone signs it off",
            "run `ostmig map propose --file mapping.toml`, review (and edit) it, then `ostmig map confirm --file mapping.toml`",
        )
        .into());
    };
    let entries = proposal(&duck)?;
    let now = proposal_rows(&entries);
    if canonical(&now) == sha {
        return Ok(());
    }
    let changed = changes(&confirmed, &now, &names(&entries));
    let first: Vec<String> = changed.iter().take(3).map(describe).collect();
    Err(Hinted::new(
        format!(
            "the staged data would be sent with a different mapping than the one {by} confirmed at {at}: {} difference(s), e.g. {}",
            changed.len(),
            first.join("; ")
        ),
        "if you confirmed edits since the last transform, run `ostmig transform`; otherwise `ostmig map diff` shows the changes and `ostmig map propose` + `ostmig map confirm` signs off the new mapping",
    )
    .into())
}

pub fn describe(c: &Change) -> String {
    format!(
        "{} {:?} {}: {} → {}",
        c.class,
        c.source,
        c.field,
        c.confirmed
            .as_deref()
            .map_or("(none)".into(), |v| format!("{v:?}")),
        c.now
            .as_deref()
            .map_or("(none)".into(), |v| format!("{v:?}"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(class: &str, key: &str, to: &str) -> Entry {
        Entry {
            class: class.into(),
            key: key.into(),
            source: key.into(),
            to: to.into(),
            attribute: None,
            data_type: None,
            object: None,
            source_type: None,
            rule: "rule".into(),
            count: 1,
            samples: vec!["#1".into()],
            lossy: String::new(),
            proposed_type: None,
        }
    }

    fn field(id: &str, name: &str, attr: &str, ty: &str, object: &str) -> Entry {
        Entry {
            class: "field".into(),
            key: id.into(),
            source: name.into(),
            to: format!("{object} attribute"),
            attribute: Some(attr.into()),
            data_type: Some(ty.into()),
            object: Some(object.into()),
            source_type: Some("text".into()),
            rule: "rule".into(),
            count: 2,
            samples: vec!["a".into()],
            lossy: String::new(),
            proposed_type: Some(ty.into()),
        }
    }

    fn proposal() -> Vec<Entry> {
        vec![
            entry("status", "1", "in_progress"),
            entry("priority", "high", "High"),
            field("30", "Ticket / Code", "osticket-code", "string", "ticket"),
            field("31", "Ticket / Kind", "osticket-kind", "list", "ticket"),
        ]
    }

    #[test]
    fn the_rendered_proposal_confirms_unchanged() {
        let p = proposal();
        let text = render(&p, "test");
        let confirmed = validate(&text, &p).unwrap();
        assert!(confirmed.iter().all(|c| c.value == c.proposed));
        let rows: Vec<_> = confirmed
            .into_iter()
            .map(|c| (c.class, c.key, c.field, c.value))
            .collect();
        assert_eq!(canonical(&rows), canonical(&proposal_rows(&p)));
    }

    #[test]
    fn broken_files_are_refused_with_the_line() {
        let p = proposal();
        let text = render(&p, "test");
        let line = |needle: &str| {
            text.lines()
                .position(|l| l.starts_with(needle))
                .map(|i| i + 1)
                .unwrap()
        };
        // An impossible type: a list cannot become a boolean.
        let broken = text.replace("type = \"list\"", "type = \"boolean\"");
        let errors = validate(&broken, &p).unwrap_err();
        let at = line("type = \"list\"");
        assert!(
            errors[0].contains(&format!("line {at}")) && errors[0].contains("impossible"),
            "{errors:?}"
        );
        // Two sources mapped to one attribute.
        let broken = text.replace("\"osticket-kind\"", "\"osticket-code\"");
        let errors = validate(&broken, &p).unwrap_err();
        assert!(
            errors[0].contains("both map to attribute") && errors[0].contains("line "),
            "{errors:?}"
        );
        // An unknown key: toml names the line.
        let broken = text.replace("to = \"High\"", "too = \"High\"");
        let errors = validate(&broken, &p).unwrap_err();
        assert!(
            errors[0].contains("too") && errors[0].contains("line"),
            "{errors:?}"
        );
        // A status category Intercom does not have.
        let broken = text.replace("to = \"in_progress\"", "to = \"paused\"");
        let errors = validate(&broken, &p).unwrap_err();
        assert!(
            errors[0].contains(&format!("line {}", line("to = \"in_progress\"")))
                && errors[0].contains("waiting_on_customer"),
            "{errors:?}"
        );
    }

    #[test]
    fn edits_and_missing_entries_are_seen() {
        let p = proposal();
        let text = render(&p, "test").replace("to = \"High\"", "to = \"P1\"");
        let confirmed = validate(&text, &p).unwrap();
        let edited: Vec<_> = confirmed.iter().filter(|c| c.value != c.proposed).collect();
        assert_eq!(edited.len(), 1);
        assert_eq!(edited[0].value.as_deref(), Some("P1"));
        let cut = text.split("[[field]]").next().unwrap().to_string();
        let errors = validate(&cut, &p).unwrap_err();
        assert!(errors.iter().any(|e| e.contains("missing")), "{errors:?}");
    }
}
