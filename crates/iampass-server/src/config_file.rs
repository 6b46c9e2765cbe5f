//! The server's configuration file (`/etc/iampass/server.toml`): every setting of every command,
//! under its flag's long name (`listen = "0.0.0.0:8443"`, `push-extra-hosts = ["a", "b"]`). One
//! order decides: a flag beats its environment variable, which beats the file, which beats the
//! built-in default. The file fills in the command line's defaults before it is parsed, so each
//! setting is still defined once, on `Config` and the commands' own arguments.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, Command};

/// Where the file is looked for when neither `--config` nor `IAMPASS_CONFIG` names one.
pub(crate) const DEFAULT_PATH: &str = "/etc/iampass/server.toml";

/// One thing wrong with the file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The file named on the command line (`--config FILE`, `--config=FILE`), in `IAMPASS_CONFIG`, or
/// the default path if it exists.
pub(crate) fn locate(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let a = a.to_string_lossy();
        if a == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(path) = a.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    if let Some(path) = std::env::var_os("IAMPASS_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    Some(PathBuf::from(DEFAULT_PATH)).filter(|p| p.exists())
}

/// A setting of the file: its key, value as the command line would take it, and line.
struct Setting {
    key: String,
    values: Vec<String>,
    line: usize,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Reads the file into settings, or says where it is not TOML or not a setting's shape.
fn read(text: &str) -> Result<Vec<Setting>, Vec<Problem>> {
    let doc: toml::Spanned<toml::Table> = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        vec![Problem { line, message: format!("not valid TOML: {}", e.message()) }]
    })?;
    let mut settings = Vec::new();
    let mut problems = Vec::new();
    for (key, value) in doc.into_inner() {
        // toml::Table keeps no spans: find the key at the start of a line.
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with(&key) && l.trim_start()[key.len()..].trim_start().starts_with('='))
            .map_or(1, |i| i + 1);
        let scalar = |v: &toml::Value| match v {
            toml::Value::String(s) => Some(s.clone()),
            toml::Value::Integer(i) => Some(i.to_string()),
            toml::Value::Boolean(b) => Some(b.to_string()),
            toml::Value::Float(f) => Some(f.to_string()),
            _ => None,
        };
        let values = match &value {
            toml::Value::Array(items) => items.iter().map(scalar).collect::<Option<Vec<_>>>(),
            other => scalar(other).map(|v| vec![v]),
        };
        match values {
            Some(values) => settings.push(Setting { key, values, line }),
            None => problems.push(Problem {
                line,
                message: format!("{key}: a setting is a string, number, true/false or a list of those"),
            }),
        }
    }
    if problems.is_empty() { Ok(settings) } else { Err(problems) }
}

/// Whether `value` is one the argument takes, by its own value parser (in a bare command, so its
/// relations to other arguments do not come into it).
fn validate(arg: &Arg, key: &str, value: &str) -> Result<(), String> {
    if matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse) {
        return if value == "true" || value == "false" { Ok(()) } else { Err(format!("{key}: use true or false")) };
    }
    let probe = Command::new("probe")
        .no_binary_name(true)
        .arg(Arg::new("value").long(key.to_owned()).value_parser(arg.get_value_parser().clone()));
    probe.try_get_matches_from(["--".to_owned() + key, value.to_owned()]).map(|_| ()).map_err(|e| {
        let text = e.to_string();
        let first = text.lines().next().unwrap_or_default().trim_start_matches("error: ").to_owned();
        format!("{key}: {first}")
    })
}

/// Every argument of `cmd` and its subcommands with this long name.
fn find<'a>(cmd: &'a Command, key: &str, out: &mut Vec<(&'a Command, &'a Arg)>) {
    if let Some(arg) = cmd.get_arguments().find(|a| a.get_long() == Some(key)) {
        out.push((cmd, arg));
    }
    for sub in cmd.get_subcommands() {
        find(sub, key, out);
    }
}

/// Checks each setting against the commands: the key must be a flag, the value one it takes.
fn check(cmd: &Command, settings: &[Setting]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for s in settings {
        if s.key == "config" || s.key == "help" || s.key == "version" {
            problems.push(Problem { line: s.line, message: format!("{} cannot be set in the file", s.key) });
            continue;
        }
        let mut found = Vec::new();
        find(cmd, &s.key, &mut found);
        let Some((_, arg)) = found.first() else {
            problems.push(Problem {
                line: s.line,
                message: format!("unknown setting {:?} (see `iampass-server serve --help`)", s.key),
            });
            continue;
        };
        if s.values.len() > 1
            && !matches!(arg.get_num_args(), Some(r) if r.max_values() > 1)
            && arg.get_value_delimiter().is_none()
        {
            problems.push(Problem { line: s.line, message: format!("{} takes one value, not a list", s.key) });
            continue;
        }
        for v in &s.values {
            if let Err(why) = validate(arg, &s.key, v) {
                problems.push(Problem { line: s.line, message: why });
            }
        }
    }
    problems
}

