//! A license as a signed document. Its text form is ours: the base64 of the payload's JSON, a
//! `.`, and the base64 of the Ed25519 signature over exactly those JSON bytes. Whoever holds the
//! issuer's private key issues licenses; a node checks them with the issuer's public key, built
//! in ([`BUILTIN_PUBLIC_KEY`]) unless the node is given another.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

/// The public key of the issuer of this project's licenses (base64 of its 32 bytes). Its private
/// key is not kept anywhere: a private issuer runs nodes with `--license-public-key`.
pub const BUILTIN_PUBLIC_KEY: &str = "dD1+JUPVYLdvoICT1cIMcFwjLZtjnyUT/1EuAMv3ndw=";

/// The longest license text a node reads; a real one is well under 1 KiB.
pub const MAX_TEXT: usize = 16 * 1024;

const MAX_USER: usize = 255;
const MAX_CAPABILITIES: usize = 64;
const MAX_CAPABILITY: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LicenseType {
    Free,
    Trial,
    Paid,
}

impl LicenseType {
    pub fn as_str(self) -> &'static str {
        match self {
            LicenseType::Free => "Free",
            LicenseType::Trial => "Trial",
            LicenseType::Paid => "Paid",
        }
    }
}

/// What a license grants; the signed part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicensePayload {
    pub user: String,
    pub license_type: LicenseType,
    pub issued_date: DateTime<Utc>,
    pub expired_date: DateTime<Utc>,
    /// The most hosts the node may manage.
    pub host_num: i64,
    /// The most CPUs all hosts together may have.
    pub cpu_num: i64,
    #[serde(default)]
    pub capabilities: Vec<String>,
}

impl LicensePayload {
    /// Past its expiry date (a license issued for 0 days is expired at once).
    pub fn expired_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.expired_date
    }

    /// What a signature cannot vouch for: the issuer could still have signed nonsense.
    fn check(&self) -> Result<(), String> {
        let user = self.user.trim();
        if user.is_empty() || user.chars().count() > MAX_USER {
            return Err(format!("its user must be 1 to {MAX_USER} characters"));
        }
        if self.user.chars().any(char::is_control) {
            return Err("its user holds control characters".into());
        }
        if self.host_num < 0 || self.cpu_num < 0 {
            return Err("its hostNum and cpuNum cannot be negative".into());
        }
        if self.expired_date < self.issued_date {
            return Err("it expires before it was issued".into());
        }
        if self.capabilities.len() > MAX_CAPABILITIES {
            return Err(format!(
                "it lists more than {MAX_CAPABILITIES} capabilities"
            ));
        }
        if let Some(bad) = self.capabilities.iter().find(|c| !is_capability(c)) {
            return Err(format!(
                "capability [{bad}] is not a name of 1 to {MAX_CAPABILITY} letters, digits, '_', '-' or '.'"
            ));
        }
        Ok(())
    }
}

pub fn is_capability(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_CAPABILITY
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The license text of `payload`, signed with `key`.
pub fn sign(payload: &LicensePayload, key: &SigningKey) -> Result<String, String> {
    payload.check()?;
    let json = serde_json::to_vec(payload).map_err(|e| e.to_string())?;
    let signature = key.sign(&json);
    Ok(format!(
        "{}.{}",
        STANDARD.encode(&json),
        STANDARD.encode(signature.to_bytes())
    ))
}

/// The payload of license `text` if `key` signed it and it makes sense; else why not, in words
/// a user can act on.
pub fn verify(text: &str, key: &VerifyingKey) -> Result<LicensePayload, String> {
    let text = text.trim();
    if text.len() > MAX_TEXT {
        return Err(format!(
            "it is {} bytes long; a license is at most {MAX_TEXT}",
            text.len()
        ));
    }
    let not_a_license =
        || "it is not a license (expected base64 of its payload, '.', base64 of its signature)";
    let (payload, signature) = text.split_once('.').ok_or_else(not_a_license)?;
    let payload = STANDARD.decode(payload).map_err(|_| not_a_license())?;
    let signature = STANDARD.decode(signature).map_err(|_| not_a_license())?;
    let signature = Signature::from_slice(&signature).map_err(|_| not_a_license())?;
    key.verify_strict(&payload, &signature).map_err(|_| {
        "its signature does not match: it was altered, or signed by another issuer than the one this node trusts"
    })?;
    let payload: LicensePayload = serde_json::from_slice(&payload)
        .map_err(|e| format!("its payload is not a license payload: {e}"))?;
    payload.check()?;
    Ok(payload)
}

/// A key's text form: the base64 of its 32 bytes.
pub fn key_text(bytes: &[u8; 32]) -> String {
    STANDARD.encode(bytes)
}

fn key_bytes(text: &str) -> Result<[u8; 32], String> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| "a key is the base64 of 32 bytes, but this is not base64".to_string())?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("a key is 32 bytes, but this one is {}", bytes.len()))
}

pub fn verifying_key(text: &str) -> Result<VerifyingKey, String> {
    VerifyingKey::from_bytes(&key_bytes(text)?)
        .map_err(|_| "these 32 bytes are not an Ed25519 public key".to_string())
}

pub fn signing_key(text: &str) -> Result<SigningKey, String> {
    Ok(SigningKey::from_bytes(&key_bytes(text)?))
}

/// A new issuer key from the operating system's random source.
pub fn generate_signing_key() -> Result<SigningKey, String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no random bytes: {e}"))?;
    Ok(SigningKey::from_bytes(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> LicensePayload {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        LicensePayload {
            user: "ops@example.com".into(),
            license_type: LicenseType::Paid,
            issued_date: at,
            expired_date: at + chrono::Duration::days(30),
            host_num: 2,
            cpu_num: 64,
            capabilities: vec!["vmware".into()],
        }
    }

    #[test]
    fn a_signed_license_verifies_and_an_altered_one_does_not() {
        let key = generate_signing_key().unwrap();
        let text = sign(&payload(), &key).unwrap();
        assert_eq!(verify(&text, &key.verifying_key()).unwrap(), payload());

        let (body, sig) = text.split_once('.').unwrap();
        let json = String::from_utf8(STANDARD.decode(body).unwrap()).unwrap();
        let forged = STANDARD.encode(json.replace("\"hostNum\":2", "\"hostNum\":200"));
        let err = verify(&format!("{forged}.{sig}"), &key.verifying_key()).unwrap_err();
        assert!(err.contains("signature does not match"), "{err}");

        let other = generate_signing_key().unwrap();
        let err = verify(&text, &other.verifying_key()).unwrap_err();
        assert!(err.contains("signature does not match"), "{err}");
        assert!(verify("garbage", &key.verifying_key()).is_err());
        assert!(verify("a.b", &key.verifying_key()).is_err());
    }

    #[test]
    fn keys_round_trip_through_their_text_and_the_builtin_key_reads() {
        let key = generate_signing_key().unwrap();
        let again = signing_key(&key_text(&key.to_bytes())).unwrap();
        assert_eq!(again.verifying_key(), key.verifying_key());
        let public = verifying_key(&key_text(key.verifying_key().as_bytes())).unwrap();
        assert_eq!(public, key.verifying_key());
        verifying_key(BUILTIN_PUBLIC_KEY).unwrap();
        assert!(verifying_key("AAAA").is_err());
    }

    #[test]
    fn nonsense_is_refused_even_when_signed() {
        let key = generate_signing_key().unwrap();
        let mut p = payload();
        p.host_num = -1;
        assert!(sign(&p, &key).is_err());
        let mut p = payload();
        p.capabilities = vec!["a b".into()];
        assert!(sign(&p, &key).is_err());
    }
}
