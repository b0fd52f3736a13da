//! The no-database fallback: split saved staff ticket pages (`scp/tickets.php?id=N`) into parts.
//!
//! Markup facts (`../shared/research/osticket.md` §4): every version 1.14–1.18 renders
//! `div#thread-entry-{id} > div.thread-entry.{message|response|note|system}`, the poster in the
//! header's `<b>`, `time[datetime]` in UTC, and the body in `div.thread-body > div`. Versions
//! differ only in the wrapper's style and a stray `</span>` (1.14–1.16.1), which an HTML5 parser
//! absorbs. Words like "posted" and "Edited" are translated, so nothing here anchors on text.
//! Pages are small and few, so a DOM parser (scraper) is used here; bodies still go through the
//! streaming cleaner like database bodies.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::NaiveDateTime;
use regex::Regex;
use scraper::{ElementRef, Html, Selector};

/// One thread entry as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct PageEntry {
    pub entry_id: i64,
    /// message | response | note | system (the page's class; `system` hides M/N).
    pub class: String,
    pub poster: String,
    pub created_at: NaiveDateTime,
    pub edited: bool,
    pub title: Option<String>,
    pub text_format: bool,
    /// Body HTML with inline images pointed back at `cid:<key>`.
    pub body: String,
    /// (attachment id from the download link, file name)
    pub attachments: Vec<(Option<i64>, String)>,
    /// Inline images: lower-cased key → (attachment id, file name)
    pub images: HashMap<String, (Option<i64>, String)>,
    /// Where the page downloads each of its files (attachments and inline images), for
    /// `snapshot --pages` to fetch them.
    pub links: Vec<PageLink>,
}

/// A file the page links to: its attachment id (from the link), name and URL as written.
#[derive(Debug, Clone, PartialEq)]
pub struct PageLink {
    pub attachment_id: Option<i64>,
    pub name: String,
    pub href: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub ticket_id: i64,
    pub number: Option<String>,
    pub entries: Vec<PageEntry>,
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("static selector")
}

