//! The body cleaner: one osTicket entry body in, Intercom's HTML subset out.
//!
//! HTML is streamed through lol_html element by element (no DOM): allowed elements keep only
//! their safe attributes, containers are unwrapped into line breaks, and dangerous elements go
//! with their content. Facts behind the rules: `../shared/research/osticket.md` §3.
//!
//! Intercom renders paragraphs, line breaks, bold/italic/underline, links, lists, code/pre,
//! headings and images; everything else is unwrapped so its text survives.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::LazyLock;

use lol_html::html_content::{ContentType, Element};
use lol_html::{
    ElementContentHandlers, HandlerResult, HtmlRewriter, LocalHandlerTypes, Selector, Settings,
    doc_comments, doc_text, doctype, end, end_tag,
};
use memchr::memmem;
use regex::Regex;

/// Elements Intercom renders; they stay, with only the attributes [`keep_attribute`] allows.
const KEPT: &[&str] = &[
    "p", "br", "b", "strong", "i", "em", "u", "a", "ul", "ol", "li", "code", "pre", "h1", "h2",
    "h3", "h4", "h5", "h6", "img",
];

/// Kept elements whose missing end tag would spill formatting over the rest of the body.
const BALANCED: &[&str] = &[
    "b", "strong", "i", "em", "u", "a", "ul", "ol", "code", "pre", "h1", "h2", "h3", "h4", "h5",
    "h6",
];

/// Removed together with everything inside them: never text a reader should see.
const DROPPED: &[&str] = &[
    "script", "style", "head", "title", "meta", "link", "base", "noscript", "iframe", "frame",
    "frameset", "object", "embed", "applet", "svg", "math", "template", "form", "input", "button",
    "select", "textarea", "option", "xml", "audio", "video", "canvas",
];

/// Unwrapped containers that end a line in the source layout.
const BLOCKS: &[&str] = &[
    "div",
    "table",
    "tr",
    "blockquote",
    "section",
    "article",
    "header",
    "footer",
    "center",
    "address",
    "dl",
    "dt",
    "dd",
    "caption",
    "figure",
    "figcaption",
    "fieldset",
    "main",
    "nav",
    "aside",
    "tbody",
    "thead",
    "tfoot",
];

/// Inline images the body may reference as `cid:<file.key>`, keyed by the lower-cased key
/// (osTicket's key column has a case-insensitive collation).
pub type InlineFiles = HashMap<String, InlineFile>;

#[derive(Clone, Debug)]
pub struct InlineFile {
    pub file_id: i64,
    pub name: String,
}

/// An image pasted into a body as a `data:` URI. Intercom shows no `data:` image (and its
/// sanitizer drops them), so it travels as a file of its part like any attachment.
#[derive(Debug, Clone, PartialEq)]
pub struct DataImage {
    /// `image-<n>.<ext>`, n counting the entry's pasted images from 1.
    pub name: String,
    pub mime_type: String,
    pub data: Vec<u8>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Cleaned {
    pub html: String,
    pub text: String,
    /// Mail history cut from the end of the body, cleaned the same way; never dropped.
    pub quoted_html: Option<String>,
    /// `file.id`s of inline images the body referenced and that resolved.
    pub resolved: Vec<i64>,
    /// `cid:` keys that matched no attachment of the entry.
    pub unresolved: Vec<String>,
    /// Images pasted into the body as `data:` URIs, decoded, in the order they appear; each
    /// one's place in the text is the marker `[image: <name>]`.
    pub images: Vec<DataImage>,
    /// Problem codes, sorted and unique (see README, "Problem codes").
    pub problems: Vec<&'static str>,
}

impl Cleaned {
    fn problem(&mut self, code: &'static str) {
        if !self.problems.contains(&code) {
            self.problems.push(code);
        }
    }
}

/// Source body format (`thread_entry.format`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Format {
    Html,
    Text,
}

/// Clean one body: separate quoted history, sanitise, and derive plain text.
pub fn clean_body(body: &str, format: Format, separator: &str, files: &InlineFiles) -> Cleaned {
    let mut out = match format {
        Format::Html => clean_html_body(body, separator, files),
        Format::Text => clean_text_body(body, separator),
    };
    if out.text.trim().is_empty()
        && out.resolved.is_empty()
        && out.images.is_empty()
        && has_content(body)
    {
        out.problem("empty_after_cleaning");
    }
    out.problems.sort_unstable();
    out
}

fn has_content(body: &str) -> bool {
    let t = body.trim();
    !t.is_empty() && t != "-"
}

fn clean_html_body(body: &str, separator: &str, files: &InlineFiles) -> Cleaned {
    let mut out = Cleaned::default();
    // osTicket strips quoted history by exploding the raw body on the separator text, before
    // sanitising (`ThreadEntryBody::stripQuotedReply`); do the same with what it left behind.
    let (own, quoted) = match find_separator(body, separator) {
        Some(at) => (&body[..at], Some(&body[at + separator.len()..])),
        None => (body, None),
    };
    // Only the rewriter marks blockquotes; a body already in the subset has none to look for.
    let (mut own, marked) = match already_simple(own) {
        Some(simple) => (simple, false),
        None => (rewrite(&[own.as_bytes()], files, &mut out), true),
    };
    let mut quoted = quoted
        .map(|q| sanitize_str(q, files, &mut out))
        .filter(|q| !html_to_text(q).trim().is_empty());
    if quoted.is_none()
        && marked
        && let Some((kept, cut)) = split_trailing_quote(&own)
    {
        own = kept;
        quoted = Some(cut);
    }
    let own = if marked {
        strip_markers(own)
    } else {
        without_edge_breaks(own)
    };
    out.text = html_to_text(&with_link_targets(&own));
    out.html = own;
    out.quoted_html = quoted.map(strip_markers);
    out
}

