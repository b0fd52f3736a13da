//! How long a ticket takes to open in `ostmig review`: the server's answer, and Debian's
//! headless Chromium loading the page.
//!
//!   review_open OSTMIG DB ROUNDS LABEL=NUMBER[?QUERY] …
//!
//! Prints one line per label with the medians: label, the server's answer (ms), the page's load
//! event (ms after navigation: the first screen framed), every body framed (ms), WebDriver's
//! navigation as the test client sees it (ms), page bytes, lines shown. The labels are measured
//! in a rotated order every round. Run by benches/review.sh.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [ostmig, db, rounds, pages @ ..] = &args[..] else {
        eprintln!("usage: review_open OSTMIG DB ROUNDS LABEL=NUMBER[?QUERY] …");
        std::process::exit(2);
    };
    let rounds: usize = rounds.parse().expect("ROUNDS is a number");
    let pages: Vec<(String, String)> = pages
        .iter()
        .map(|p| {
            let (label, path) = p.split_once('=').expect("LABEL=NUMBER");
            (label.to_string(), path.to_string())
        })
        .collect();
    let mut review = Command::new(ostmig)
        .args([
            "review",
            "--db",
            db,
            "--listen",
            "127.0.0.1:0",
            "--reviewer",
            "bench",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ostmig review starts");
    let mut banner = String::new();
    BufReader::new(review.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    let base = banner.trim().rsplit(' ').next().unwrap().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut driver = Command::new("/usr/bin/chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts (apt-get install chromium-driver)");
    let profile = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let results = rt.block_on(async {
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
                         format!("--user-data-dir={}", profile.path().display())],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        let http = reqwest::Client::new();
        let mut server = vec![Vec::new(); pages.len()];
        let mut browser = vec![Vec::new(); pages.len()];
        let mut sizes = vec![(0usize, 0usize); pages.len()];
        // One unmeasured pass: DuckDB's and Chromium's first-use costs are not a ticket's.
        for round in 0..=rounds {
            for k in 0..pages.len() {
                let i = (k + round) % pages.len();
                let url = format!("{base}/ticket/{}", pages[i].1);
                let started = Instant::now();
                let body = http.get(&url).send().await.unwrap().text().await.unwrap();
                let served = started.elapsed().as_secs_f64() * 1000.0;
                let started = Instant::now();
                client.goto(&url).await.unwrap();
                let opened = started.elapsed().as_secs_f64() * 1000.0;
                // What the reader waits for: the page's load event (the first screen's bodies in
                // their frames), and every body framed (the page's script makes the rest).
                let load = client
                    .execute(
                        "return performance.getEntriesByType('navigation')[0].loadEventEnd",
                        vec![],
                    )
                    .await
                    .unwrap()
                    .as_f64()
                    .unwrap();
                let complete = loop {
                    let left = client
                        .execute(
                            "return [document.querySelectorAll('div.body.pending').length, performance.now()]",
                            vec![],
                        )
                        .await
                        .unwrap();
                    if left[0].as_u64() == Some(0) {
                        break left[1].as_f64().unwrap();
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                };
                let lines = client
                    .find_all(Locator::Css("li.line"))
                    .await
                    .unwrap()
                    .len();
                if round > 0 {
                    server[i].push(served);
                    browser[i].push((opened, load, complete));
                }
                sizes[i] = (body.len(), lines);
            }
        }
        client.close().await.unwrap();
        (server, browser, sizes)
    });
    for child in [&mut driver, &mut review] {
        let _ = child.kill();
        let _ = child.wait();
    }
    let (server, browser, sizes) = results;
    for (i, (label, _)) in pages.iter().enumerate() {
        let of = |f: fn(&(f64, f64, f64)) -> f64| median(browser[i].iter().map(f).collect());
        println!(
            "{label} {:.1} {:.1} {:.1} {:.1} {} {}",
            median(server[i].clone()),
            of(|b| b.1),
            of(|b| b.2),
            of(|b| b.0),
            sizes[i].0,
            sizes[i].1
        );
    }
}
