//! Reading what the live API answers (see `errata.toml`): the shapes it really returns, bodies
//! it rewrote, values that lost their JSON spelling on the way. Load, verify and rollback read
//! answers only through these, so each fact is written once.

use serde_json::Value;

/// Custom data attributes a workspace may hold (Intercom's help center, article 179; erratum
/// data-attribute-namespace).
pub const MAX_DATA_ATTRIBUTES: usize = 250;

/// Parts one read of a ticket holds at most (spec: "There is a limit of 500 parts").
pub const MAX_PARTS_READ: usize = 500;

/// A ticket type's attributes: `ticket_type_attributes.data` as the live API answers
/// (erratum ticket-type-attributes-data), else the schema's `ticket_type_attributes.ticket_type_attributes`.
pub fn ticket_type_attributes(tt: &Value) -> &[Value] {
    let list = &tt["ticket_type_attributes"];
    list["data"]
        .as_array()
        .or_else(|| list["ticket_type_attributes"].as_array())
        .map_or(&[], Vec::as_slice)
}

/// The states that belong to a ticket type, as `GET /ticket_types/{id}` lists them
/// (erratum ticket-state-per-type).
pub fn ticket_type_states(tt: &Value) -> &[Value] {
    tt["ticket_states"]["data"]
        .as_array()
        .map_or(&[], Vec::as_slice)
}

/// Whether a state from `GET /ticket_states` belongs to the ticket type `type_id`.
pub fn state_belongs_to(state: &Value, type_id: &str) -> bool {
    state["ticket_types"]["data"]
        .as_array()
        .is_some_and(|types| types.iter().any(|t| super::id_text(&t["id"]) == type_id))
}

/// The id a 409 names: "A contact matching those details already exists with id=…".
pub fn conflict_id(message: &str) -> Option<String> {
    let at = message.find("id=")? + 3;
    let id: String = message[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!id.is_empty()).then_some(id)
}

/// What a reader sees of an HTML body: tags dropped (a block tag or `<br>` separates words),
/// entities decoded, whitespace collapsed. Two bodies Intercom shows alike have the same text,
/// whatever its sanitizer did to their markup (erratum bodies-rewritten).
pub fn body_text(html: &str) -> String {
    let mut plain = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        plain.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            // A lone '<' is text.
            plain.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close]
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if !INLINE.contains(&tag.as_str()) {
            plain.push(' ');
        }
        rest = &rest[open + close + 1..];
    }
    plain.push_str(rest);
    let decoded = html_escape::decode_html_entities(&plain);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Tags that do not separate words.
const INLINE: &[&str] = &[
    "a", "b", "strong", "i", "em", "u", "code", "span", "small", "sub", "sup", "font", "mark", "s",
    "strike", "abbr", "cite", "q", "tt", "kbd", "var",
];

/// The part types Intercom may give a reply made as `message_type` (a user's first reply can
/// come back as `open`, spec line 11888).
fn part_types(message_type: &str) -> &'static [&'static str] {
    match message_type {
        "comment" => &["comment", "open"],
        "note" => &["note"],
        _ => &[],
    }
}