static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?s)<a href="([^"]*)"[^>]*>(.*?)</a>"#).unwrap());

/// The HTML with each link's target written after its text (`text (url)`), for the plain text:
/// the description of a ticket is plain, and a link's URL is often the message's point.
fn with_link_targets(html: &str) -> Cow<'_, str> {
    if !html.contains("<a href=\"") {
        return Cow::Borrowed(html);
    }
    LINK.replace_all(html, |c: &regex::Captures| {
        let (href, inner) = (&c[1], &c[2]);
        let url = html_escape::decode_html_entities(href);
        let shown = html_to_text(inner);
        let bare = url.strip_prefix("mailto:").unwrap_or(&url);
        if shown.trim() == url || shown.trim() == bare {
            inner.to_string()
        } else {
            format!("{inner} ({href})")
        }
    })
}

/// Where the reply separator starts in `body`. Every body of a split is searched for the same
/// separator: its searcher is built once per thread, not once per body.
fn find_separator(body: &str, separator: &str) -> Option<usize> {
    thread_local! {
        static FINDER: RefCell<Option<(String, memmem::Finder<'static>)>> = const { RefCell::new(None) };
    }
    if separator.is_empty() {
        return None;
    }
    FINDER.with_borrow_mut(|cached| {
        if cached.as_ref().is_none_or(|(s, _)| s != separator) {
            *cached = Some((
                separator.to_string(),
                memmem::Finder::new(separator.as_bytes()).into_owned(),
            ));
        }
        cached.as_ref().and_then(|(_, f)| f.find(body.as_bytes()))
    })
}

fn clean_text_body(body: &str, separator: &str) -> Cleaned {
    let mut out = Cleaned::default();
    // Text bodies are stored HTML-escaped (`TextThreadEntryBody::getClean`).
    let decoded = html_escape::decode_html_entities(body);
    let decoded = if decoded.contains('\r') {
        Cow::Owned(decoded.replace("\r\n", "\n"))
    } else {
        decoded
    };
    let (mut own, mut quoted) = match find_separator(&decoded, separator) {
        Some(at) => (
            Cow::Owned(decoded[..at].to_string()),
            Some(decoded[at + separator.len()..].to_string()),
        ),
        None => (decoded, None),
    };
    if quoted.is_none() && (own.starts_with('>') || own.contains("\n>")) {
        // A trailing run of "> " lines, optionally introduced by "On … wrote:", is mail history.
        let lines: Vec<&str> = own.lines().collect();
        let mut start = lines.len();
        while start > 0 && (lines[start - 1].starts_with('>') || lines[start - 1].trim().is_empty())
        {
            start -= 1;
        }
        if start < lines.len() && lines[start..].iter().any(|l| l.starts_with('>')) {
            if start > 0 && WROTE.is_match(lines[start - 1]) {
                start -= 1;
            }
            if lines[..start].iter().any(|l| !l.trim().is_empty()) {
                quoted = Some(lines[start..].join("\n"));
                own = Cow::Owned(lines[..start].join("\n"));
            }
        }
    }
    out.text = own.trim().to_string();
    out.html = text_to_html(&own);
    out.quoted_html = quoted
        .filter(|q| !q.trim().is_empty())
        .map(|q| text_to_html(&q));
    out
}

/// Plain text to paragraphs: blank lines separate paragraphs, single newlines become `<br>`.
pub fn text_to_html(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 16);
    let text = text.trim();
    if memchr::memchr(b'\n', text.as_bytes()).is_none() {
        // One line (most short replies): one paragraph, no paragraph search.
        if !text.is_empty() {
            html.push_str("<p>");
            html.push_str(&html_escape::encode_text(text));
            html.push_str("</p>");
        }
        return html;
    }
    for para in PARAGRAPH_BREAK.split(text) {
        if para.trim().is_empty() {
            continue;
        }
        html.push_str("<p>");
        for (i, line) in para.trim_matches('\n').lines().enumerate() {
            if i > 0 {
                html.push_str("<br>");
            }
            html.push_str(&html_escape::encode_text(line.trim_end()));
        }
        html.push_str("</p>");
    }
    html
}

static PARAGRAPH_BREAK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\n[ \t]*\n\s*").unwrap());
static WROTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(on\b.{4,200}\bwrote:|am\b.{4,200}\bschrieb\b.*:|le\b.{4,200}\ba écrit\s*:|el\b.{4,200}\bescribió:)\s*$")
        .unwrap()
});

/// Parsed once: lol_html's `element!` macro would parse the selector for every body.
static ALL_ELEMENTS: LazyLock<Selector> = LazyLock::new(|| "*".parse().expect("valid selector"));

/// Gives the element handler closure its argument type (what `element!` does internally).
fn on_element<'h, T>(handler: T) -> T
where
    T: FnMut(&mut Element<'_, '_, LocalHandlerTypes>) -> HandlerResult + 'h,
{
    handler
}

const QUOTE_OPEN: &str = "<!--ostmig:quote-->";
const QUOTE_CLOSE: &str = "<!--ostmig:/quote-->";

/// [`sanitize`] for one string: bodies already in Intercom's subset take the short way.
fn sanitize_str(html: &str, files: &InlineFiles, out: &mut Cleaned) -> String {
    match already_simple(html) {
        Some(simple) => simple,
        None => rewrite(&[html.as_bytes()], files, out),
    }
}

/// Sanitise HTML given as chunks; the result does not depend on where the chunks break.
pub fn sanitize(chunks: &[&[u8]], files: &InlineFiles, out: &mut Cleaned) -> String {
    if let [only] = chunks
        && let Ok(text) = std::str::from_utf8(only)
        && let Some(simple) = already_simple(text)
    {
        return simple;
    }
    rewrite(chunks, files, out)
}

