//! The Intercom client against `ostmig sim` over real HTTP on loopback, both held to Intercom's
//! OpenAPI description: the client checks every request before sending and every response after
//! (contract mode), and the simulator checks them again on its side.
mod common;

use std::sync::Arc;

use common::*;
use ostmig::intercom::client::Client;
use ostmig::intercom::live;
use ostmig::intercom::spec::Spec;
use serde_json::{Value, json};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn client(sim: &Sim, concurrency: usize) -> Client {
    let spec = Arc::new(Spec::open(None).unwrap());
    Client::new(&sim.url, "test-token".into(), concurrency)
        .unwrap()
        .with_contract(spec)
}

fn contact(n: usize) -> Value {
    json!({"role": "user", "external_id": format!("osticket-user-{n}"),
           "email": format!("user{n}@customer.example"), "name": format!("User {n}"),
           "phone": null, "signed_up_at": 1700000000 + n as i64})
}

/// Every operation the migration uses, in the order a load and a rollback use them; leaves the
/// workspace empty again.
async fn full_sequence(c: &Client, sim: &Sim) {
    let admins = c.list_admins().await.unwrap();
    let admin_id = admins["admins"][0]["id"].as_str().unwrap().to_string();
    let teams = c.list_teams().await.unwrap();
    let team_id = teams["teams"][0]["id"].as_str().unwrap().to_string();

    // Workspace schema: data attribute, tag, ticket type with a string and a list attribute.
    c.create_data_attribute(
        &json!({"name": "osticket-vip", "model": "contact", "data_type": "boolean"}),
    )
    .await
    .unwrap();
    let listed = c.list_data_attributes("contact").await.unwrap();
    assert_eq!(listed["data"][0]["name"], "osticket-vip");
    let tag = c.create_tag("Billing Question").await.unwrap();
    let again = c.create_tag("billing question").await.unwrap();
    assert_eq!(tag["id"], again["id"], "tag names are case-insensitive");
    let tt = c
        .create_ticket_type(
            &json!({"name": "osTicket ticket", "category": "Customer", "is_internal": false}),
        )
        .await
        .unwrap();
    let tt_id = tt["id"].as_str().unwrap().to_string();
    let number = c
        .create_ticket_type_attribute(
            &tt_id,
            &json!({"name": "osTicket number", "description": "n", "data_type": "string"}),
        )
        .await
        .unwrap();
    let number_attr = number["id"].as_str().unwrap().to_string();
    c.create_ticket_type_attribute(&tt_id, &json!({"name": "Priority", "description": "p", "data_type": "list", "list_items": "Emergency,High,Normal,Low"}))
            .await
            .unwrap();
    let tt = c.get_ticket_type(&tt_id).await.unwrap();
    // The live shape (erratum ticket-type-attributes-data): `data`, not the schema's key.
    assert!(tt["ticket_type_attributes"]["data"].is_array());
    let high = live::ticket_type_attributes(&tt)
        .iter()
        .find(|a| a["name"] == "Priority")
        .unwrap()["input_options"]["list_options"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let resolved = live::ticket_type_states(&tt)
        .iter()
        .find(|s| s["category"] == "resolved")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Companies are upserted by company_id (their attributes must exist first); contacts
    // created once, a duplicate resolved.
    c.create_data_attribute(
        &json!({"name": "osticket-org-domains", "model": "company", "data_type": "string"}),
    )
    .await
    .unwrap();
    let company = c
            .upsert_company(&json!({"company_id": "osticket-org-2", "name": "Globex", "custom_attributes": {"osticket-org-domains": "globex.example"}}))
            .await
            .unwrap();
    let same = c
        .upsert_company(&json!({"company_id": "osticket-org-2", "name": "Globex Corporation"}))
        .await
        .unwrap();
    assert_eq!(company["id"], same["id"]);
    let found = c.find_company("osticket-org-2").await.unwrap().unwrap();
    assert_eq!(found["id"], company["id"]);
    assert_eq!(found["name"], "Globex Corporation");
    assert!(c.find_company("osticket-org-404").await.unwrap().is_none());
    assert_eq!(same["name"], "Globex Corporation");
    let alice = c.create_contact(&contact(5)).await.unwrap();
    let dup = c.create_contact(&contact(5)).await.unwrap();
    assert_eq!(alice["id"], dup["id"], "a 409 is resolved by external_id");
    let alice_id = alice["id"].as_str().unwrap().to_string();
    let company_id = company["id"].as_str().unwrap().to_string();
    c.attach_company(&alice_id, &company_id).await.unwrap();
    let bob = c.create_contact(&contact(6)).await.unwrap();
    let archived = c
        .archive_contact(bob["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(archived["archived"], true);
    c.delete_contact(bob["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(
        c.find_contact("osticket-user-5").await.unwrap().unwrap()["companies"]["total_count"],
        1
    );

    // A ticket with its history: backdated, as contact and as admin, a note with a file.
    let ticket = c
            .create_ticket(
                &json!({"ticket_type_id": tt_id, "contacts": [{"external_id": "osticket-user-5"}],
                        "company_id": company_id, "created_at": 1700000000,
                        "ticket_attributes": {"_default_title_": "Printer on fire", "_default_description_": "It smokes.",
                                              "osTicket number": "340385", "Priority": high},
                        "assignment": {"admin_assignee_id": admin_id, "team_assignee_id": team_id},
                        "skip_notifications": true}),
                (&number_attr, "340385"),
                std::time::Duration::from_secs(5),
            )
            .await
            .unwrap()
            .unwrap();
    let ticket_id = ticket["id"].as_str().unwrap().to_string();
    let none = std::collections::HashSet::new();
    c.reply_ticket(&ticket_id, &json!({"message_type": "comment", "type": "user", "user_id": "osticket-user-5",
                                            "body": "<p>Still smoking</p>", "created_at": 1700000100,
                                            "skip_notifications": true}), &none)
            .await
            .unwrap();
    c.reply_ticket(&ticket_id, &json!({"message_type": "note", "type": "admin", "admin_id": admin_id,
                                            "body": "<p>Attachments of the message</p>", "created_at": 1700000200,
                                            "attachment_files": [{"content_type": "text/plain", "name": "log.txt", "data": "aGVsbG8gd29ybGQ="}],
                                            "skip_notifications": true}), &none)
            .await
            .unwrap();
    c.update_ticket(
        &ticket_id,
        &json!({"ticket_state_id": resolved, "assignee_id": admin_id, "skip_notifications": true}),
    )
    .await
    .unwrap();
    c.tag_ticket(&ticket_id, &json!({"id": tag["id"], "admin_id": admin_id}))
        .await
        .unwrap();
    let read = c.get_ticket(&ticket_id).await.unwrap();
    assert_eq!(read["ticket_state"]["category"], "resolved");
    assert_eq!(read["open"], false);
    assert_eq!(read["created_at"], 1700000000);
    let parts = read["ticket_parts"]["ticket_parts"].as_array().unwrap();
    let summary: Vec<String> = parts
        .iter()
        .map(|p| {
            format!(
                "{}:{}:{}:{}",
                p["part_type"],
                p["author"]["type"],
                p["created_at"],
                p["attachments"].as_array().unwrap().len()
            )
        })
        .collect();
    // Ours, between Intercom's own: the state part of the create, then the state change and
    // the assignment (erratum system-parts).
    assert_eq!(
        summary
            .iter()
            .map(|p| p.split(':').next().unwrap())
            .collect::<Vec<_>>(),
        [
            "\"ticket_state_updated_by_admin\"",
            "\"comment\"",
            "\"note\"",
            "\"ticket_state_updated_by_admin\"",
            "\"assignment\""
        ]
    );
    assert_eq!(summary[1], "\"comment\":\"user\":1700000100:0");
    assert_eq!(summary[2], "\"note\":\"admin\":1700000200:1");
    assert_eq!(
        c.find_ticket(&number_attr, "340385")
            .await
            .unwrap()
            .unwrap()["id"],
        json!(ticket_id)
    );
    let files = sim.state()["files"].clone();
    assert_eq!(files[0]["size"], 11);

    // Undo: ticket, contact, company, tag; the tag could not go while a ticket carried it.
    assert!(c.delete_tag(tag["id"].as_str().unwrap()).await.is_err());
    c.delete_ticket(&ticket_id).await.unwrap();
    c.delete_contact(&alice_id).await.unwrap();
    c.delete_company(&company_id).await.unwrap();
    c.delete_tag(tag["id"].as_str().unwrap()).await.unwrap();
    let err = c.get_ticket(&ticket_id).await.unwrap_err();
    assert_eq!(
        (err.status, err.code()),
        (Some(404), Some("ticket_not_found"))
    );
    let state = sim.state();
    for kind in ["tickets", "contacts", "companies", "tags"] {
        assert_eq!(
            state[kind].as_object().unwrap().len(),
            0,
            "{kind} left behind"
        );
    }
}

#[test]
fn every_endpoint_the_migration_uses_conforms_both_ways() {
    let Some(sim) = Sim::start(&[]) else { return };
    let c = client(&sim, 4);
    runtime().block_on(full_sequence(&c, &sim));
}

/// The same sequence through Stoplight Prism (`prism proxy --errors`): an independent validator
/// of both our requests and the simulator's responses.
#[test]
fn prism_finds_no_violation_in_requests_or_responses() {
    let Some(sim) = Sim::start(&[]) else { return };
    let Some(prism) = Prism::start(&sim.url) else {
        return;
    };
    let c = Client::new(&prism.url, "test-token".into(), 2).unwrap();
    runtime().block_on(async {
        // Prism is really judging: a request missing `contacts` never reaches the simulator.
        let err = c
            .call(
                reqwest::Method::POST,
                "/tickets",
                Some(&json!({"ticket_type_id": "1"})),
            )
            .await
            .unwrap_err();
        assert_eq!(err.status, Some(422), "{err}");
        full_sequence(&c, &sim).await;
    });
    assert_eq!(
        c.stats().violations,
        0,
        "Prism reported: {:?}",
        c.violation_log.lock().unwrap()
    );
}

#[test]
fn malformed_requests_get_intercoms_error_object() {
    let Some(sim) = Sim::start(&[]) else { return };
    let spec = Spec::open(None).unwrap();
    let post = |path: &str, body: Value, version: &str, token: Option<&str>| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut req = reqwest::Client::new()
                .post(format!("{}{path}", sim.url))
                .header("Intercom-Version", version)
                .json(&body);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        })
    };
    let (status, body) = post(
        "/tickets",
        json!({"contacts": [{"external_id": "u"}]}),
        "2.16",
        Some("t"),
    );
    assert_eq!(status, 400);
    assert_eq!(body["type"], "error.list");
    assert_eq!(body["errors"][0]["code"], "parameter_not_found");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ticket_type_id")
    );
    assert!(
        spec.check_response("POST", "/tickets", 401, &body)
            .is_empty(),
        "the error object conforms"
    );
    let (status, body) = post(
        "/tickets/1/reply",
        json!({"message_type": "shout", "type": "admin", "admin_id": "1", "body": "x"}),
        "2.16",
        Some("t"),
    );
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (400, Some("parameter_invalid"))
    );
    let (status, body) = post("/tags", json!({"name": "x"}), "2.16", None);
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, body) = post("/tags", json!({"name": "x"}), "9.9", Some("t"));
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (400, Some("intercom_version_invalid"))
    );
}

