//! `zstack license ...`, the issuer's side of licenses: `keygen` makes an issuer key pair,
//! `issue` signs a license with its private key. Nodes check licenses with the public key.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use zstack_license::document::{
    LicensePayload, LicenseType, generate_signing_key, is_capability, key_text, sign, signing_key,
};

#[derive(Debug, Clone, Subcommand)]
pub enum LicenseCommand {
    /// Writes a new issuer key pair into a directory: license.key (the private key: keep it
    /// secret) and license.pub (for `serve --license-public-key`).
    Keygen {
        /// The directory to write into (created if missing); existing keys are not overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// Prints a license signed with an issuer's private key, ready for UpdateLicense.
    Issue(IssueArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IssuedType {
    #[value(name = "Trial", alias = "trial")]
    Trial,
    #[value(name = "Paid", alias = "paid")]
    Paid,
}

#[derive(Debug, Clone, Args)]
pub struct IssueArgs {
    /// The issuer's private key (license.key from `keygen`).
    #[arg(long)]
    pub private_key: PathBuf,
    /// Who the license is for.
    #[arg(long)]
    pub user: String,
    /// Trial or Paid.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub license_type: IssuedType,
    /// The most hosts the node may manage.
    #[arg(long)]
    pub host_num: u32,
    /// The most CPUs all hosts together may have.
    #[arg(long)]
    pub cpu_num: u32,
    /// Days the license is valid from now; 0 gives a license that has expired already.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=36_500))]
    pub days: u32,
    /// Capabilities the license enables, comma-separated (`vmware,qos`).
    #[arg(long, value_delimiter = ',')]
    pub capabilities: Vec<String>,
}

/// Writes `license.key` (readable by its owner only) and `license.pub` into `out`; answers their
/// paths. Refuses to overwrite a key: a lost private key cannot be issued from again.
pub fn keygen(out: &Path) -> Result<(PathBuf, PathBuf), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let (private, public) = (out.join("license.key"), out.join("license.pub"));
    for path in [&private, &public] {
        if path.exists() {
            return Err(format!(
                "{} exists already; keys are not overwritten",
                path.display()
            ));
        }
    }
    let key = generate_signing_key()?;
    write_new(&private, &key_text(&key.to_bytes()), true)?;
    write_new(&public, &key_text(key.verifying_key().as_bytes()), false)?;
    Ok((private, public))
}

fn write_new(path: &Path, text: &str, secret: bool) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    writeln!(file, "{text}").map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The text of a license signed with the private key in `args.private_key`, issued now.
pub fn issue(args: &IssueArgs) -> Result<String, String> {
    let text = std::fs::read_to_string(&args.private_key)
        .map_err(|e| format!("cannot read {}: {e}", args.private_key.display()))?;
    let key = signing_key(&text).map_err(|why| format!("{}: {why}", args.private_key.display()))?;
    let capabilities: Vec<String> = args
        .capabilities
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    if let Some(bad) = capabilities.iter().find(|c| !is_capability(c)) {
        return Err(format!(
            "capability [{bad}] is not a name of letters, digits, '_', '-' or '.'"
        ));
    }
    // Whole seconds: the dates are shown to the second.
    let issued = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_else(Utc::now);
    let payload = LicensePayload {
        user: args.user.trim().to_string(),
        license_type: match args.license_type {
            IssuedType::Trial => LicenseType::Trial,
            IssuedType::Paid => LicenseType::Paid,
        },
        issued_date: issued,
        expired_date: issued + chrono::Duration::days(i64::from(args.days)),
        host_num: i64::from(args.host_num),
        cpu_num: i64::from(args.cpu_num),
        capabilities,
    };
    sign(&payload, &key).map_err(|why| format!("cannot issue this license: {why}"))
}

/// Runs a `zstack license` command; what it prints goes to `out`.
pub fn run(command: &LicenseCommand, out: &mut impl Write) -> Result<(), String> {
    let written = match command {
        LicenseCommand::Keygen { out: dir } => {
            let (private, public) = keygen(dir)?;
            writeln!(
                out,
                "wrote {} (the private key: keep it secret) and {}",
                private.display(),
                public.display()
            )
        }
        LicenseCommand::Issue(args) => writeln!(out, "{}", issue(args)?),
    };
    written.map_err(|e| format!("cannot print: {e}"))
}