/// The long way of [`sanitize`]: every element through lol_html.
fn rewrite(chunks: &[&[u8]], files: &InlineFiles, out: &mut Cleaned) -> String {
    let mut html = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum::<usize>());
    let quote_depth: Rc<RefCell<u32>> = Rc::default();
    let found: RefCell<Found> = RefCell::default();
    // Pasted images are numbered across the entry (its own text and its quoted history).
    let images_before = out.images.len();
    let result = {
        let settings = Settings::new()
            .append_element_content_handler((
                Cow::Borrowed(&*ALL_ELEMENTS),
                ElementContentHandlers::default().element(on_element(|el| {
                    if restructure(el, &quote_depth, &found) {
                        return Ok(());
                    }
                    keep_attributes(el, files, &found, images_before)
                })),
            ))
            .append_document_content_handler(doc_text!(|t| {
                // Source text is passed through raw; a bare `<` in it could join with what
                // follows a removed element into a new tag (`<<script></script>img onerror=…>`).
                let raw = t.as_str();
                if raw.contains(['<', '>']) {
                    let escaped = raw.replace('<', "&lt;").replace('>', "&gt;");
                    t.replace(&escaped, ContentType::Html);
                }
                Ok(())
            }))
            .append_document_content_handler(doc_comments!(|c| {
                c.remove();
                Ok(())
            }))
            .append_document_content_handler(doctype!(|d| {
                d.remove();
                Ok(())
            }))
            .append_document_content_handler(end!(|end| {
                if *quote_depth.borrow() > 0 {
                    end.append(QUOTE_CLOSE, ContentType::Html);
                }
                Ok(())
            }));

        let mut rewriter = HtmlRewriter::new(settings, |c: &[u8]| html.extend_from_slice(c));
        let mut r = Ok(());
        for chunk in chunks {
            if let Err(e) = rewriter.write(chunk) {
                r = Err(e);
                break;
            }
        }
        r.and_then(|()| rewriter.end())
    };
    let Found {
        resolved,
        unresolved,
        problems,
        images,
    } = found.into_inner();
    out.resolved.extend(resolved);
    out.images.extend(images);
    for key in unresolved {
        out.problem("unresolved_cid");
        out.unresolved.push(key);
    }
    for p in problems {
        out.problem(p);
    }
    match result {
        Ok(()) => finish(&String::from_utf8_lossy(&html)),
        Err(_) => {
            // lol_html refuses only input it cannot tokenise unambiguously; keep the text.
            out.problem("malformed_html");
            let raw: Vec<u8> = chunks.concat();
            text_to_html(&TAG.replace_all(&String::from_utf8_lossy(&raw), " "))
        }
    }
}

type El<'r, 't> = Element<'r, 't, LocalHandlerTypes>;

/// What an element becomes in Intercom's subset by its name alone: dropped (with its content),
/// a quote marker, a line break, a gap after a block, or unwrapped. True when that settled it;
/// false for a kept element, whose attributes [`keep_attributes`] then judges.
fn restructure(el: &mut El, quote_depth: &Rc<RefCell<u32>>, found: &RefCell<Found>) -> bool {
    let name = el.tag_name();
    if DROPPED.contains(&name.as_str()) || is_hidden(el.get_attribute("style")) {
        if name == "script" || name == "iframe" || name == "object" {
            found.borrow_mut().problems.push("removed_active_content");
        }
        el.remove();
        return true;
    }
    if name == "blockquote" {
        let top = *quote_depth.borrow() == 0;
        *quote_depth.borrow_mut() += 1;
        if top {
            el.before(QUOTE_OPEN, ContentType::Html);
        }
        let depth = quote_depth.clone();
        if let Some(handlers) = el.end_tag_handlers() {
            handlers.push(end_tag!(move |end| {
                let mut d = depth.borrow_mut();
                *d = d.saturating_sub(1);
                end.after("<br>", ContentType::Html);
                if *d == 0 {
                    end.after(QUOTE_CLOSE, ContentType::Html);
                }
                Ok(())
            }));
        }
        el.remove_and_keep_content();
        return true;
    }
    if name == "br" || name == "hr" {
        el.replace("<br>", ContentType::Html);
        return true;
    }
    if BLOCKS.contains(&name.as_str()) || name == "td" || name == "th" {
        let gap = if name == "td" || name == "th" {
            " "
        } else {
            "<br>"
        };
        if let Some(handlers) = el.end_tag_handlers() {
            handlers.push(end_tag!(move |end| {
                end.after(gap, ContentType::Html);
                Ok(())
            }));
        }
        el.remove_and_keep_content();
        return true;
    }
    if !KEPT.contains(&name.as_str()) {
        el.remove_and_keep_content();
        return true;
    }
    false
}