/// Whether `part` (as read back) is the one `request` (a reply request) created on a ticket
/// created at `ticket_created`: the same time, part type, author and text, however the body was
/// rewritten. A workspace may store a reply dated before its ticket at the ticket's own time
/// (`ostmig probe`'s backdated_replies_keep_time): such a part still counts as the same time.
pub fn same_part(part: &Value, request: &Value, ticket_created: Option<i64>) -> bool {
    let kind = request["message_type"].as_str().unwrap_or_default();
    let part_type = part["part_type"].as_str().unwrap_or_default();
    let sent = request["created_at"].as_i64();
    let clamped = matches!((sent, ticket_created), (Some(s), Some(t)) if s < t)
        && part["created_at"].as_i64() == ticket_created;
    if !part_types(kind).contains(&part_type)
        || (part["created_at"] != request["created_at"] && !clamped)
    {
        return false;
    }
    let author = &part["author"];
    let same_author = if request["type"] == "admin" {
        author["type"] == "admin"
            && super::id_text(&author["id"]) == super::id_text(&request["admin_id"])
    } else {
        author["type"] == "user" || author["type"] == "lead" || author["type"] == "contact"
    };
    same_author
        && body_text(part["body"].as_str().unwrap_or_default())
            == body_text(request["body"].as_str().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_shapes_of_ticket_type_attributes_are_read() {
        let live = json!({"ticket_type_attributes": {"type": "list", "data": [{"name": "a"}]}});
        let schema = json!({"ticket_type_attributes": {"type": "list", "ticket_type_attributes": [{"name": "b"}]}});
        assert_eq!(ticket_type_attributes(&live)[0]["name"], "a");
        assert_eq!(ticket_type_attributes(&schema)[0]["name"], "b");
        assert!(ticket_type_attributes(&json!({})).is_empty());
    }

    #[test]
    fn a_body_and_its_rewrites_have_one_text() {
        let sent = "<html> <body>  <h2>An Unordered HTML List</h2>  <ul>   <li>Coffee</li>   <li>Tea</li> </ul> </body> </html>";
        let stored = "<h2>An Unordered HTML List</h2>\n<ul>\n<li>Coffee</li>\n<li>Tea</li>\n</ul>";
        assert_eq!(body_text(sent), body_text(stored));
        assert_eq!(body_text(sent), "An Unordered HTML List Coffee Tea");
        assert_eq!(
            body_text("Thanks again :)"),
            body_text("<p>Thanks again :)</p>")
        );
        assert_eq!(body_text("<p>a&amp;b &lt;c&gt;&nbsp;d</p>"), "a&b <c> d");
        assert_eq!(body_text("<p>one</p><p>two</p>"), "one two");
        assert_eq!(body_text("<b>bo</b>ld"), "bold");
        assert_eq!(
            body_text("<div><span style=\"x\">kept</span></div>"),
            "kept"
        );
        assert_ne!(body_text("<p>one</p>"), body_text("<p>two</p>"));
    }

    #[test]
    fn a_part_is_found_by_time_author_type_and_text() {
        let request = json!({"message_type": "note", "type": "admin", "admin_id": "7",
                             "body": "<html><body><p>Hi</p>  <div>there</div></body></html>", "created_at": 100});
        let part = json!({"part_type": "note", "created_at": 100, "body": "<p>Hi</p>\n<p>there</p>",
                          "author": {"type": "admin", "id": "7"}});
        assert!(same_part(&part, &request, None));
        let mut other = part.clone();
        other["author"]["id"] = json!("8");
        assert!(!same_part(&other, &request, None));
        other = part.clone();
        other["created_at"] = json!(101);
        assert!(!same_part(&other, &request, None));
        let user = json!({"message_type": "comment", "type": "user", "user_id": "u1",
                          "body": "Thanks again :)", "created_at": 5});
        let open = json!({"part_type": "open", "created_at": 5, "body": "<p>Thanks again :)</p>",
                          "author": {"type": "user", "id": "x"}});
        assert!(same_part(&open, &user, None));
        // Stored at its ticket's time because it was dated before the ticket: still the same;
        // another part at the ticket's time, for a reply dated after the ticket, is not.
        other = part.clone();
        other["created_at"] = json!(150);
        assert!(same_part(&other, &request, Some(150)));
        assert!(!same_part(&other, &request, Some(90)));
    }

    #[test]
    fn a_conflict_names_its_contact() {
        assert_eq!(
            conflict_id(
                "A contact matching those details already exists with id=6762f0df1bb69f9f2193bb84"
            )
            .as_deref(),
            Some("6762f0df1bb69f9f2193bb84")
        );
        assert_eq!(conflict_id("no id here"), None);
    }
}
