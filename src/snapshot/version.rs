//! osTicket keeps no version number in its database, only `config(core, schema_signature)`:
//! the MD5 of the install SQL of its release line (facts: research/osticket.md §1.1).

/// (signature or its first 8 hex digits, release line)
pub const SIGNATURES: &[(&str, &str)] = &[
    ("00c949a623b82848baaf3480b51307e3", "1.12"),
    ("4bd47d94b10bd8a6bab35c119dadf41f", "1.14"),
    ("8b923d61", "1.14 (pre-release)"),
    ("9b5550da", "1.14 (pre-release)"),
    ("e6978154", "1.14 (pre-release)"),
    ("cc6d1b03", "1.14 (pre-release)"),
    ("914098f4", "1.14 (pre-release)"),
    ("87d4a323", "1.14 (pre-release)"),
    ("add628927ee030469f5d3272ebda1e16", "1.15"),
    ("e7038ce9", "1.15 (pre-release)"),
    ("ddbe2e76", "1.15 (pre-release)"),
    ("c37e165651dc289240fee7d244990ac1", "1.16"),
    ("83a22ba22b1a6a624fcb1da03882ac1b", "1.17"),
    ("e2b4e5cb", "1.17 (pre-release)"),
    ("f0d2e14d", "1.17 (pre-release)"),
    ("5fb92bef17f3b603659e024c01cc7a59", "1.18"),
];

/// The release line for a signature, or `None` when it is not one we know.
pub fn release_line(signature: &str) -> Option<&'static str> {
    let sig = signature.trim().to_ascii_lowercase();
    if sig.len() < 8 {
        return None;
    }
    SIGNATURES
        .iter()
        .find(|(known, _)| {
            if known.len() == 32 {
                sig == *known
            } else {
                sig.starts_with(known)
            }
        })
        .map(|(_, line)| *line)
}

/// Whether this tool was built and tested against the release line.
pub fn supported(line: &str) -> bool {
    ["1.14", "1.15", "1.16", "1.17", "1.18"]
        .iter()
        .any(|l| line.starts_with(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_resolve() {
        assert_eq!(
            release_line("83a22ba22b1a6a624fcb1da03882ac1b"),
            Some("1.17")
        );
        assert_eq!(
            release_line("5FB92BEF17F3B603659E024C01CC7A59 "),
            Some("1.18")
        );
        assert_eq!(
            release_line("e7038ce9aaaaaaaaaaaaaaaaaaaaaaaa"),
            Some("1.15 (pre-release)")
        );
        assert_eq!(release_line("ffffffffffffffffffffffffffffffff"), None);
        assert!(!supported("1.12"));
        assert!(supported("1.15 (pre-release)"));
    }
}
