//! Intercom's official OpenAPI description, read at run time, as the judge of every request the
//! client sends and every response the simulator returns.
//!
//! The schemas are never rewritten by hand: Intercom's own YAML, embedded in the binary from
//! `src/intercom/openapi/` (MIT, provenance in its README), or the file `--spec` /
//! `OSTMIG_INTERCOM_SPEC` names, is parsed and walked. The walker follows OpenAPI 3.0 semantics the way
//! Prism's validator (ajv) does: `nullable`, `$ref`, `allOf` (all), `oneOf` (exactly one),
//! `anyOf` (at least one), `enum`, `required`, `properties`, `additionalProperties`, `items`,
//! array and string lengths, numeric bounds, `integer` vs `number`, and the string formats ajv
//! checks (uri, email, uuid, date-time, date).

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

use crate::error::Hinted;

/// The version this tool targets (sent as `Intercom-Version`).
pub const VERSION: &str = "2.16";

/// The 2.16 description the binary carries (see `src/intercom/openapi/README.md`).
const EMBEDDED: &str = include_str!("openapi/api.intercom.io-2.16.yaml");

pub struct Spec {
    doc: Value,
    /// (method, path template split on '/', pointer to the operation)
    ops: Vec<(String, Vec<String>, String)>,
    /// The file it was read from; None for the embedded description.
    pub path: Option<PathBuf>,
}

