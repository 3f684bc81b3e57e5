//! How credentials are kept: a password as a salted argon2id hash of the sha512 hex clients send,
//! a session as the sha256 of its token. A copy of the database then lets no one log in or use a
//! session.

use std::sync::LazyLock;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use zstack_kernel::ApiResult;
use zstack_kernel::error::ApiError;

/// argon2id with 12 MiB, 3 passes and 1 lane: one of the settings OWASP rates equal to its first
/// choice (19 MiB, 2 passes). Measured inside the node on this 2-core machine, under load, one
/// hash takes about 17 ms with it against 28 ms with 19 MiB, which also faults in its 19 MiB
/// afresh each time (about 4,800 page faults a hash, against about 200): a login stays near
/// 20 ms, well under 50 ms, while an offline guess costs the same 17 ms and 12 MiB instead of
/// one sha512. Stored hashes carry their parameters, so changing these later still verifies
/// older rows.
const PARAMS: Result<Params, argon2::Error> = Params::new(12 * 1024, 3, 1, None);

fn hasher() -> Result<Argon2<'static>, String> {
    let params = PARAMS.map_err(|e| e.to_string())?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// At most this many hashes run at once: each holds 12 MiB and a core, so a flood of logins
/// queues here instead of exhausting memory.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
});

/// What a password check found.
#[derive(Debug)]
pub enum Verdict {
    /// The password is right; `rehashed` is the slow hash to store in place of a legacy
    /// plain-sha512 row.
    Accepted {
        rehashed: Option<String>,
    },
    Refused,
}

/// The slow hash to store for a client's sha512 hex (hex case does not matter).
pub async fn hash(password: &str) -> ApiResult<String> {
    let password = password.to_ascii_lowercase();
    Ok(blocking(move || hash_now(&password)).await?)
}

/// Checks `presented` (a client's sha512 hex) against a stored password: a slow hash, or a
/// legacy plain sha512 hex. Every path, an unknown account (`None`) included, costs one slow
/// hash, so timing tells nothing about which accounts exist or how they are stored.
pub async fn verify(stored: Option<String>, presented: &str) -> ApiResult<Verdict> {
    let presented = presented.to_ascii_lowercase();
    Ok(blocking(move || verify_now(stored.as_deref(), &presented)).await?)
}

/// Computes the stand-in hash now, so that the first unknown name does not take twice as long.
pub async fn prepare() -> ApiResult<()> {
    Ok(blocking(|| dummy().map(|_| ())).await?)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, ApiError> {
    let _slot = HASHING
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(format!("password hashing failed: {e}")))
}

fn hash_now(password: &str) -> Result<String, String> {
    hasher()?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn is_slow_hash(stored: &str) -> bool {
    stored.starts_with("$argon2")
}

fn verify_now(stored: Option<&str>, presented: &str) -> Result<Verdict, String> {
    let hasher = hasher()?;
    match stored {
        Some(hashed) if is_slow_hash(hashed) => Ok(
            if hasher.verify_password(presented.as_bytes(), hashed).is_ok() {
                Verdict::Accepted { rehashed: None }
            } else {
                Verdict::Refused
            },
        ),
        Some(legacy) if same(legacy.to_ascii_lowercase().as_bytes(), presented.as_bytes()) => {
            Ok(Verdict::Accepted {
                rehashed: Some(hash_now(presented)?),
            })
        }
        _ => {
            // No account, or a wrong legacy password: spend what a real check would.
            let _ = hasher.verify_password(presented.as_bytes(), dummy()?);
            Ok(Verdict::Refused)
        }
    }
}

/// A hash of a random password, for checks that have nothing real to verify against.
fn dummy() -> Result<&'static str, String> {
    static DUMMY: LazyLock<Result<String, String>> =
        LazyLock::new(|| hash_now(&zstack_kernel::message::new_uuid()));
    DUMMY.as_deref().map_err(Clone::clone)
}

/// Equality whose time does not depend on where the inputs differ (legacy rows all have the
/// same length, 128 hex digits, so the length says nothing).
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// What the session table keeps of a session token. Tokens are random (122 bits), so a fast
/// unsalted hash is enough to make a stolen table useless.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA512_OF_PASSWORD: &str = "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86";

    #[test]
    fn slow_hashes_are_salted_and_verify_in_any_hex_case() {
        let a = hash_now(SHA512_OF_PASSWORD).unwrap();
        let b = hash_now(SHA512_OF_PASSWORD).unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=12288,t=3,p=1$"), "{a}");
        assert_ne!(a, b);
        assert!(matches!(
            verify_now(Some(&a), SHA512_OF_PASSWORD).unwrap(),
            Verdict::Accepted { rehashed: None }
        ));
        assert!(matches!(
            verify_now(Some(&a), &SHA512_OF_PASSWORD.replace('b', "c")).unwrap(),
            Verdict::Refused
        ));
        assert!(matches!(
            verify_now(None, SHA512_OF_PASSWORD).unwrap(),
            Verdict::Refused
        ));
    }

    #[test]
    fn legacy_rows_verify_and_come_back_rehashed() {
        let upper = SHA512_OF_PASSWORD.to_ascii_uppercase();
        match verify_now(Some(&upper), SHA512_OF_PASSWORD).unwrap() {
            Verdict::Accepted {
                rehashed: Some(new),
            } => assert!(matches!(
                verify_now(Some(&new), SHA512_OF_PASSWORD).unwrap(),
                Verdict::Accepted { rehashed: None }
            )),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            verify_now(Some(SHA512_OF_PASSWORD), &SHA512_OF_PASSWORD[1..]).unwrap(),
            Verdict::Refused
        ));
    }

    #[test]
    fn token_hashes_are_sha256_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
