//! Where identity's key-encryption key comes from: `NDS_KEY_ENCRYPTION_KEY` (a
//! Secret in the chart), or in development a file in the data directory, made on
//! first start. Production refuses to start without the variable: a generated key
//! inside a container would be lost with it, and every sealed signing key with it.

use std::io::Write;
use std::path::Path;

use nds_common::Config;

use crate::domain::key_sealing::{KeyEncryptionKey, KeySealer};
use crate::error::{IdentityError, IdentityResult};

/// The development key's file under `NDS_DATA_DIR`.
pub const DEVELOPMENT_KEY_FILE: &str = "key-encryption.key";

/// The sealer of the configured keys.
pub fn sealer_from_config(config: &Config) -> IdentityResult<KeySealer> {
    let current = match &config.key_encryption_key {
        Some(encoded) => KeyEncryptionKey::from_base64(encoded.expose())?,
        None if config.is_production() => {
            return Err(IdentityError::Crypto(
                "NDS_KEY_ENCRYPTION_KEY is required in production (32 random bytes in base64: `openssl rand -base64 32`)"
                    .into(),
            ));
        }
        None => development_key(&config.data_dir)?,
    };
    let previous = config
        .key_encryption_keys_previous
        .iter()
        .map(|encoded| KeyEncryptionKey::from_base64(encoded.expose()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KeySealer::new(current, previous))
}

fn io_error(path: &Path, error: std::io::Error) -> IdentityError {
    IdentityError::Crypto(format!("key-encryption key file {}: {error}", path.display()))
}

/// Reads the data directory's key, creating it if absent. Creation writes a
/// private temporary file and links it into place, so two processes starting
/// together agree on one key and neither reads a half-written file.
fn development_key(data_dir: &Path) -> IdentityResult<KeyEncryptionKey> {
    let path = data_dir.join(DEVELOPMENT_KEY_FILE);
    if !path.exists() {
        std::fs::create_dir_all(data_dir).map_err(|error| io_error(data_dir, error))?;
        let temporary = data_dir.join(format!(".{DEVELOPMENT_KEY_FILE}.{}", uuid::Uuid::new_v4().simple()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary).map_err(|error| io_error(&temporary, error))?;
        writeln!(file, "{}", KeyEncryptionKey::generate_base64()?).map_err(|error| io_error(&temporary, error))?;
        file.sync_all().map_err(|error| io_error(&temporary, error))?;
        let linked = std::fs::hard_link(&temporary, &path);
        std::fs::remove_file(&temporary).ok();
        match linked {
            Ok(()) => tracing::info!(path = %path.display(), "created a development key-encryption key"),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(io_error(&path, error)),
        }
    }
    let encoded = std::fs::read_to_string(&path).map_err(|error| io_error(&path, error))?;
    Ok(KeyEncryptionKey::from_base64(&encoded)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        Config::from_vars(pairs.iter().map(|(name, value)| (name.to_string(), value.to_string()))).unwrap()
    }

    #[test]
    fn development_keeps_one_key_in_the_data_directory() {
        let data_dir = std::env::temp_dir().join(format!("nds-kek-{}", uuid::Uuid::new_v4().simple()));
        let vars = [("NDS_DATA_DIR", data_dir.to_str().unwrap())];
        let first = sealer_from_config(&config(&vars)).unwrap();
        let second = sealer_from_config(&config(&vars)).unwrap();
        assert_eq!(first.current_kek_id(), second.current_kek_id(), "the second start reads the first one's key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data_dir.join(DEVELOPMENT_KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by its owner only");
        }
        std::fs::remove_dir_all(&data_dir).ok();
    }

    #[test]
    fn production_needs_the_variable_and_a_malformed_key_is_refused() {
        let error = sealer_from_config(&config(&[("NDS_ENV", "production")])).err().unwrap();
        assert!(error.to_string().contains("NDS_KEY_ENCRYPTION_KEY is required"), "{error}");
        let error = sealer_from_config(&config(&[("NDS_KEY_ENCRYPTION_KEY", "c2hvcnQ=")])).err().unwrap();
        assert!(error.to_string().contains("32 random bytes"), "{error}");
        let key = KeyEncryptionKey::generate_base64().unwrap();
        let sealer = sealer_from_config(&config(&[("NDS_ENV", "production"), ("NDS_KEY_ENCRYPTION_KEY", &key)]));
        assert_eq!(sealer.unwrap().current_kek_id(), KeyEncryptionKey::from_base64(&key).unwrap().id());
    }
}