/// A kept element's attributes: each kept, dropped or rewritten ([`keep_attribute`]); an image
/// resolved to a file or pasted as data: becomes a marker naming the file.
fn keep_attributes(
    el: &mut El,
    files: &InlineFiles,
    found: &RefCell<Found>,
    images_before: usize,
) -> HandlerResult {
    let name = el.tag_name();
    let names: Vec<String> = el.attributes().iter().map(|a| a.name()).collect();
    for attr in names {
        let value = el.get_attribute(&attr).unwrap_or_default();
        match keep_attribute(&name, &attr, &value, files) {
            Keep::Yes => {}
            Keep::No => el.remove_attribute(&attr),
            Keep::Rewrite(v) => {
                el.set_attribute(&attr, &v)?;
            }
            Keep::Resolved(file_id, name) => {
                // Intercom cannot show an image it has no URL for: the file
                // travels as an attachment, and its place in the text names it.
                found.borrow_mut().resolved.push(file_id);
                el.replace(&format!("[image: {name}]"), ContentType::Text);
                return Ok(());
            }
            Keep::Pasted(mime_type, data) => {
                let mut f = found.borrow_mut();
                let n = images_before + f.images.len() + 1;
                let ext = mime_type.rsplit('/').next().unwrap_or("bin");
                let ext = if ext == "jpeg" { "jpg" } else { ext };
                let name = format!("image-{n}.{ext}");
                el.replace(&format!("[image: {name}]"), ContentType::Text);
                f.images.push(DataImage {
                    name,
                    mime_type,
                    data,
                });
                return Ok(());
            }
            Keep::BadPaste => {
                found.borrow_mut().problems.push("undecodable_data_image");
                el.replace("[image missing]", ContentType::Text);
                return Ok(());
            }
            Keep::Unresolved(key) => {
                found.borrow_mut().unresolved.push(key);
                el.replace("[image missing]", ContentType::Text);
                return Ok(());
            }
            Keep::DropElement => {
                el.remove();
                return Ok(());
            }
            Keep::Unwrap => {
                el.remove_and_keep_content();
                return Ok(());
            }
        }
    }
    if name == "a" && !el.has_attribute("href") {
        el.remove_and_keep_content();
        return Ok(());
    }
    if name == "img" && !el.has_attribute("src") {
        el.remove();
        return Ok(());
    }
    Ok(())
}

static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)<[^>]*>").unwrap());

fn is_hidden(style: Option<String>) -> bool {
    style.is_some_and(|s| {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        s.contains("display:none") || s.contains("visibility:hidden")
    })
}

/// What the rewriter found in one body, folded into [`Cleaned`] at the end.
#[derive(Default)]
struct Found {
    resolved: Vec<i64>,
    unresolved: Vec<String>,
    problems: Vec<&'static str>,
    images: Vec<DataImage>,
}

enum Keep {
    Yes,
    No,
    Rewrite(String),
    Resolved(i64, String),
    /// A pasted `data:` image, decoded: (mime type, bytes).
    Pasted(String, Vec<u8>),
    /// A `data:` image whose bytes do not decode.
    BadPaste,
    Unresolved(String),
    DropElement,
    Unwrap,
}

/// The image types a pasted `data:` image may have (others, `image/svg+xml` above all, can
/// carry script and are dropped).
const PASTED_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// A `data:<mime>;base64,<bytes>` image decoded; `%`-escapes and whitespace in the payload
/// (mail clients wrap long lines) are tolerated.
fn pasted(mime_type: &str, uri: &str) -> Keep {
    use base64::Engine;
    let Some((head, payload)) = uri.split_once(',') else {
        return Keep::BadPaste;
    };
    if !head.to_ascii_lowercase().ends_with(";base64") {
        return Keep::BadPaste;
    }
    let payload: String = percent_encoding::percent_decode_str(payload)
        .decode_utf8_lossy()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    match engine.decode(payload.as_bytes()) {
        Ok(data) if !data.is_empty() => Keep::Pasted(mime_type.to_string(), data),
        _ => Keep::BadPaste,
    }
}

/// A kept URL as one token: no whitespace inside (a mail client's wrapped link, a typo), as a
/// browser reads it — tab and line breaks dropped, other whitespace percent-encoded — so no
/// reader (Intercom's sanitizer above all) splits it into several attributes.
fn url_kept(value: &str) -> Keep {
    let v = value.trim();
    if !v.chars().any(char::is_whitespace) {
        return Keep::Yes;
    }
    let mut out = String::with_capacity(v.len() + 8);
    for c in v.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')) {
        if c.is_whitespace() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    Keep::Rewrite(out)
}

fn keep_attribute(element: &str, attr: &str, value: &str, files: &InlineFiles) -> Keep {
    match (element, attr) {
        ("a", "href") => {
            let v = value.trim();
            let lower = v.to_ascii_lowercase();
            if ["http://", "https://", "mailto:", "tel:"]
                .iter()
                .any(|s| lower.starts_with(s))
            {
                url_kept(value)
            } else {
                // javascript:, data:, relative links into the old helpdesk: keep the text only.
                Keep::Unwrap
            }
        }
        ("img", "src") => {
            let v = value.trim();
            let lower = v.to_ascii_lowercase();
            if let Some(key) = lower.strip_prefix("cid:") {
                match files.get(key.trim()) {
                    Some(f) => Keep::Resolved(f.file_id, f.name.clone()),
                    None => Keep::Unresolved(v[4..].trim().to_string()),
                }
            } else if let Some(image) = PASTED_TYPES.iter().find(|t| {
                lower
                    .strip_prefix("data:")
                    .is_some_and(|rest| rest.starts_with(*t))
            }) {
                pasted(image, v)
            } else if ["https://", "http://"].iter().any(|p| lower.starts_with(p)) {
                url_kept(value)
            } else {
                Keep::DropElement
            }
        }
        ("img", "alt") | ("a", "title") | ("img", "title") | ("ol", "start") => Keep::Yes,
        ("img", "width") | ("img", "height") => {
            if value.trim().chars().all(|c| c.is_ascii_digit()) && !value.trim().is_empty() {
                Keep::Yes
            } else {
                Keep::No
            }
        }
        ("a", "target") => Keep::Rewrite("_blank".into()),
        _ => Keep::No,
    }
}