static ENTRY: LazyLock<Selector> =
    LazyLock::new(|| sel(r#"div[id^="thread-entry-"] > div.thread-entry"#));
static POSTER: LazyLock<Selector> = LazyLock::new(|| sel("div.header > b"));
static TIME: LazyLock<Selector> = LazyLock::new(|| sel("div.header time[datetime]"));
static TITLE: LazyLock<Selector> = LazyLock::new(|| sel("div.header span.title"));
static EDITED: LazyLock<Selector> =
    LazyLock::new(|| sel("div.header span.textra span.label[title]"));
static BODY: LazyLock<Selector> = LazyLock::new(|| sel("div.thread-body > div"));
static FILES: LazyLock<Selector> =
    LazyLock::new(|| sel("div.thread-body div.attachments a.filename"));
static TICKET_LINK: LazyLock<Selector> = LazyLock::new(|| sel(r#"a[href*="tickets.php?id="]"#));
static PAGE_TITLE: LazyLock<Selector> = LazyLock::new(|| sel("title"));
static SCRIPT: LazyLock<Selector> = LazyLock::new(|| sel("script"));

static TICKET_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"tickets\.php\?id=(\d+)").unwrap());
static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"#\s*([0-9A-Za-z-]+)").unwrap());
static LINK_ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[?&]id=(\d+)").unwrap());
static IMAGE_URLS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)data\('imageUrls',\s*(\{.*?\})\);").unwrap());
static IMG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<img\b[^>]*>").unwrap());
static DATA_CID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"\bdata-cid="([^"]+)""#).unwrap());
static SRC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"\bsrc="[^"]*""#).unwrap());

/// Parse a saved staff ticket page; `None` when it is not one (no thread entries, no ticket id).
pub fn parse_page(html: &str) -> Option<Page> {
    let doc = Html::parse_document(html);
    let ticket_id = doc
        .select(&TICKET_LINK)
        .filter_map(|a| a.value().attr("href"))
        .find_map(|h| TICKET_ID.captures(h)?[1].parse().ok())?;
    let number = doc.select(&PAGE_TITLE).next().and_then(|t| {
        NUMBER
            .captures(&t.text().collect::<String>())
            .map(|c| c[1].to_string())
    });
    // File names of inline images, from the script that registers them for the image viewer.
    let mut image_names: HashMap<String, (Option<i64>, String, String)> = HashMap::new();
    for script in doc.select(&SCRIPT) {
        let code: String = script.text().collect();
        for c in IMAGE_URLS.captures_iter(&code) {
            if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&c[1]) {
                for (key, v) in map {
                    let url = v["download_url"].as_str().unwrap_or_default();
                    let id = LINK_ID.captures(url).and_then(|c| c[1].parse().ok());
                    let name = v["filename"].as_str().unwrap_or_default().to_string();
                    image_names.insert(key.to_ascii_lowercase(), (id, name, url.to_string()));
                }
            }
        }
    }
    let mut entries = Vec::new();
    for el in doc.select(&ENTRY) {
        if let Some(e) = entry(el, &image_names) {
            entries.push(e);
        }
    }
    if entries.is_empty() {
        return None;
    }
    // Agents may prefer newest first; conversation order is (created, id) either way.
    entries.sort_by_key(|e| (e.created_at, e.entry_id));
    Some(Page {
        ticket_id,
        number,
        entries,
    })
}

fn entry(
    el: ElementRef,
    image_names: &HashMap<String, (Option<i64>, String, String)>,
) -> Option<PageEntry> {
    let wrapper = el.parent().and_then(ElementRef::wrap)?;
    let entry_id = wrapper
        .value()
        .id()?
        .strip_prefix("thread-entry-")?
        .parse()
        .ok()?;
    let class = ["message", "response", "note", "system"]
        .into_iter()
        .find(|c| {
            el.value()
                .has_class(c, scraper::CaseSensitivity::AsciiCaseInsensitive)
        })?
        .to_string();
    let poster = el
        .select(&POSTER)
        .next()
        .map(|b| b.text().collect::<String>().trim().to_string())
        .unwrap_or_default();
    let created_at = el
        .select(&TIME)
        .next()
        .and_then(|t| t.value().attr("datetime"))
        .and_then(|d| chrono::DateTime::parse_from_rfc3339(d.trim()).ok())?
        .naive_utc();
    let title = el
        .select(&TITLE)
        .next()
        .map(|t| t.text().collect::<String>().trim().to_string())
        .filter(|t| !t.is_empty());
    // The "Edited" label carries a title and words; the merged-child label ("Ticket #N") carries
    // a title and only an icon.
    let edited = el
        .select(&EDITED)
        .any(|l| !l.text().collect::<String>().trim().is_empty());
    let body_el = el.select(&BODY).next()?;
    // Text bodies render as one escaped `<div style="white-space:pre-wrap">`.
    let pre_wrap = body_el.children().filter_map(ElementRef::wrap).find(|c| {
        c.value().name() == "div"
            && c.value()
                .attr("style")
                .is_some_and(|s| s.contains("pre-wrap"))
    });
    let (text_format, inner) = match pre_wrap {
        Some(pre) => (true, pre.inner_html()),
        None => (false, body_el.inner_html()),
    };
    let mut images = HashMap::new();
    let mut links = Vec::new();
    // Rendering turned `cid:KEY` into a signed, expiring file.php URL plus data-cid="KEY";
    // point the image back at its key so it resolves like a database body.
    let body = IMG
        .replace_all(&inner, |c: &regex::Captures| {
            let tag = &c[0];
            let Some(cid) = DATA_CID.captures(tag).map(|k| k[1].to_string()) else {
                return tag.to_string();
            };
            let key = cid.to_ascii_lowercase();
            let (id, name, url) =
                image_names
                    .get(&key)
                    .cloned()
                    .unwrap_or((None, String::new(), String::new()));
            if !url.is_empty() {
                links.push(PageLink {
                    attachment_id: id,
                    name: name.clone(),
                    href: url,
                });
            }
            images.insert(key, (id, name));
            SRC.replace(tag, format!(r#"src="cid:{cid}""#).as_str())
                .into_owned()
        })
        .into_owned();
    let attachments = el
        .select(&FILES)
        .map(|a| {
            let href = a.value().attr("href");
            let id = href.and_then(|h| LINK_ID.captures(h)?[1].parse().ok());
            let name = a.text().collect::<String>().trim().to_string();
            if let Some(href) = href {
                links.push(PageLink {
                    attachment_id: id,
                    name: name.clone(),
                    href: href.to_string(),
                });
            }
            (id, name)
        })
        .collect();
    Some(PageEntry {
        entry_id,
        class,
        poster,
        created_at,
        edited,
        title,
        text_format,
        body,
        attachments,
        images,
        links,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The staff entry template of each markup generation (facts §4.3), filled in by hand.
    fn page(version_wrapper_style: &str, stray_span: bool) -> String {
        let title_close = if stray_span {
            "</span>\n        </span>"
        } else {
            "\n        </span>"
        };
        let entry = |id: u32, class: &str, who: &str, at: &str, body: &str, extra: &str| {
            format!(
                r##"<div id="thread-entry-{id}"><div class="thread-entry {class} avatar"{version_wrapper_style}>
  <span class="pull-left avatar"><img class="avatar" alt="Avatar" src="avatar.png" /></span>
  <div class="header">
    <div class="pull-right">
      <span class="textra light">{extra}</span>
    </div>
<b>{who}</b> posted <a name="entry-{id}" href="#entry-{id}"><time datetime="{at}" data-toggle="tooltip" title="x">x</time></a>
        <span style="max-width:400px" class="faded title truncate">Re: Printer{title_close}
  </div>
  <div class="thread-body no-pjax">
    <div>{body}</div>
    <div class="clear"></div>
  </div>
</div></div>"##
            )
        };
        format!(
            r#"<!DOCTYPE html><html><head><title>Ticket #100042</title></head><body>
<a href="tickets.php?id=42&a=print">Print</a>
<div id="ticketThread"><div id="thread-items" data-thread-id="42">{}{}<div class="thread-event action"><span class="faded description">Assigned <time datetime="2025-01-01T10:00:00+00:00">x</time></span></div>{}</div></div>
<script>$('#ticketThread').data('imageUrls', {{"abcdefabcdefabcdefabcdefabcdef12":{{"download_url":"\/file.php?key=abc&id=9","filename":"shot.png"}}}});</script>
</body></html>"#,
            entry(
                11,
                "message",
                "Jürgen Groß",
                "2025-01-01T09:30:00+00:00",
                r#"<p>Printer shows <b>0x80</b>. <img src="/file.php?key=abc&amp;expires=1" data-cid="ABCDEFabcdefabcdefabcdefabcdef12" alt="image" /></p>"#,
                r#"<span data-toggle="tooltip" title="Ticket #100041" class="label label-bare"><i class="icon-code-fork"></i></span>"#
            ),
            entry(
                12,
                "response",
                "Kevin Chen",
                "2025-01-01T11:00:00+00:00",
                r#"<div style="white-space:pre-wrap">Hello Jürgen,
we &lt;replaced&gt; the toner.</div>"#,
                r#"<span class="label label-bare" title="Edited on 1/1/25 by Kevin Chen">Edited</span>"#
            ),
            entry(
                13,
                "note",
                "Kevin Chen",
                "2025-01-01T11:05:00+00:00",
                "<p>Internal: billed.</p>",
                ""
            ),
        )
    }

    #[test]
    fn every_markup_generation_parses_the_same() {
        let variants = [
            ("", true),                                             // 1.14–1.15.6, 1.16.0–1.16.1
            ("", false),                              // 1.15.7+, 1.16.2–1.16.3, 1.17.0
            (r#" style="position:relative""#, false), // 1.16.4–1.16.6, 1.17.1–1.17.3
            (r#" style="position:relative;z-index:auto;""#, false), // 1.17.4+, 1.18.x
        ];
        let parsed: Vec<Page> = variants
            .iter()
            .map(|(style, stray)| parse_page(&page(style, *stray)).expect("a ticket page"))
            .collect();
        for p in &parsed[1..] {
            assert_eq!(p, &parsed[0]);
        }
        let p = &parsed[0];
        assert_eq!(p.ticket_id, 42);
        assert_eq!(p.number.as_deref(), Some("100042"));
        let ids: Vec<i64> = p.entries.iter().map(|e| e.entry_id).collect();
        assert_eq!(ids, vec![11, 12, 13]);
        let e = &p.entries[0];
        assert_eq!(
            (e.class.as_str(), e.poster.as_str()),
            ("message", "Jürgen Groß")
        );
        assert_eq!(e.created_at.to_string(), "2025-01-01 09:30:00");
        assert!(
            e.body
                .contains(r#"src="cid:ABCDEFabcdefabcdefabcdefabcdef12""#),
            "{}",
            e.body
        );
        assert_eq!(
            e.images.get("abcdefabcdefabcdefabcdefabcdef12"),
            Some(&(Some(9), "shot.png".to_string()))
        );
        assert_eq!(e.title.as_deref(), Some("Re: Printer"));
        assert!(!e.edited, "a merged-child label is not an edit mark");
        let r = &p.entries[1];
        assert!(r.edited && r.text_format);
        assert!(r.body.contains("&lt;replaced&gt;"));
        assert_eq!(p.entries[2].class, "note");
    }

    #[test]
    fn pages_without_a_thread_are_not_tickets() {
        assert!(parse_page("<html><body><a href='tickets.php?id=1'>x</a></body></html>").is_none());
        assert!(parse_page("<html><body>queue</body></html>").is_none());
    }
}
