//! The local Intercom answers like the live API, not only like its schema: one test per
//! behaviour of `src/intercom/errata.toml`, each asserting the answer the research
//! (`../shared/research/intercom-reality.md`) documents, over real HTTP on loopback.
mod common;

use common::*;
use serde_json::{Value, json};

const TOKEN: &str = "live-api-token";

/// One request to the simulator: (status, body).
fn call(sim: &Sim, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}{path}", sim.url);
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut req = reqwest::Client::new()
                .request(method, url)
                .bearer_auth(TOKEN)
                .header("Intercom-Version", "2.16");
            if let Some(b) = body {
                req = req.json(&b);
            }
            match req.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    match resp.text().await {
                        Ok(text) => (status, serde_json::from_str(&text).unwrap_or(Value::Null)),
                        // The body was cut after the headers (--lose-answers).
                        Err(_) => (0, Value::Null),
                    }
                }
                // A cut connection (--lose-answers): no answer at all.
                Err(_) => (0, Value::Null),
            }
        })
    })
    .join()
    .unwrap()
}

fn ok(sim: &Sim, method: &str, path: &str, body: Option<Value>) -> Value {
    let (status, got) = call(sim, method, path, body.clone());
    assert_eq!(status, 200, "{method} {path} {body:?} → {got}");
    got
}

