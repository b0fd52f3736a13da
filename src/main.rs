//! `ostmig` binary: parse arguments, run, map the outcome to an exit code
//! (0 ok, 1 ran but found problems, 2 error).
use std::process::ExitCode;

fn main() -> ExitCode {
    ostmig::init_logging();
    ostmig::keep_files_private();
    match ostmig::run(ostmig::cli::parse()) {
        Ok(outcome) => ExitCode::from(outcome as u8),
        Err(err) => {
            eprintln!("{}", ostmig::error::render(&err));
            ExitCode::from(2)
        }
    }
}