impl Spec {
    /// The description to judge by: the file `explicit` names, else `OSTMIG_INTERCOM_SPEC`'s,
    /// else the one embedded in the binary.
    pub fn open(explicit: Option<&Path>) -> anyhow::Result<Spec> {
        match explicit
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os(crate::settings::ENV_INTERCOM_SPEC).map(PathBuf::from))
        {
            Some(path) => Spec::load(&path),
            None => Spec::parse(EMBEDDED, None),
        }
    }

    /// The description in the file `path`.
    pub fn load(path: &Path) -> anyhow::Result<Spec> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Hinted::new(
                format!("cannot read Intercom's OpenAPI description {}: {e}", path.display()),
                format!("name a readable api.intercom.io.yaml with --spec or {}, or leave both unset to use the one built in", crate::settings::ENV_INTERCOM_SPEC),
            )
        })?;
        Spec::parse(&text, Some(path))
    }

    fn parse(text: &str, path: Option<&Path>) -> anyhow::Result<Spec> {
        let name = path.map_or("the embedded description".to_string(), |p| {
            p.display().to_string()
        });
        let mut doc: Value = serde_yaml_ng::from_str(text)
            .with_context(|| format!("{name} is not an OpenAPI YAML document"))?;
        // The live API's shapes, where they differ from the schema (errata.toml).
        super::errata::apply(&mut doc);
        let mut ops = Vec::new();
        if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
            for (template, item) in paths {
                let Some(item) = item.as_object() else {
                    continue;
                };
                for method in item.keys() {
                    if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                        ops.push((
                            method.to_uppercase(),
                            split(template),
                            format!("/paths/{}/{method}", escape(template)),
                        ));
                    }
                }
            }
        }
        Ok(Spec {
            doc,
            ops,
            path: path.map(Path::to_path_buf),
        })
    }

    /// The description with the errata's patches merged in: what a validator in front of the
    /// API (Prism in the tests) should judge by.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// The operation for a concrete path (`/tickets/123/reply`), preferring literal segments
    /// (`/contacts/search` over `/contacts/{id}`).
    pub fn operation(&self, method: &str, path: &str) -> Option<&Value> {
        self.matching(method, path)
            .and_then(|(_, _, ptr)| self.doc.pointer(ptr))
    }

    fn matching(&self, method: &str, path: &str) -> Option<&(String, Vec<String>, String)> {
        let segs = split(path.split('?').next().unwrap_or(path));
        self.ops
            .iter()
            .filter(|(m, t, _)| m == method && t.len() == segs.len())
            .filter(|(_, t, _)| {
                t.iter()
                    .zip(&segs)
                    .all(|(a, b)| a.starts_with('{') || a == b)
            })
            .max_by_key(|(_, t, _)| t.iter().filter(|s| !s.starts_with('{')).count())
    }

    /// `METHOD /template` of the operation a concrete path is (`POST /tickets/{ticket_id}/reply`).
    pub fn template(&self, method: &str, path: &str) -> Option<String> {
        self.matching(method, path)
            .map(|(m, t, _)| format!("{m} /{}", t.join("/")))
    }

    /// Whether the operation's request body can carry a top-level `property` (through `$ref`,
    /// `allOf`, `oneOf` and `anyOf`): how the simulator knows which writes could have said
    /// `skip_notifications`.
    pub fn request_accepts(&self, method: &str, path: &str, property: &str) -> bool {
        let Some(schema) = self
            .operation(method, path)
            .and_then(|op| op.get("requestBody"))
            .map(|r| self.deref(r))
            .and_then(|rb| rb.pointer("/content/application~1json/schema"))
        else {
            return false;
        };
        self.names(schema, property, 0)
    }

    fn names(&self, schema: &Value, property: &str, depth: usize) -> bool {
        let s = self.deref(schema);
        if depth > 8 {
            return false;
        }
        if s.pointer(&format!("/properties/{}", escape(property)))
            .is_some()
        {
            return true;
        }
        ["allOf", "oneOf", "anyOf"].iter().any(|k| {
            s.get(*k)
                .and_then(Value::as_array)
                .is_some_and(|subs| subs.iter().any(|sub| self.names(sub, property, depth + 1)))
        })
    }

    /// Problems with a request body (empty when it conforms).
    pub fn check_request(&self, method: &str, path: &str, body: Option<&Value>) -> Vec<String> {
        let Some(op) = self.operation(method, path) else {
            return vec![format!(
                "{method} {path} is not an operation of Intercom's API"
            )];
        };
        let Some(rb) = op.get("requestBody").map(|r| self.deref(r)) else {
            return Vec::new();
        };
        let schema = rb.pointer("/content/application~1json/schema");
        match (body, schema) {
            (None, _) if rb.get("required") == Some(&Value::Bool(true)) => {
                vec!["request body is required".into()]
            }
            (Some(b), Some(s)) => {
                let mut errs = Vec::new();
                self.validate(s, b, "body", &mut errs);
                errs
            }
            _ => Vec::new(),
        }
    }

    /// Problems with a response body for `status` (empty when it conforms or the spec gives no
    /// schema for that status).
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Vec<String> {
        let Some(op) = self.operation(method, path) else {
            return vec![format!(
                "{method} {path} is not an operation of Intercom's API"
            )];
        };
        let responses = op.get("responses");
        let Some(resp) = responses
            .and_then(|r| r.get(status.to_string()).or_else(|| r.get("default")))
            .map(|r| self.deref(r))
        else {
            return vec![format!(
                "{method} {path}: the spec lists no response {status}"
            )];
        };
        let Some(schema) = resp.pointer("/content/application~1json/schema") else {
            return Vec::new();
        };
        let mut errs = Vec::new();
        self.validate(schema, body, "response", &mut errs);
        errs
    }

    /// The values the spec allows for the `Intercom-Version` header.
    pub fn versions(&self) -> Vec<String> {
        self.doc
            .pointer("/components/schemas/intercom_version/enum")
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn deref<'a>(&'a self, v: &'a Value) -> &'a Value {
        let mut v = v;
        for _ in 0..32 {
            match v.get("$ref").and_then(Value::as_str) {
                Some(r) => match self.doc.pointer(r.trim_start_matches('#')) {
                    Some(t) => v = t,
                    None => return v,
                },
                None => return v,
            }
        }
        v
    }

    fn validate(&self, schema: &Value, value: &Value, at: &str, errs: &mut Vec<String>) {
        let s = self.deref(schema);
        if value.is_null() {
            // `nullable: true` may sit on the schema or on the `$ref` wrapper's siblings.
            if s.get("nullable") == Some(&Value::Bool(true))
                || schema.get("nullable") == Some(&Value::Bool(true))
                || (s.get("type").is_none() && s.get("enum").is_none())
            {
                return;
            }
            errs.push(format!("{at}: null is not allowed"));
            return;
        }
        self.combinators(s, value, at, errs);
        if let Some(choices) = s.get("enum").and_then(Value::as_array)
            && !choices.contains(value)
        {
            errs.push(format!(
                "{at}: {value} is not one of {}",
                Value::Array(choices.clone())
            ));
        }
        // Without a `type`, the object keywords still apply to objects (JSON Schema).
        let kind = s.get("type").and_then(Value::as_str).or(
            if value.is_object() && (s.get("properties").is_some() || s.get("required").is_some()) {
                Some("object")
            } else {
                None
            },
        );
        match kind {
            Some("object") => self.validate_object(s, value, at, errs),
            Some("array") => self.validate_array(s, value, at, errs),
            Some("string") => validate_string(s, value, at, errs),
            Some("integer") => {
                if !(value.is_i64() || value.is_u64()) {
                    errs.push(format!("{at}: must be an integer, got {value}"));
                }
                self.bounds(s, value, at, errs);
            }
            Some("number") => {
                if !value.is_number() {
                    errs.push(format!("{at}: must be a number, got {value}"));
                }
                self.bounds(s, value, at, errs);
            }
            Some("boolean") if !value.is_boolean() => {
                errs.push(format!("{at}: must be a boolean, got {value}"));
            }
            _ => {}
        }
    }

    /// allOf, oneOf and anyOf.
    fn combinators(&self, s: &Value, value: &Value, at: &str, errs: &mut Vec<String>) {
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.validate(sub, value, at, errs);
            }
        }
        if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
            let mut failures = Vec::new();
            let passing = one
                .iter()
                .filter(|sub| {
                    let mut e = Vec::new();
                    self.validate(sub, value, at, &mut e);
                    let ok = e.is_empty();
                    failures.extend(e);
                    ok
                })
                .count();
            if passing != 1 {
                errs.push(format!(
                    "{at}: must match exactly one schema in oneOf, matches {passing}{}",
                    if passing == 0 {
                        format!(" ({})", failures.join("; "))
                    } else {
                        String::new()
                    }
                ));
            }
        }
        if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
            let ok = any.iter().any(|sub| {
                let mut e = Vec::new();
                self.validate(sub, value, at, &mut e);
                e.is_empty()
            });
            if !ok {
                errs.push(format!("{at}: matches no schema in anyOf"));
            }
        }
    }

    fn validate_object(&self, s: &Value, value: &Value, at: &str, errs: &mut Vec<String>) {
        let Some(obj) = value.as_object() else {
            errs.push(format!("{at}: must be an object"));
            return;
        };
        if let Some(req) = s.get("required").and_then(Value::as_array) {
            for r in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(r) {
                    errs.push(format!("{at}: must have required property '{r}'"));
                }
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(ps) => self.validate(ps, v, &format!("{at}.{k}"), errs),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        errs.push(format!("{at}: property '{k}' is not allowed"))
                    }
                    Some(extra @ Value::Object(_)) => {
                        self.validate(extra, v, &format!("{at}.{k}"), errs)
                    }
                    _ => {}
                },
            }
        }
    }

    fn validate_array(&self, s: &Value, value: &Value, at: &str, errs: &mut Vec<String>) {
        let Some(items) = value.as_array() else {
            errs.push(format!("{at}: must be an array"));
            return;
        };
        if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
            && items.len() as u64 > max
        {
            errs.push(format!("{at}: at most {max} items, got {}", items.len()));
        }
        if let Some(min) = s.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < min
        {
            errs.push(format!("{at}: at least {min} items, got {}", items.len()));
        }
        if let Some(item_schema) = s.get("items") {
            for (i, v) in items.iter().enumerate() {
                self.validate(item_schema, v, &format!("{at}[{i}]"), errs);
            }
        }
    }

    fn bounds(&self, s: &Value, value: &Value, at: &str, errs: &mut Vec<String>) {
        let Some(x) = value.as_f64() else { return };
        if let Some(max) = s.get("maximum").and_then(Value::as_f64)
            && x > max
        {
            errs.push(format!("{at}: must be ≤ {max}"));
        }
        if let Some(min) = s.get("minimum").and_then(Value::as_f64)
            && x < min
        {
            errs.push(format!("{at}: must be ≥ {min}"));
        }
    }
}