/// Most stored bodies are already in Intercom's subset (`<p>`, `<b>`, lists, `<br />` and
/// nothing else): for those the rewriter would change only `<br />` to `<br>`, so skip it. Any
/// attribute, comment, entity-free `>` in text or other tag sends the body the long way.
/// `tests::simple_bodies_take_the_short_way_to_the_same_result` holds the two paths equal.
///
/// It does [`finish`]'s work on the way: every tag is a kept one without attributes, so only
/// formatting left open needs closing.
fn already_simple(body: &str) -> Option<String> {
    let mut normalised = String::with_capacity(body.len());
    let mut open: Vec<&'static str> = Vec::new();
    let mut rest = body;
    loop {
        // The first `<` or `>`: a `>` outside a tag sends the body the long way.
        let lt = match memchr::memchr2(b'<', b'>', rest.as_bytes()) {
            Some(at) if rest.as_bytes()[at] == b'>' => return None,
            Some(at) => at,
            None => rest.len(),
        };
        normalised.push_str(&rest[..lt]);
        if lt == rest.len() {
            break;
        }
        let gt = lt + byte_at(b'>', &rest[lt..])?;
        let tag = &rest[lt..=gt];
        let inner = tag[1..tag.len() - 1].trim_end_matches('/').trim_end();
        let closing = inner.starts_with('/');
        let name = inner.strip_prefix('/').unwrap_or(inner);
        let known = KEPT.iter().find(|k| **k == name)?;
        if *known == "a" || *known == "img" {
            return None;
        }
        if *known == "br" {
            normalised.push_str("<br>");
        } else if inner.len() + 2 == tag.len() {
            normalised.push_str(tag);
            if BALANCED.contains(known) {
                if !closing {
                    open.push(known);
                } else if let Some(i) = open.iter().rposition(|n| n == known) {
                    open.remove(i);
                }
            }
        } else {
            return None; // `<b/>` and the like: let lol_html decide.
        }
        rest = &rest[gt + 1..];
    }
    for name in open.iter().rev() {
        normalised.push_str("</");
        normalised.push_str(name);
        normalised.push('>');
    }
    Some(normalised)
}

/// One pass over the rewritten HTML's tags: end tags of unwrapped elements remain when the
/// source never opened them (osTicket's own templates have a stray `</span>`), so only kept
/// elements may close; and formatting the source left open is closed, so it cannot leak past
/// the body in Intercom.
fn finish(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 16);
    let mut open: Vec<&'static str> = Vec::new();
    let mut rest = html;
    while let Some(lt) = byte_at(b'<', rest) {
        out.push_str(&rest[..lt]);
        let tail = &rest[lt..];
        let Some(gt) = tag_end(tail) else {
            // A tag cut off by the end of the body is passed through raw by lol_html; as text
            // it could complete into a tag with whatever Intercom renders after it.
            out.push_str(&tail.replace('<', "&lt;"));
            rest = "";
            break;
        };
        let tag = &tail[..=gt];
        rest = &tail[gt + 1..];
        if tag == QUOTE_OPEN || tag == QUOTE_CLOSE {
            out.push_str(tag);
            continue;
        }
        let closing = tag.starts_with("</");
        let name_start = if closing { 2 } else { 1 };
        // The whole name, as a browser reads it: `</p`x>` does not close a `p`.
        let inner = &tag[name_start..tag.len() - 1];
        let raw_name = &inner[..inner
            .find(|c: char| c.is_ascii_whitespace() || c == '/')
            .unwrap_or(inner.len())];
        // Every element was unwrapped unless kept, so anything else is a stray end tag
        // (`</span>`, `</>`) or markup lol_html passed through raw: drop it.
        let Some(name) = KEPT.iter().find(|k| k.eq_ignore_ascii_case(raw_name)) else {
            continue;
        };
        if let Some(known) = BALANCED.iter().find(|b| *b == name) {
            if !closing && !tag.ends_with("/>") {
                open.push(known);
            } else if closing && let Some(i) = open.iter().rposition(|n| n == known) {
                open.remove(i);
            }
        }
        if closing {
            out.push_str("</");
            out.push_str(name);
            out.push('>');
            continue;
        }
        // Rebuild the start tag from the attributes that pass again, so nothing the rewriter
        // passed through raw (odd attribute names, `<` inside the tag) reaches Intercom.
        out.push('<');
        out.push_str(name);
        let attrs = &inner[raw_name.len()..];
        // Most kept tags carry no attribute: skip the regex for them.
        let attrs = if attrs.bytes().all(|b| b == b'/' || b.is_ascii_whitespace()) {
            ""
        } else {
            attrs
        };
        for c in ATTRIBUTE.captures_iter(attrs) {
            let attr = c[1].to_ascii_lowercase();
            let value = c
                .get(2)
                .or_else(|| c.get(3))
                .or_else(|| c.get(4))
                .map_or("", |m| m.as_str());
            if attribute_allowed(name, &attr, value) {
                out.push(' ');
                out.push_str(&attr);
                out.push_str("=\"");
                out.push_str(&value.replace('"', "&quot;").replace('<', "&lt;"));
                out.push('"');
            }
        }
        out.push('>');
    }
    out.push_str(rest);
    for name in open.iter().rev() {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    out
}

static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|\s)([A-Za-z][A-Za-z-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))"#)
        .unwrap()
});

/// Index of the `>` that ends the tag starting `tail`, skipping quoted attribute values.
fn tag_end(tail: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, b) in tail.bytes().enumerate().skip(1) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') if tail.as_bytes()[i - 1] == b'=' => quote = Some(b),
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// What a kept start tag may carry after cleaning (see [`keep_attribute`]).
fn attribute_allowed(element: &str, attr: &str, value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    match (element, attr) {
        ("a", "href") => ["http://", "https://", "mailto:", "tel:"]
            .iter()
            .any(|s| v.starts_with(s)),
        ("a", "target") => v == "_blank",
        ("img", "src") => ["http://", "https://"].iter().any(|s| v.starts_with(s)),
        ("img", "width") | ("img", "height") | ("ol", "start") => {
            !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
        }
        ("img", "alt") | ("img", "title") | ("a", "title") => true,
        _ => false,
    }
}