/// Creates under a tight rate limit: every contact exactly once, and the client paces from the
/// headers instead of bouncing off the limit.
#[test]
fn a_burst_under_the_rate_limit_creates_everything_once() {
    let Some(sim) = Sim::start(&["--rate-limit", "40/2s"]) else {
        return;
    };
    let c = client(&sim, 8);
    let n = 200;
    runtime().block_on(async {
        let results = futures::future::join_all((0..n).map(|i| {
            let c = &c;
            async move { c.create_contact(&contact(i)).await }
        }))
        .await;
        assert!(
            results.iter().all(Result::is_ok),
            "{:?}",
            results.iter().find(|r| r.is_err())
        );
    });
    let state = sim.state();
    assert_eq!(state["contacts"].as_object().unwrap().len(), n);
    let stats = c.stats();
    // At most one window's worth of 429s over the whole burst (the first answers teach the budget).
    assert!(stats.throttled <= 40, "{stats:?}");
}

/// With a fifth of all requests failing (half of them after the change was applied) and one in
/// twenty connections cut after the change, every contact and ticket still exists exactly once.
#[test]
fn injected_failures_never_duplicate_or_lose_a_create() {
    let Some(sim) = Sim::start(&["--fail-rate", "0.2", "--drop-connections", "0.05"]) else {
        return;
    };
    let c = client(&sim, 6);
    let (contacts, tickets) = (120, 40);
    runtime().block_on(async {
        // Schema first (retried until it lands; creating a tag or reading is safe to repeat).
        let tt = loop {
            if let Ok(existing) = c.list_ticket_types().await
                && let Some(t) = existing["data"].as_array().and_then(|a| a.first().cloned())
            {
                break t;
            }
            let _ = c.create_ticket_type(&json!({"name": "osTicket ticket"})).await;
        };
        let tt_id = tt["id"].as_str().unwrap().to_string();
        let attr = loop {
            let t = c.get_ticket_type(&tt_id).await.unwrap();
            if let Some(a) = live::ticket_type_attributes(&t)
                .iter()
                .find(|a| a["name"] == "osTicket number")
            {
                break a["id"].as_str().unwrap().to_string();
            }
            let _ = c
                .create_ticket_type_attribute(&tt_id, &json!({"name": "osTicket number", "description": "n", "data_type": "string"}))
                .await;
        };
        let made = futures::future::join_all((0..contacts).map(|i| {
            let c = &c;
            async move { c.create_contact(&contact(i)).await }
        }))
        .await;
        assert!(made.iter().all(Result::is_ok), "{:?}", made.iter().find(|r| r.is_err()));
        let made = futures::future::join_all((0..tickets).map(|i| {
            let (c, tt_id, attr) = (&c, &tt_id, &attr);
            async move {
                let number = format!("{}", 100000 + i);
                let payload = json!({"ticket_type_id": tt_id, "contacts": [{"external_id": format!("osticket-user-{i}")}],
                            "ticket_attributes": {"_default_title_": format!("Ticket {i}"), "osTicket number": number}});
                let window = std::time::Duration::from_secs(1);
                let mut made = c.create_ticket(&payload, (attr, &number), window).await?;
                // Parked (a server error before or after the create, searched for a window):
                // what the next load does, a search trusted after the window, then a resend.
                while made.is_none() {
                    made = match c.search_ticket_until(attr, &number, std::time::Instant::now()).await? {
                        Some(t) => Some(t),
                        None => c.create_ticket(&payload, (attr, &number), window).await?,
                    };
                }
                Ok::<_, ostmig::intercom::client::ApiError>(made)
            }
        }))
        .await;
        assert!(made.iter().all(Result::is_ok), "{:?}", made.iter().find(|r| r.is_err()));
    });
    let state = sim.state();
    assert_eq!(state["contacts"].as_object().unwrap().len(), contacts);
    let mut numbers: Vec<String> = state["tickets"]
        .as_object()
        .unwrap()
        .values()
        .map(|t| {
            t["ticket_attributes"]["osTicket number"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), tickets);
    assert_eq!(
        state["tickets"].as_object().unwrap().len(),
        tickets,
        "no ticket twice"
    );
    assert!(c.stats().retries > 0, "faults were injected and retried");
}

/// Benchmark (run by `benches/intercom.sh`, not by `cargo test`): a burst of creates under a
/// rate limit; prints the achieved request rate as a fraction of the limit and checks that
/// every contact exists exactly once.
#[test]
#[ignore = "benchmark: run benches/intercom.sh"]
fn burst_benchmark() {
    let n: usize = std::env::var("OSTMIG_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let rate = std::env::var("OSTMIG_BENCH_RATE").unwrap_or_else(|_| "100/10s".into());
    let fail = std::env::var("OSTMIG_BENCH_FAIL_RATE").unwrap_or_else(|_| "0".into());
    let (limit, window) = ostmig::sim::parse_rate(&rate).unwrap();
    let Some(sim) = Sim::start(&["--rate-limit", &rate, "--fail-rate", &fail]) else {
        return;
    };
    let c = Client::new(&sim.url, "bench-token".into(), 8).unwrap();
    let started = std::time::Instant::now();
    let first_window = chrono::Utc::now().timestamp() / window as i64;
    runtime().block_on(async {
        let results = futures::future::join_all((0..n).map(|i| {
            let c = &c;
            async move { c.create_contact(&contact(i)).await }
        }))
        .await;
        assert!(results.iter().all(Result::is_ok));
    });
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(sim.state()["contacts"].as_object().unwrap().len(), n);
    let stats = c.stats();
    // The ceiling is the budget of every window the run touched (a run starts mid-window).
    let windows = chrono::Utc::now().timestamp() / window as i64 - first_window + 1;
    let ceiling = (limit as i64 * windows) as f64;
    println!(
        "BENCH creates={n} limit={rate} fail_rate={fail} seconds={seconds:.1} requests={} throttled={} retries={} windows={windows} requests_per_min={:.0} fraction_of_limit={:.3}",
        stats.requests,
        stats.throttled,
        stats.retries,
        stats.requests as f64 / seconds * 60.0,
        stats.requests as f64 / ceiling
    );
}

/// `ostmig intercom pull` fetches the seeded admins and teams into the staging file; the token
/// comes from the environment only and is stored nowhere.
#[test]
fn pull_stores_admins_and_teams_without_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("workspace.toml");
    std::fs::write(
        &seed,
        "[[admins]]\nid = \"7001\"\nname = \"Ada Admin\"\nemail = \"ada@acme.example\"\n\n\
         [[admins]]\nid = \"7002\"\nname = \"Kevin Chen\"\nemail = \"kevin.chen@acme.example\"\n\n\
         [[teams]]\nid = \"8001\"\nname = \"Support\"\nadmin_emails = [\"kevin.chen@acme.example\"]\n",
    )
    .unwrap();
    let Some(sim) = Sim::start(&["--seed", seed.to_str().unwrap()]) else {
        return;
    };
    let db = dir.path().join("m.duckdb");
    let args = [
        "intercom",
        "pull",
        "--db",
        db.to_str().unwrap(),
        "--intercom-url",
        &sim.url,
    ];
    let out = ostmig(&args, &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("OSTMIG_INTERCOM_TOKEN"), "{stderr}");
    let secret = "tok-3f9a1c77e2b94d0c";
    let out = ostmig(&args, &[("OSTMIG_INTERCOM_TOKEN", secret)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = duck(&db);
    assert_eq!(
        duck_str(
            &conn,
            "SELECT string_agg(id || '=' || email, ' ' ORDER BY id) FROM raw_intercom.admin"
        )
        .unwrap(),
        "7001=ada@acme.example 7002=kevin.chen@acme.example"
    );
    assert_eq!(
        duck_str(
            &conn,
            "SELECT name || ':' || array_to_string(admin_ids, ',') FROM raw_intercom.team"
        )
        .unwrap(),
        "Support:7002"
    );
    drop(conn);
    let bytes = std::fs::read(&db).unwrap();
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the token must not be stored"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains(secret));
}
