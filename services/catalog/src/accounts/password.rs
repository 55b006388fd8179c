//! Passwords: argon2id hashes in PHC form (salt and parameters inside, so
//! parameters can be raised later without breaking stored hashes), hashed on
//! the blocking pool; and the rules for login names and passwords.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use innomatch_core::validation::Violations;

use super::AccountError;

pub const LOGIN_MIN_CHARS: usize = 3;
pub const LOGIN_MAX_CHARS: usize = 32;
pub const PASSWORD_MIN_CHARS: usize = 10;
/// Long enough for any passphrase, short enough that hashing it costs nothing extra.
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Logins compare case-insensitively and without surrounding spaces.
pub fn normalize_login(login: &str) -> String {
    login.trim().to_ascii_lowercase()
}

/// Login names: 3–32 of a–z, 0–9, `.`, `_`, `-`, starting with a letter or digit.
pub fn check_login(v: &mut Violations, field: &str, login: &str) {
    let chars = login.chars().count();
    if !(LOGIN_MIN_CHARS..=LOGIN_MAX_CHARS).contains(&chars) {
        v.add(field, format!("must be {LOGIN_MIN_CHARS} to {LOGIN_MAX_CHARS} characters long"));
    } else if !login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
        || !login.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
    {
        v.add(field, "may hold only letters a–z, digits, '.', '_' and '-', starting with a letter or digit");
    }
}

/// Passwords: 10–128 characters, not the login name.
pub fn check_password(v: &mut Violations, field: &str, password: &str, login: &str) {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        v.add(field, format!("must be at least {PASSWORD_MIN_CHARS} characters long"));
    } else if chars > PASSWORD_MAX_CHARS {
        v.add(field, format!("must be at most {PASSWORD_MAX_CHARS} characters long"));
    } else if password.eq_ignore_ascii_case(login) {
        v.add(field, "must not be the login name");
    }
    if password.contains('\0') {
        v.add(field, "must not contain NUL characters");
    }
}

/// The salt comes from `rand` (the workspace's generator), encoded the way password-hash expects.
fn hash_now(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccountError::Hashing(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Hashing(e.to_string()))
}

/// The argon2id hash (default parameters: 19 MiB, 2 passes, 1 lane) of a password.
pub async fn hash(password: String) -> Result<String, AccountError> {
    tokio::task::spawn_blocking(move || hash_now(&password)).await.map_err(|e| AccountError::Hashing(e.to_string()))?
}

/// Whether `password` matches the stored hash (false for a corrupt hash).
pub async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// The same work as [`verify`] against a hash nobody knows the password of,
/// so an unknown login takes as long to refuse as a wrong password.
pub async fn verify_dummy(password: String) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = match DUMMY.get() {
        Some(hash) => hash.clone(),
        None => {
            let fresh = hash(super::random_hex()).await.unwrap_or_default();
            DUMMY.get_or_init(|| fresh).clone()
        }
    };
    let _ = verify(password, stored).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only_and_carries_a_fresh_salt() {
        let first = hash("绿色钢铁-氢冶金-2025".into()).await.expect("hash");
        let second = hash("绿色钢铁-氢冶金-2025".into()).await.expect("hash");
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second, "every hash has its own salt");
        assert!(verify("绿色钢铁-氢冶金-2025".into(), first.clone()).await);
        assert!(!verify("绿色钢铁-氢冶金-2024".into(), first).await);
        assert!(!verify("anything".into(), "not a phc string".into()).await);
    }

    #[test]
    fn logins_and_passwords_follow_their_rules() {
        let mut v = Violations::new();
        check_login(&mut v, "login", "zhang.san-01");
        check_password(&mut v, "password", "对虾养殖-湛江-2025", "zhang.san-01");
        assert!(v.is_empty(), "{v}");
        for bad in ["zs", "张三", "-zhang", "zhang san", &"a".repeat(33)] {
            let mut v = Violations::new();
            check_login(&mut v, "login", bad);
            assert_eq!(v.0.len(), 1, "{bad:?} must be refused");
        }
        for bad in ["short", "zhang.san-01"] {
            let mut v = Violations::new();
            check_password(&mut v, "password", bad, "zhang.san-01");
            assert_eq!(v.0.len(), 1, "{bad:?} must be refused");
        }
    }
}