/// The last top-level blockquote, when only whitespace follows it and real text precedes it,
/// is quoted history (clients that drop osTicket's separator leave the whole quote in).
fn split_trailing_quote(html: &str) -> Option<(String, String)> {
    let start = QUOTE_OPEN_FINDER.rfind(html.as_bytes())?;
    let close = html[start..].find(QUOTE_CLOSE)? + start;
    let after = &html[close + QUOTE_CLOSE.len()..];
    if !html_to_text(after).trim().is_empty() || after.contains("<img") {
        return None;
    }
    let mut before = html[..start].to_string();
    let mut quoted = html[start..close].to_string();
    // Move an "On … wrote:" line that introduces the quote along with it.
    let body_end = trim_breaks_end(&before);
    let line_start = ["<br>", "</p>", "<p>"]
        .iter()
        .filter_map(|m| before[..body_end].rfind(m).map(|i| i + m.len()))
        .max()
        .unwrap_or(0);
    if WROTE.is_match(html_to_text(&before[line_start..body_end]).trim()) {
        quoted = format!("{}{}", &before[line_start..], quoted);
        before.truncate(line_start);
    }
    if html_to_text(&before).trim().is_empty() {
        return None;
    }
    Some((before, quoted))
}

/// Byte length of `s` without its trailing whitespace and `<br>`s.
fn trim_breaks_end(s: &str) -> usize {
    let mut t = s.trim_end();
    while let Some(r) = t.strip_suffix("<br>") {
        t = r.trim_end();
    }
    t.len()
}

static QUOTE_OPEN_FINDER: LazyLock<memmem::FinderRev<'static>> =
    LazyLock::new(|| memmem::FinderRev::new(QUOTE_OPEN));
static MARKER_FINDER: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new("<!--ostmig:"));

fn strip_markers(html: String) -> String {
    let html = if MARKER_FINDER.find(html.as_bytes()).is_some() {
        html.replace(QUOTE_OPEN, "").replace(QUOTE_CLOSE, "")
    } else {
        html
    };
    without_edge_breaks(html)
}

fn without_edge_breaks(html: String) -> String {
    let trimmed = trim_breaks(&html);
    if trimmed.len() == html.len() {
        html
    } else {
        trimmed.to_string()
    }
}

/// Leading and trailing `<br>`s left by unwrapped containers.
fn trim_breaks(mut s: &str) -> &str {
    loop {
        let t = s.trim();
        if let Some(r) = t.strip_prefix("<br>") {
            s = r;
        } else if let Some(r) = t.strip_suffix("<br>") {
            s = r;
        } else {
            return t;
        }
    }
}

/// Index of the first `byte` (ASCII) in `s`. Bodies are short and scanned tag by tag, where
/// `memchr` beats `str::find(char)`'s general searcher.
fn byte_at(byte: u8, s: &str) -> Option<usize> {
    memchr::memchr(byte, s.as_bytes())
}

/// Elements whose start and end end a line of [`html_to_text`]'s output.
const LINE_BREAKING: &[&str] = &[
    "br", "p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "ul", "ol",
];

/// Plain text of cleaned HTML: block ends and `<br>` become newlines, entities decoded.
pub fn html_to_text(html: &str) -> String {
    thread_local! {
        // The text between the two passes: reused, as it is thrown away once per body.
        static SCRATCH: RefCell<String> = const { RefCell::new(String::new()) };
    }
    SCRATCH.with_borrow_mut(|text| {
        text.clear();
        html_to_text_via(html, text)
    })
}

