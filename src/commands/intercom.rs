//! `ostmig intercom …`: what the target workspace holds (admins, teams) and what its live API
//! is known to do beyond its description (errata).
use crate::cli::IntercomCommand;
use crate::{Outcome, intercom};

pub fn run(command: IntercomCommand) -> anyhow::Result<Outcome> {
    match command {
        IntercomCommand::Errata { json } => {
            if json {
                crate::ui::json(intercom::errata::all())?;
            } else {
                intercom::errata::print();
            }
        }
        IntercomCommand::Pull { db, intercom } => {
            let url = intercom.intercom_url;
            let (admins, teams) = intercom::pull(&db.db, &url)?;
            eprintln!("{admins} admins and {teams} teams from {url} stored in raw_intercom");
        }
        IntercomCommand::ImportAdmins { db, file } => {
            let n = intercom::admins::import(&db.db, &file)?;
            eprintln!("{n} Intercom admins stored in raw_intercom.admin");
        }
        IntercomCommand::ImportTeams { db, file } => {
            let n = intercom::teams::import(&db.db, &file)?;
            eprintln!("{n} Intercom teams stored in raw_intercom.team");
        }
    }
    Ok(Outcome::Ok)
}