fn error_code(reply: &(u16, Value)) -> (u16, String) {
    (
        reply.0,
        reply.1["errors"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// A workspace with a ticket type, a contact and a ticket of theirs; returns (type, ticket,
/// contact id, admin id).
fn ticket(sim: &Sim) -> (Value, String, String, String) {
    let admin = ok(sim, "GET", "/admins", None)["admins"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tt = ok(
        sim,
        "POST",
        "/ticket_types",
        Some(json!({"name": "osTicket ticket", "category": "Customer"})),
    );
    let tt_id = tt["id"].as_str().unwrap().to_string();
    ok(
        sim,
        "POST",
        &format!("/ticket_types/{tt_id}/attributes"),
        Some(json!({"name": "osTicket number", "description": "n", "data_type": "string"})),
    );
    let contact = ok(
        sim,
        "POST",
        "/contacts",
        Some(
            json!({"role": "user", "external_id": "osticket-user-1", "email": "a@customer.example"}),
        ),
    );
    let made = ok(
        sim,
        "POST",
        "/tickets",
        Some(
            json!({"ticket_type_id": tt_id, "contacts": [{"external_id": "osticket-user-1"}],
                    "ticket_attributes": {"_default_title_": "T", "osTicket number": "100"},
                    "skip_notifications": true}),
        ),
    );
    let tt = ok(sim, "GET", &format!("/ticket_types/{tt_id}"), None);
    (
        tt,
        made["id"].as_str().unwrap().to_string(),
        contact["id"].as_str().unwrap().to_string(),
        admin,
    )
}

fn seed_file(dir: &std::path::Path, extra: &str) -> String {
    let file = dir.join("seed.toml");
    std::fs::write(&file, format!("{SIM_SEED}\n{extra}")).unwrap();
    file.to_str().unwrap().to_string()
}

#[test]
fn ticket_type_attributes_come_under_data() {
    let Some(sim) = Sim::start(&[]) else { return };
    let (tt, ..) = ticket(&sim);
    // Every 2.16 response example (intercom-node #499, intercom-php #396).
    assert_eq!(tt["ticket_type_attributes"]["type"], "list");
    let names: Vec<&str> = tt["ticket_type_attributes"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "_default_title_",
            "_default_description_",
            "osTicket number"
        ]
    );
    assert!(
        tt["ticket_type_attributes"]
            .get("ticket_type_attributes")
            .is_none()
    );
}

#[test]
fn bodies_come_back_sanitized_as_the_spec_examples_show() {
    let Some(sim) = Sim::start(&[]) else { return };
    let (_, ticket_id, _, admin) = ticket(&sim);
    let reply = |body: Value| {
        ok(
            &sim,
            "POST",
            &format!("/tickets/{ticket_id}/reply"),
            Some(body),
        )["body"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Spec line 12205 → 11888: plain text is wrapped in <p>.
    assert_eq!(
        reply(
            json!({"message_type": "comment", "type": "user", "user_id": "osticket-user-1",
                     "body": "Thanks again :)", "skip_notifications": true})
        ),
        "<p>Thanks again :)</p>"
    );
    // Spec line 19636 → 19541: the wrapper goes, whitespace between tags is reflowed.
    assert_eq!(
        reply(
            json!({"message_type": "note", "type": "admin", "admin_id": admin,
                     "body": "<html> <body>  <h2>List</h2>  <ul>   <li>Coffee</li> </ul> </body> </html>"})
        ),
        "<h2>List</h2>\n<ul>\n<li>Coffee</li>\n</ul>"
    );
    // PR #654: <div> is outside the sanitizer's set; so are handlers and non-http images.
    assert_eq!(
        reply(
            json!({"message_type": "note", "type": "admin", "admin_id": admin,
                     "body": "<div onclick=\"x()\"><p>Hi <img src=\"ostmig-file:3\"></p></div>"})
        ),
        "<p>Hi </p>"
    );
    // What a part read back holds is the stored body.
    let read = ok(&sim, "GET", &format!("/tickets/{ticket_id}"), None);
    assert!(
        read["ticket_parts"]["ticket_parts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["body"] == "<p>Thanks again :)</p>")
    );

    let Some(raw) = Sim::start(&["--raw-bodies"]) else {
        return;
    };
    let (_, ticket_id, ..) = ticket(&raw);
    let stored = ok(
        &raw,
        "POST",
        &format!("/tickets/{ticket_id}/reply"),
        Some(
            json!({"message_type": "comment", "type": "user", "user_id": "osticket-user-1",
                    "body": "Thanks again :)"}),
        ),
    );
    assert_eq!(stored["body"], "Thanks again :)", "--raw-bodies keeps them");
}

#[test]
fn search_lags_behind_a_create_and_get_by_id_does_not() {
    let Some(sim) = Sim::start(&["--search-lag", "3"]) else {
        return;
    };
    let (_, ticket_id, contact_id, _) = ticket(&sim);
    let tt = ok(&sim, "GET", "/ticket_types", None)["data"][0].clone();
    let number_attr = ostmig::intercom::live::ticket_type_attributes(&tt)
        .iter()
        .find(|a| a["name"] == "osTicket number")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let search_contact = || {
        ok(
            &sim,
            "POST",
            "/contacts/search",
            Some(json!({"query": {"field": "external_id", "operator": "=", "value": "osticket-user-1"}})),
        )["total_count"]
            .clone()
    };
    let search_ticket = || {
        ok(
            &sim,
            "POST",
            "/tickets/search",
            Some(json!({"query": {"field": format!("ticket_attribute.{number_attr}"), "operator": "=", "value": "100"}})),
        )["total_count"]
            .clone()
    };
    // Spec "Contact Creation Delay": not found yet by search...
    assert_eq!(search_contact(), 0);
    assert_eq!(search_ticket(), 0);
    // ...but there, by id and by external id.
    ok(&sim, "GET", &format!("/contacts/{contact_id}"), None);
    ok(&sim, "GET", &format!("/tickets/{ticket_id}"), None);
    let found = ok(
        &sim,
        "GET",
        "/contacts/find_by_external_id/osticket-user-1",
        None,
    );
    assert_eq!(found["id"], json!(contact_id));
    std::thread::sleep(std::time::Duration::from_millis(3300));
    assert_eq!(search_contact(), 1);
    assert_eq!(search_ticket(), 1);
    // find_by_external_id is for users only (spec: "not leads").
    ok(
        &sim,
        "POST",
        "/contacts",
        Some(json!({"role": "lead", "external_id": "lead-1", "email": "l@customer.example"})),
    );
    let lead = call(&sim, "GET", "/contacts/find_by_external_id/lead-1", None);
    assert_eq!(lead.0, 404);
}

#[test]
fn a_state_must_belong_to_the_tickets_type() {
    let dir = tempfile::tempdir().unwrap();
    let Some(sim) = Sim::start(&["--seed", &seed_file(dir.path(), "")]) else {
        return;
    };
    let (tt, ticket_id, _, admin) = ticket(&sim);
    // GET /ticket_states lists the other type's states first, each with its types.
    let states = ok(&sim, "GET", "/ticket_states", None);
    let first = &states["data"][0];
    assert_eq!(first["internal_label"], "Investigating");
    assert_eq!(first["ticket_types"]["data"][0]["name"], "Bug report");
    let foreign = first["id"].as_str().unwrap().to_string();
    let refused = call(
        &sim,
        "PUT",
        &format!("/tickets/{ticket_id}"),
        Some(json!({"ticket_state_id": foreign, "skip_notifications": true})),
    );
    // Spec line 20631.
    assert_eq!(
        error_code(&refused),
        (400, "ticket_state_id_invalid".to_string())
    );
    assert_eq!(
        refused.1["errors"][0]["message"],
        "Ticket state id is not valid or is not associated with the ticket type"
    );
    // The type's own states (GET /ticket_types/{id} lists them) are accepted.
    let own = ostmig::intercom::live::ticket_type_states(&tt)
        .iter()
        .find(|s| s["category"] == "in_progress")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let moved = ok(
        &sim,
        "PUT",
        &format!("/tickets/{ticket_id}"),
        // The spec types this admin_id as an integer (the reply's as a string).
        Some(
            json!({"ticket_state_id": own, "admin_id": admin.parse::<i64>().unwrap(), "skip_notifications": true}),
        ),
    );
    assert_eq!(moved["ticket_state"]["category"], "in_progress");
}

#[test]
fn intercom_adds_its_own_parts_and_the_ticket_is_the_spec_object() {
    let Some(sim) = Sim::start(&[]) else { return };
    let (tt, ticket_id, _, admin) = ticket(&sim);
    let read = ok(&sim, "GET", &format!("/tickets/{ticket_id}"), None);
    // The POST /tickets example (spec line 20250): a state part by the bot, from the start.
    let first = &read["ticket_parts"]["ticket_parts"][0];
    assert_eq!(first["part_type"], "ticket_state_updated_by_admin");
    assert_eq!(first["author"]["type"], "bot");
    // The schema's ticket has neither tags nor company_id.
    assert!(read.get("tags").is_none() && read.get("company_id").is_none());
    let resolved = ostmig::intercom::live::ticket_type_states(&tt)
        .iter()
        .find(|s| s["category"] == "resolved")
        .unwrap()["id"]
        .clone();
    ok(
        &sim,
        "PUT",
        &format!("/tickets/{ticket_id}"),
        Some(
            json!({"ticket_state_id": resolved, "assignee_id": admin, "admin_id": admin.parse::<i64>().unwrap(),
                    "ticket_attributes": {"_default_title_": "Renamed"}, "skip_notifications": true}),
        ),
    );
    let read = ok(&sim, "GET", &format!("/tickets/{ticket_id}"), None);
    let kinds: Vec<&str> = read["ticket_parts"]["ticket_parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part_type"].as_str().unwrap())
        .collect();
    // The PUT /tickets example (spec lines 20506, 20527).
    assert_eq!(
        kinds,
        [
            "ticket_state_updated_by_admin",
            "ticket_state_updated_by_admin",
            "assignment",
            "ticket_attribute_updated_by_admin"
        ]
    );
    assert_eq!(
        read["ticket_parts"]["ticket_parts"][1]["ticket_state"],
        "resolved"
    );
    assert_eq!(
        read["ticket_parts"]["ticket_parts"][1]["author"]["type"],
        "admin"
    );
}

#[test]
fn custom_attributes_must_exist_and_share_one_namespace() {
    let Some(sim) = Sim::start(&[]) else { return };
    let unknown = call(
        &sim,
        "POST",
        "/contacts",
        Some(json!({"role": "user", "external_id": "x", "custom_attributes": {"nope": "1"}})),
    );
    assert_eq!(error_code(&unknown), (400, "parameter_invalid".to_string()));
    ok(
        &sim,
        "POST",
        "/data_attributes",
        Some(json!({"name": "osticket-plan", "model": "company", "data_type": "string"})),
    );
    // Company values are strings in the spec.
    let typed = call(
        &sim,
        "POST",
        "/companies",
        Some(json!({"company_id": "c1", "name": "C", "custom_attributes": {"osticket-plan": 5}})),
    );
    assert_eq!(typed.0, 400, "{}", typed.1);
    ok(
        &sim,
        "POST",
        "/companies",
        Some(
            json!({"company_id": "c1", "name": "C", "custom_attributes": {"osticket-plan": "gold"}}),
        ),
    );
    // One namespace for people and companies (spec line 14992).
    let clash = call(
        &sim,
        "POST",
        "/data_attributes",
        Some(json!({"name": "osticket-plan", "model": "contact", "data_type": "string"})),
    );
    assert_eq!(clash.0, 400);
    assert_eq!(
        clash.1["errors"][0]["message"],
        "You already have 'osticket-plan' in your company data. To save this as new people data, use a different name."
    );
    // At most 250 custom data attributes in a workspace.
    for i in 1..250 {
        ok(
            &sim,
            "POST",
            "/data_attributes",
            Some(json!({"name": format!("a{i}"), "model": "contact", "data_type": "string"})),
        );
    }
    let over = call(
        &sim,
        "POST",
        "/data_attributes",
        Some(json!({"name": "a250", "model": "contact", "data_type": "string"})),
    );
    assert_eq!(over.0, 400, "the 251st is refused: {}", over.1);
}

#[test]
fn deletes_can_be_refused_by_the_plan() {
    let Some(sim) = Sim::start(&["--restrict-deletes"]) else {
        return;
    };
    let (_, ticket_id, contact_id, _) = ticket(&sim);
    // Spec lines 20856-20915.
    let refused = call(&sim, "DELETE", &format!("/tickets/{ticket_id}"), None);
    assert_eq!(
        error_code(&refused),
        (403, "api_plan_restricted".to_string())
    );
    assert_eq!(
        refused.1["errors"][0]["message"],
        "Active subscription needed."
    );
    ok(&sim, "GET", &format!("/tickets/{ticket_id}"), None);
    // Contacts can still be deleted.
    ok(&sim, "DELETE", &format!("/contacts/{contact_id}"), None);
}

#[test]
fn a_messenger_workspace_already_holds_people_and_refuses_a_second_user() {
    let dir = tempfile::tempdir().unwrap();
    let seed = seed_file(
        dir.path(),
        "[[contacts]]\nemail = \"alice.johnson@globex.example\"\nname = \"Alice (Messenger)\"\n\
         [[contacts]]\nemail = \"brian.tanaka@globex.example\"\narchived = true\n\
         [[contacts]]\nrole = \"lead\"\nemail = \"chloe.fischer@globex.example\"\n",
    );
    let Some(sim) = Sim::start(&["--seed", &seed]) else {
        return;
    };
    // Seeded people are old: search has them (archived ones excepted).
    let found = ok(
        &sim,
        "POST",
        "/contacts/search",
        Some(
            json!({"query": {"field": "email", "operator": "=", "value": "alice.johnson@globex.example"}}),
        ),
    );
    assert_eq!(found["total_count"], 1);
    // A second user with the e-mail: 409 naming the holder (Intercom-OpenAPI #543), archived
    // ones in their own words.
    let dup = call(
        &sim,
        "POST",
        "/contacts",
        Some(
            json!({"role": "user", "external_id": "osticket-user-5", "email": "ALICE.JOHNSON@globex.example"}),
        ),
    );
    assert_eq!(dup.0, 409);
    let message = dup.1["errors"][0]["message"].as_str().unwrap();
    let holder = ostmig::intercom::live::conflict_id(message).unwrap();
    assert_eq!(
        ok(&sim, "GET", &format!("/contacts/{holder}"), None)["name"],
        "Alice (Messenger)"
    );
    let archived = call(
        &sim,
        "POST",
        "/contacts",
        Some(json!({"role": "user", "email": "brian.tanaka@globex.example"})),
    );
    assert!(
        archived.1["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("An archived contact matching those details already exists with id="),
        "{}",
        archived.1
    );
    // Leads may share an e-mail with a new user.
    ok(
        &sim,
        "POST",
        "/contacts",
        Some(
            json!({"role": "user", "external_id": "osticket-user-7", "email": "chloe.fischer@globex.example"}),
        ),
    );
}

#[test]
fn only_a_participant_may_reply_as_a_user() {
    let Some(sim) = Sim::start(&[]) else { return };
    let (_, ticket_id, ..) = ticket(&sim);
    ok(
        &sim,
        "POST",
        "/contacts",
        Some(
            json!({"role": "user", "external_id": "osticket-user-2", "email": "cc@customer.example"}),
        ),
    );
    let reply = json!({"message_type": "comment", "type": "user", "user_id": "osticket-user-2",
                       "body": "me too", "skip_notifications": true});
    let refused = call(
        &sim,
        "POST",
        &format!("/tickets/{ticket_id}/reply"),
        Some(reply.clone()),
    );
    assert_eq!(refused.0, 400, "{}", refused.1);
    ok(
        &sim,
        "POST",
        &format!("/conversations/{ticket_id}/customers"),
        Some(json!({"customer": {"user_id": "osticket-user-2"}})),
    );
    ok(
        &sim,
        "POST",
        &format!("/tickets/{ticket_id}/reply"),
        Some(reply),
    );
    let read = ok(&sim, "GET", &format!("/tickets/{ticket_id}"), None);
    assert_eq!(read["contacts"]["contacts"].as_array().unwrap().len(), 2);
}

#[test]
fn writes_that_could_skip_notifications_and_did_not_are_counted() {
    let Some(sim) = Sim::start(&[]) else { return };
    let (_, ticket_id, _, admin) = ticket(&sim);
    assert_eq!(
        sim.state()["notifications"],
        json!({}),
        "ticket() said skip_notifications"
    );
    ok(
        &sim,
        "PUT",
        &format!("/tickets/{ticket_id}"),
        Some(json!({"ticket_attributes": {"_default_title_": "Loud"}})),
    );
    ok(
        &sim,
        "POST",
        &format!("/tickets/{ticket_id}/reply"),
        Some(
            json!({"message_type": "comment", "type": "admin", "admin_id": admin, "body": "hi",
                    "skip_notifications": false}),
        ),
    );
    // Tags cannot carry the flag: not counted.
    let tag = ok(&sim, "POST", "/tags", Some(json!({"name": "t"})));
    ok(
        &sim,
        "POST",
        &format!("/tickets/{ticket_id}/tags"),
        Some(json!({"id": tag["id"], "admin_id": admin})),
    );
    let state = sim.state();
    assert_eq!(
        state["notifications"],
        json!({"PUT /tickets/{ticket_id}": 1, "POST /tickets/{ticket_id}/reply": 1})
    );
    assert_eq!(
        state["customer_visible"],
        json!({"tickets": 1, "comments": 1})
    );
}

#[test]
fn an_answer_can_be_lost_at_a_known_place() {
    let Some(sim) = Sim::start(&["--lose-answers", "POST /contacts=1"]) else {
        return;
    };
    let body =
        json!({"role": "user", "external_id": "osticket-user-9", "email": "z@customer.example"});
    assert_eq!(
        call(&sim, "POST", "/contacts", Some(body.clone())).0,
        0,
        "no answer"
    );
    // Applied all the same: a second create is a duplicate.
    assert_eq!(call(&sim, "POST", "/contacts", Some(body)).0, 409);
    assert_eq!(sim.state()["faults"]["lost_answers"], 1);
}