/// A string's length and format.
fn validate_string(s: &Value, value: &Value, at: &str, errs: &mut Vec<String>) {
    match value.as_str() {
        None => errs.push(format!("{at}: must be a string, got {value}")),
        Some(text) => {
            let n = text.chars().count() as u64;
            if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
                && n > max
            {
                errs.push(format!("{at}: longer than {max} characters"));
            }
            if let Some(min) = s.get("minLength").and_then(Value::as_u64)
                && n < min
            {
                errs.push(format!("{at}: shorter than {min} characters"));
            }
            if let Some(f) = s.get("format").and_then(Value::as_str)
                && !format_ok(f, text)
            {
                errs.push(format!("{at}: {text:?} is not a valid {f}"));
            }
        }
    }
}

/// The string formats ajv (and so Prism) checks; others are annotations.
fn format_ok(format: &str, text: &str) -> bool {
    match format {
        "uri" => url::Url::parse(text).is_ok(),
        "email" => {
            let mut parts = text.splitn(2, '@');
            let (local, domain) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            !local.is_empty() && domain.contains('.') && !text.contains(char::is_whitespace)
        }
        "uuid" => {
            let hex: String = text.chars().filter(|c| *c != '-').collect();
            text.len() == 36 && hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
        }
        "date-time" => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
        "date" => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
        _ => true,
    }
}

