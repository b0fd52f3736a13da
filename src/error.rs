//! Errors a user can act on: every one names the object it is about and ends with a hint.
use std::fmt;

/// An error with a hint that says what to do. Rendered on one line:
/// `error: <message>; hint: <hint>`.
#[derive(Debug)]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

impl Hinted {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; hint: {}", self.message, self.hint)
    }
}

impl std::error::Error for Hinted {}

/// Shorthand for `Err(Hinted::new(..).into())`.
pub fn hinted<T>(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Result<T> {
    Err(Hinted::new(message, hint).into())
}

/// One line for stderr. A `Hinted` anywhere in the chain wins, so the hint always shows;
/// otherwise the context chain is joined with ": ".
pub fn render(err: &anyhow::Error) -> String {
    for cause in err.chain() {
        if let Some(h) = cause.downcast_ref::<Hinted>() {
            let outer: Vec<String> = err
                .chain()
                .take_while(|c| c.downcast_ref::<Hinted>().is_none())
                .map(|c| c.to_string())
                .collect();
            return if outer.is_empty() {
                format!("error: {h}")
            } else {
                format!("error: {}: {h}", outer.join(": "))
            };
        }
    }
    let parts: Vec<String> = err.chain().map(|c| c.to_string()).collect();
    let line = parts.join(": ");
    // A full disk surfaces from DuckDB or the file system deep in some stage; say what to do.
    if line.contains("No space left on device") || line.contains("Disk quota exceeded") {
        return format!(
            "error: {line}; hint: the disk holding the staging file (or its spill files beside it) is full: free space there and run the command again; what was committed is kept, and a load resumes where it stopped"
        );
    }
    format!("error: {line}")
}