/// Reads and checks the file: the settings, or every problem found.
fn load(cmd: &Command, path: &Path) -> Result<Vec<Setting>, Vec<Problem>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![Problem { line: 0, message: format!("cannot read {}: {e}", path.display()) }])?;
    let settings = read(&text)?;
    let problems = check(cmd, &settings);
    if problems.is_empty() { Ok(settings) } else { Err(problems) }
}

/// Every problem of the file at `path`, for `check-config` (none: it is good).
pub(crate) fn problems(cmd: &Command, path: &Path) -> Vec<Problem> {
    load(cmd, path).err().unwrap_or_default()
}

/// The file's value of each setting in `keys` that it gives, with its line (for checks beyond the
/// value's shape, such as whether a file it names can be read).
pub(crate) fn values_of(cmd: &Command, path: &Path, keys: &[&str]) -> Vec<(String, String, usize)> {
    load(cmd, path)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| keys.contains(&s.key.as_str()))
        .filter_map(|s| s.values.into_iter().next().map(|v| (s.key, v, s.line)))
        .collect()
}

/// The command line with the file's settings as its defaults, wherever a command takes them.
pub(crate) fn apply(mut cmd: Command, path: &Path) -> Result<Command, Vec<Problem>> {
    for s in load(&cmd, path)? {
        cmd = set_default(cmd, &s.key, &s.values);
    }
    Ok(cmd)
}

fn set_default(cmd: Command, key: &str, values: &[String]) -> Command {
    let id = cmd.get_arguments().find(|a| a.get_long() == Some(key)).map(|a| a.get_id().clone());
    let mut cmd = match id {
        Some(id) => {
            let values: Vec<clap::builder::OsStr> =
                values.iter().map(|v| clap::builder::OsStr::from(clap::builder::Str::from(v.clone()))).collect();
            cmd.mut_arg(id, |a| a.default_values(values))
        }
        None => cmd,
    };
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_owned()).collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |sub| set_default(sub, key, values));
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> Command {
        Command::new("t")
            .arg(Arg::new("listen").long("listen").value_parser(clap::value_parser!(std::net::SocketAddr)))
            .subcommand(
                Command::new("serve")
                    .arg(
                        Arg::new("rate")
                            .long("rate-limit")
                            .value_parser(clap::value_parser!(u32))
                            .default_value("1000"),
                    )
                    .arg(Arg::new("hosts").long("push-extra-hosts").value_delimiter(','))
                    .arg(Arg::new("trust").long("trust-forwarded").action(clap::ArgAction::SetTrue)),
            )
    }

    #[test]
    fn bad_keys_and_values_are_named_with_their_line() {
        let text = "# comment\nlisten = \"nowhere\"\nrate-limit = 10\nsalary = 3\ntrust-forwarded = true\n";
        let problems = check(&cmd(), &read(text).map_err(|p| p[0].clone()).unwrap());
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 4], "{problems:?}");
        assert!(problems[0].message.starts_with("listen:"), "{}", problems[0]);
        assert!(problems[1].message.contains("unknown setting \"salary\""));
        let bad = read("listen = [1, {a = 1}]\n").err().unwrap();
        assert_eq!(bad[0].line, 1);
        assert_eq!(read("x = \n").err().unwrap()[0].line, 1);
    }

    #[test]
    fn the_file_fills_defaults_and_flags_still_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, "rate-limit = 7\npush-extra-hosts = [\"a\", \"b\"]\n").unwrap();
        let m = apply(cmd(), &path).unwrap().get_matches_from(["t", "serve"]);
        let serve = m.subcommand_matches("serve").unwrap();
        assert_eq!(serve.get_one::<u32>("rate"), Some(&7));
        assert_eq!(serve.get_many::<String>("hosts").unwrap().collect::<Vec<_>>(), ["a", "b"]);
        let m = apply(cmd(), &path).unwrap().get_matches_from(["t", "serve", "--rate-limit", "9"]);
        assert_eq!(m.subcommand_matches("serve").unwrap().get_one::<u32>("rate"), Some(&9));
    }
}
