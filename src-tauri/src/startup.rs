//! Command-line options, read once at start:
//!
//! - `breakout-app --host <TITLE> [--name <NAME>]` hosts a meeting while the
//!   app starts, before its window loads (so the window opens straight into
//!   the meeting), and prints the invite as one JSON line on stdout
//!   (`{"server_url", "invite_code", "invite_link", ...}`). `make run` uses
//!   it to seat synthetic participants next to a newcomer at once.
//! - `breakout-app breakout://join?… [--name <NAME>]` (or an
//!   `https://…/join?…` address) joins that meeting as it starts. The bundle
//!   registers the `breakout` scheme for this (the .desktop file's
//!   MimeType), so clicking an invite link opens the app in the meeting; the
//!   name defaults to the one the start screen remembers, else the
//!   account's. A later launch hands the same arguments to the running app
//!   ([`crate::incoming`]).

use breakout_client::protocol::link::JoinLink;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Startup {
    /// (meeting title, host's name)
    pub host: Option<(String, String)>,
    /// (link, name if given)
    pub join: Option<(String, Option<String>)>,
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Startup, String> {
    let mut args = args.into_iter();
    let (mut title, mut name, mut link) = (None, None, None);
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "--host" => title = Some(value("--host")?),
            "--name" => name = Some(value("--name")?),
            a if JoinLink::looks_like_link(a) => link = Some(arg),
            other => {
                return Err(format!(
                    "unknown argument {other:?} (usage: --host TITLE [--name NAME] | breakout://join?… [--name NAME])"
                ));
            }
        }
    }
    match (title, link) {
        (Some(_), Some(_)) => Err("--host and a join link exclude each other".into()),
        (Some(title), None) => Ok(Startup {
            host: Some((title, name.unwrap_or_else(|| "Host".into()))),
            join: None,
        }),
        (None, Some(link)) => Ok(Startup {
            host: None,
            join: Some((link, name)),
        }),
        (None, None) if name.is_some() => Err("--name goes with --host or a join link".into()),
        (None, None) => Ok(Startup::default()),
    }
}

/// The account's full name from the password database (GECOS), else the
/// login name: what people would type as their name anyway.
pub fn account_name() -> String {
    let user = std::env::var("USER").unwrap_or_default();
    let full = std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                (fields.first() == Some(&user.as_str()))
                    .then(|| {
                        fields
                            .get(4)?
                            .split(',')
                            .next()
                            .map(str::trim)
                            .map(String::from)
                    })
                    .flatten()
                    .filter(|n| !n.is_empty())
            })
        });
    full.or_else(|| (!user.is_empty()).then_some(user))
        .unwrap_or_else(|| "Guest".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn hosting_from_the_command_line() {
        assert_eq!(parse(args("")).unwrap(), Startup::default());
        assert_eq!(
            parse(args("--host Standup --name Kim")).unwrap().host,
            Some(("Standup".into(), "Kim".into()))
        );
        assert_eq!(
            parse(args("--host Standup")).unwrap().host,
            Some(("Standup".into(), "Host".into()))
        );
        assert!(parse(args("--name Kim")).is_err());
        assert!(parse(args("--host")).is_err());
        assert!(parse(args("--frobnicate")).is_err());
    }

    #[test]
    fn a_link_on_the_command_line_joins() {
        let link = "breakout://join?server=http://h:7800&code=abcd";
        let startup = parse(args(&format!("{link} --name Kim"))).unwrap();
        assert_eq!(startup.join, Some((link.into(), Some("Kim".into()))));
        assert_eq!(parse(args(link)).unwrap().join, Some((link.into(), None)));
        assert!(parse(args(&format!("--host T {link}"))).is_err());
        assert!(!account_name().is_empty());
        let web = "https://meet.example/join?code=abcd";
        assert_eq!(parse(args(web)).unwrap().join, Some((web.into(), None)));
    }
}
