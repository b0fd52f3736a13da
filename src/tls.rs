//! The certificate policy every HTTPS client of ostmig shares (the Intercom loader, the ticket
//! page downloader): certificates are always verified, with no switch to turn that off; a
//! TLS-inspecting proxy's CA can be added; a secret never travels over plain http to another
//! machine.
use crate::error::Hinted;

use crate::settings::ENV_CA_FILE;

/// A client builder that trusts the built-in roots and the CAs named by `OSTMIG_CA_FILE`.
pub fn client_builder() -> anyhow::Result<reqwest::ClientBuilder> {
    let mut builder = reqwest::Client::builder();
    if let Some(file) = std::env::var_os(ENV_CA_FILE) {
        let unreadable = |e: &dyn std::fmt::Display| {
            Hinted::new(
                format!("cannot use {ENV_CA_FILE} ({}): {e}", file.to_string_lossy()),
                "point it at a PEM file holding the CA certificates to trust besides the built-in ones",
            )
        };
        let pem = std::fs::read(&file).map_err(|e| unreadable(&e))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| unreadable(&e))?;
        if certs.is_empty() {
            return Err(unreadable(&"no certificate in it").into());
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder)
}

/// A secret must not cross a network in clear: plain `http://` is accepted for a server on this
/// machine only (the simulator, a test server). `flag` names the option, `secret` what would
/// travel, `example` a URL that works.
pub fn require_tls_off_loopback(
    base: &str,
    flag: &str,
    secret: &str,
    example: &str,
) -> anyhow::Result<url::Url> {
    let parsed = url::Url::parse(base).map_err(|e| {
        Hinted::new(
            format!("{flag} {base} is not a URL ({e})"),
            format!("use {example}"),
        )
    })?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        scheme => Err(Hinted::new(
            format!("{flag} {base} would send {secret} without TLS ({scheme}://)"),
            "use https:// (certificates are always checked); plain http:// is accepted only for a server on this machine (127.0.0.1, localhost)",
        )
        .into()),
    }
}
