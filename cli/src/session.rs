//! The session kept between invocations: `$XDG_CONFIG_HOME/zstack/session` (else
//! `~/.config/zstack/session`), readable by its owner only, one per node URL.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;

use serde_json::{Map, Value, json};

pub fn config_dir() -> Option<PathBuf> {
    match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir).join("zstack")),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/zstack")),
    }
}

/// Makes the config directory, owner-only.
pub fn ensure_dir() -> Option<PathBuf> {
    let dir = config_dir()?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .ok()?;
    Some(dir)
}

pub struct Session {
    url: String,
    pub uuid: Option<String>,
}

fn read_all() -> Map<String, Value> {
    config_dir()
        .and_then(|d| std::fs::read(d.join("session")).ok())
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
}

impl Session {
    pub fn load(url: &str) -> Self {
        let uuid = read_all()
            .get(url)
            .and_then(|v| v.as_str())
            .map(str::to_string);
        Session {
            url: url.to_string(),
            uuid,
        }
    }

    fn write(&self, sessions: &Map<String, Value>) -> std::io::Result<()> {
        let dir = ensure_dir().ok_or_else(|| {
            std::io::Error::other("no config directory (set HOME or XDG_CONFIG_HOME)")
        })?;
        let path = dir.join("session");
        let tmp = dir.join("session.tmp");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(json!(sessions).to_string().as_bytes())?;
        f.sync_all()?;
        std::fs::rename(tmp, path)
    }

    pub fn save(&mut self, uuid: &str) -> std::io::Result<()> {
        let mut all = read_all();
        all.insert(self.url.clone(), json!(uuid));
        self.write(&all)?;
        self.uuid = Some(uuid.to_string());
        Ok(())
    }

    pub fn clear(&mut self) -> std::io::Result<()> {
        let mut all = read_all();
        all.remove(&self.url);
        self.write(&all)?;
        self.uuid = None;
        Ok(())
    }
}