fn split(path: &str) -> Vec<String> {
    path.trim_matches('/')
        .split('/')
        .map(String::from)
        .collect()
}

/// JSON-pointer escaping of one key.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Option<Spec> {
        Some(Spec::open(None).unwrap())
    }

    #[test]
    fn requests_are_judged_by_the_spec() {
        let Some(spec) = spec() else {
            eprintln!("*** SKIPPING: no Intercom OpenAPI description ***");
            return;
        };
        assert!(spec.versions().contains(&"2.16".to_string()));
        // The create-ticket request needs ticket_type_id and contacts.
        let errs = spec.check_request("POST", "/tickets", Some(&json!({"ticket_type_id": "1"})));
        assert!(errs.iter().any(|e| e.contains("'contacts'")), "{errs:?}");
        let ok = json!({"ticket_type_id": "1", "contacts": [{"external_id": "osticket-user-1"}],
                        "created_at": 1700000000, "ticket_attributes": {"_default_title_": "x"}});
        assert_eq!(
            spec.check_request("POST", "/tickets", Some(&ok)),
            Vec::<String>::new()
        );
        // ticket_type_id is a string, as the schema says (the spec's example sends a number).
        let bad = json!({"ticket_type_id": 1, "contacts": [{"external_id": "u"}]});
        assert!(
            !spec
                .check_request("POST", "/tickets", Some(&bad))
                .is_empty()
        );
        // An unknown message_type; and a literal segment beats a template.
        let reply = json!({"message_type": "shout", "type": "admin", "admin_id": "1", "body": "x"});
        assert!(
            !spec
                .check_request("POST", "/tickets/5/reply", Some(&reply))
                .is_empty()
        );
        assert!(
            spec.operation("POST", "/contacts/search")
                .unwrap()
                .get("requestBody")
                .is_some()
        );
        assert!(!spec.check_request("GET", "/nowhere", None).is_empty());
    }

    #[test]
    fn responses_are_judged_by_the_spec() {
        let Some(spec) = spec() else { return };
        let error = json!({"type": "error.list", "request_id": null,
                           "errors": [{"code": "parameter_invalid", "message": "x"}]});
        assert_eq!(
            spec.check_response("POST", "/tickets", 401, &error),
            Vec::<String>::new()
        );
        let bad = json!({"type": "ticket", "id": 5});
        assert!(
            !spec
                .check_response("GET", "/tickets/5", 200, &bad)
                .is_empty()
        );
    }

    #[test]
    fn the_writes_that_can_skip_notifications_are_read_from_the_spec() {
        let Some(spec) = spec() else { return };
        for (m, p) in [
            ("POST", "/tickets"),
            ("PUT", "/tickets/5"),
            ("POST", "/tickets/5/reply"),
        ] {
            assert!(spec.request_accepts(m, p, "skip_notifications"), "{m} {p}");
        }
        for (m, p) in [
            ("POST", "/tickets/5/tags"),
            ("POST", "/contacts"),
            ("POST", "/companies"),
        ] {
            assert!(!spec.request_accepts(m, p, "skip_notifications"), "{m} {p}");
        }
        assert_eq!(
            spec.template("POST", "/tickets/5/reply").as_deref(),
            Some("POST /tickets/{ticket_id}/reply")
        );
    }

    #[test]
    fn the_live_shape_of_ticket_type_attributes_is_validated_through_the_errata() {
        let Some(spec) = spec() else { return };
        let attr = |id: Value| json!({"type": "ticket_type_attribute", "id": id, "name": "x", "data_type": "string"});
        let tt = |attrs: Vec<Value>| {
            json!({"type": "ticket_type", "id": "7", "name": "T",
                   "ticket_type_attributes": {"type": "list", "data": attrs}})
        };
        assert_eq!(
            spec.check_response("GET", "/ticket_types/7", 200, &tt(vec![attr(json!("1"))])),
            Vec::<String>::new()
        );
        // Patched in, so its items are judged (an id is a string), not waved through.
        let wrong = spec.check_response("GET", "/ticket_types/7", 200, &tt(vec![attr(json!(1))]));
        assert!(wrong.iter().any(|p| p.contains("data")), "{wrong:?}");
    }
}