fn html_to_text_via(html: &str, text: &mut String) -> String {
    let mut last_was_tag_break = false;
    let mut rest = html;
    while let Some(lt) = byte_at(b'<', rest) {
        text.push_str(&rest[..lt]);
        let Some(gt) = byte_at(b'>', &rest[lt..]) else {
            text.push_str(&rest[lt..]);
            rest = "";
            break;
        };
        let tag = rest[lt + 1..lt + gt].trim();
        let name = tag.trim_start_matches('/');
        let name = &name[..name
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(name.len())];
        let breaks = LINE_BREAKING.iter().any(|b| b.eq_ignore_ascii_case(name));
        if breaks && !(last_was_tag_break && tag.starts_with('/')) {
            text.push('\n');
        }
        last_was_tag_break = breaks;
        rest = &rest[lt + gt + 1..];
    }
    text.push_str(rest);
    let decoded = html_escape::decode_html_entities(text.as_str());
    let mut out = String::with_capacity(decoded.len());
    let mut blank = 0;
    for line in decoded.lines() {
        if push_words(&mut out, line) {
            blank = 0;
        } else {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        }
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}

/// Appends the words of `line` joined by single spaces; false when it has none. Whitespace is
/// Unicode's (U+00A0 from `&nbsp;` counts as a space); ASCII lines, the usual case, are
/// scanned as bytes.
fn push_words(out: &mut String, line: &str) -> bool {
    if is_spaced_plainly(line.as_bytes()) {
        // Nothing to collapse (the usual line): copy it whole.
        out.push_str(line);
        return true;
    }
    let start = out.len();
    if line.is_ascii() {
        // The ASCII characters `char::is_whitespace` accepts (`u8::is_ascii_whitespace` has no VT).
        let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
        for word in line.as_bytes().split(space).filter(|w| !w.is_empty()) {
            if out.len() > start {
                out.push(' ');
            }
            // A run of ASCII bytes of a `str`: valid UTF-8.
            out.push_str(std::str::from_utf8(word).unwrap_or_default());
        }
    } else {
        for word in line.split_whitespace() {
            if out.len() > start {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out.len() > start
}

/// Printable ASCII, not empty, no whitespace but single spaces between words: what
/// [`push_words`] would give back unchanged. Written to vectorise: it runs over nearly every
/// byte of text.
fn is_spaced_plainly(line: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (line.first(), line.last()) else {
        return false;
    };
    first != b' '
        && last != b' '
        && line.chunks(32).all(|c| {
            c.iter()
                .fold(true, |ok, &b| ok & (b.wrapping_sub(0x20) < 0x5f))
        })
        && DOUBLE_SPACE.find(line).is_none()
}

static DOUBLE_SPACE: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new("  "));

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEP: &str = "-- reply above this line --";

    fn files() -> InlineFiles {
        let mut f = InlineFiles::new();
        f.insert(
            "abcdefabcdefabcdefabcdefabcdef12".into(),
            InlineFile {
                file_id: 7,
                name: "screenshot.png".into(),
            },
        );
        f
    }

    fn html(body: &str) -> Cleaned {
        clean_body(body, Format::Html, SEP, &files())
    }

    #[test]
    fn scripts_handlers_and_javascript_links_are_removed() {
        let c = html(
            r#"<p onclick="steal()">Hi <a href="javascript:alert(1)">click</a><script>alert(1)</script> <a href="https://x.example/a?b=1" onmouseover="x()">ok</a></p><style>p{color:red}</style>"#,
        );
        insta::assert_snapshot!(c.html, @r#"<p>Hi click <a href="https://x.example/a?b=1">ok</a></p>"#);
        assert_eq!(c.text, "Hi click ok (https://x.example/a?b=1)");
        assert_eq!(c.problems, vec!["removed_active_content"]);
    }

    /// Found by tests/fuzz.rs (seed 5878440999524486431): a link with a space in it read, to
    /// anything splitting a tag on whitespace, as carrying an `onload=` handler.
    #[test]
    fn a_url_with_whitespace_in_it_is_kept_as_one_token() {
        let c = html(
            "<p><a href=\"https://docs.acme-helpdesk onload=.example/usage\n#billing\">docs</a> <img src=\"https://x.example/a b.png\"></p>",
        );
        insta::assert_snapshot!(c.html, @r#"<p><a href="https://docs.acme-helpdesk%20onload=.example/usage#billing">docs</a> <img src="https://x.example/a%20b.png"></p>"#);
    }

    #[test]
    fn removed_elements_cannot_splice_a_new_tag() {
        let c = html("<p><<script></script>img src=x onerror=alert(1)></p><script");
        assert!(
            !c.html.contains("<img") && !c.html.contains("<script"),
            "{}",
            c.html
        );
        assert!(c.text.contains("img src=x onerror=alert(1)>"), "{}", c.text);
    }

    #[test]
    fn mso_markup_is_unwrapped() {
        let c = html(
            r#"<div class="WordSection1"><p class="MsoNormal"><span style="font-family:Calibri">Dear team,<o:p></o:p></span></p><p class="MsoNormal"><b>Invoice</b> attached.</p></div>"#,
        );
        insta::assert_snapshot!(c.html, @"<p>Dear team,</p><p><b>Invoice</b> attached.</p>");
        assert_eq!(c.text, "Dear team,\nInvoice attached.");
    }

    #[test]
    fn plain_text_keeps_link_targets() {
        let c = html(
            r#"<p>See <a href="https://e.example/?a=1&amp;b=2">the status page</a>, <a href="https://x.example/">https://x.example/</a> or <a href="mailto:ops@e.example">ops@e.example</a>.</p>"#,
        );
        assert_eq!(
            c.text,
            "See the status page (https://e.example/?a=1&b=2), https://x.example/ or ops@e.example."
        );
        assert!(!c.html.contains("(https://e.example"));
    }

    #[test]
    fn cid_images_resolve_case_insensitively() {
        let c = html(
            r#"<p>See <img src="cid:ABCDEFabcdefabcdefabcdefabcdef12" alt="shot" onerror="x()"></p>"#,
        );
        // The image's place names its file, which travels as an attachment of the ticket.
        insta::assert_snapshot!(c.html, @"<p>See [image: screenshot.png]</p>");
        assert_eq!(c.text, "See [image: screenshot.png]");
        assert_eq!(c.resolved, vec![7]);
        assert!(c.problems.is_empty());
        let c = html(r#"<p>See <img src="cid:0000deadbeef"></p>"#);
        assert_eq!(c.unresolved, vec!["0000deadbeef".to_string()]);
        assert_eq!(c.problems, vec!["unresolved_cid"]);
        assert_eq!(c.html, "<p>See [image missing]</p>");
    }

    #[test]
    fn pasted_data_images_become_files_named_at_their_place() {
        // A 1×1 PNG as mail clients paste it: wrapped, and one as JPEG; an SVG (which can
        // carry script) is dropped; bytes that do not decode leave a visible gap.
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4\n2mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
        let c = html(&format!(
            r#"<p>Before <img src="data:image/png;base64,{png}" alt="x"> then <img src="DATA:image/jpeg;base64,/9j/4AAQ"> <img src="data:image/svg+xml;base64,PHN2Zz4="> end <img src="data:image/gif;base64,@@@"></p>"#
        ));
        insta::assert_snapshot!(c.html, @"<p>Before [image: image-1.png] then [image: image-2.jpg]  end [image missing]</p>");
        assert_eq!(c.images.len(), 2);
        assert_eq!(&c.images[0].data[..4], b"\x89PNG");
        assert_eq!(c.images[0].mime_type, "image/png");
        assert_eq!(c.images[1].data[..2], [0xFF, 0xD8]);
        assert_eq!(c.problems, vec!["undecodable_data_image"]);
        assert!(!c.html.contains("data:") && !c.text.contains("data:"));
        // A body holding only a pasted image is not empty.
        let c = html(&format!(r#"<img src="data:image/png;base64,{png}">"#));
        assert!(c.problems.is_empty(), "{:?}", c.problems);
    }

    #[test]
    fn osticket_separator_splits_off_history() {
        let c = html(&format!(
            "<p>Thanks, that fixed it.</p><div style=\"display:none\" class=\"mid-abc\">{SEP}<br/><br/></div><p>On Monday Acme wrote:</p><p>Old text</p>"
        ));
        assert_eq!(c.html, "<p>Thanks, that fixed it.</p>");
        let q = c.quoted_html.unwrap();
        assert!(
            q.contains("Old text") && !q.contains(SEP) && !q.contains("</div>"),
            "{q}"
        );
    }

    #[test]
    fn trailing_blockquote_is_history_but_inline_quotes_stay() {
        let c = html(
            "<p>New answer.</p><br /><div>On Mon, Jan 6, 2025 at 9:14 AM Acme &lt;a@b.example&gt; wrote:</div><blockquote><p>Earlier text.</p></blockquote>",
        );
        assert_eq!(c.text, "New answer.");
        let q = c.quoted_html.unwrap();
        assert!(q.contains("wrote:") && q.contains("Earlier text."), "{q}");
        let c =
            html("<p>You said:</p><blockquote>the printer jams</blockquote><p>It should not.</p>");
        assert!(c.quoted_html.is_none());
        assert!(c.text.contains("the printer jams"));
    }

    #[test]
    fn unclosed_formatting_is_closed_and_stray_end_tags_dropped() {
        let c = html("<p><b>bold <i>both</p></span></font>");
        insta::assert_snapshot!(c.html, @"<p><b>bold <i>both</p></i></b>");
    }

    #[test]
    fn text_bodies_are_unescaped_into_paragraphs() {
        let c = clean_body(
            "Hello &lt;team&gt;,\r\nline two &amp; more\r\n\r\nSecond paragraph\n\n> old\n> quote",
            Format::Text,
            SEP,
            &files(),
        );
        insta::assert_snapshot!(c.html, @"<p>Hello &lt;team&gt;,<br>line two &amp; more</p><p>Second paragraph</p>");
        assert_eq!(c.text, "Hello <team>,\nline two & more\n\nSecond paragraph");
        assert_eq!(
            c.quoted_html.as_deref(),
            Some("<p>&gt; old<br>&gt; quote</p>")
        );
    }

    #[test]
    fn a_body_that_cleans_to_nothing_is_flagged() {
        let c = html("<script>only()</script><style>x</style>");
        assert!(c.problems.contains(&"empty_after_cleaning"));
        let c = html("-");
        assert!(!c.problems.contains(&"empty_after_cleaning"));
    }

    #[test]
    fn invalid_bytes_never_panic() {
        let mut out = Cleaned::default();
        let s = sanitize(&[b"<p>caf\xe9 \xff\xfe<b>x"], &files(), &mut out);
        assert!(s.contains("caf"));
    }

    #[test]
    fn a_megabyte_single_line_body_cleans() {
        let body = format!("<p>{}</p>", "word ".repeat(200_000));
        let c = html(&body);
        assert_eq!(c.text.len(), "word ".len() * 200_000 - 1);
    }

    fn chunked(body: &str, cuts: &[usize]) -> String {
        let bytes = body.as_bytes();
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut last = 0;
        for p in points {
            chunks.push(&bytes[last..p]);
            last = p;
        }
        chunks.push(&bytes[last..]);
        sanitize(&chunks, &files(), &mut Cleaned::default())
    }

    proptest! {
        #[test]
        fn simple_bodies_take_the_short_way_to_the_same_result(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("<p>"), Just("</p>"), Just("<b>"), Just("</b>"), Just("<br />"),
                    Just("<br>"), Just("<ul>"), Just("<li>"), Just("</li>"), Just("</ul>"),
                    Just("<h2>"), Just("</h2>"), Just("text "), Just("caf\u{e9} "), Just("&amp; "),
                    Just("a<b "), Just("x > y"), Just("<b/>"), Just("<p class=\"x\">"),
                ],
                0..24,
            )
        ) {
            let body: String = parts.concat();
            let slow = {
                // The long way: force the rewriter by passing the body in two chunks.
                let cut = body.len() / 2;
                let cut = (0..=cut).rev().find(|i| body.is_char_boundary(*i)).unwrap_or(0);
                sanitize(
                    &[&body.as_bytes()[..cut], &body.as_bytes()[cut..]],
                    &files(),
                    &mut Cleaned::default(),
                )
            };
            let fast = sanitize(&[body.as_bytes()], &files(), &mut Cleaned::default());
            prop_assert_eq!(fast, slow, "body: {}", body);
        }

        #[test]
        fn output_does_not_depend_on_chunk_boundaries(
            cuts in proptest::collection::vec(0usize..4000, 0..12),
            pick in 0usize..4,
        ) {
            let bodies = [
                r#"<html><head><style>a{}</style></head><body><div class="MsoNormal"><p>Caf&eacute; <b>bold <i>x</i></b></p><img src="cid:ABCDEFABCDEFABCDEFABCDEFABCDEF12" alt="a"><table><tr><td>1</td><td>2</td></tr></table><a href="https://e.example/?a=1&amp;b=2">link</a><!-- c --></div></body></html>"#,
                "<p>Thanks</p><blockquote>old <blockquote>older</blockquote></blockquote>",
                "<div>unclosed <b>tag <script>bad()</script><p onclick=\"x\">é ü 中文</p>",
                "<ul><li>one<li>two</ul><pre>code\n  indented</pre><h2>Title</h2><hr>",
            ];
            let body = bodies[pick];
            let whole = sanitize(&[body.as_bytes()], &files(), &mut Cleaned::default());
            prop_assert_eq!(chunked(body, &cuts), whole);
        }
    }
}
