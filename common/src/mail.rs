//! Outgoing mail behind one trait: SMTP (lettre) in production, `.eml` files under
//! the data directory in `nds dev` and tests, so what would be sent can be read.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address {0:?}")]
    InvalidAddress(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("could not deliver: {0}")]
    Delivery(String),
}

#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError>;
}

pub type SharedMailer = Arc<dyn Mailer>;

fn build_message(from: &Mailbox, mail: &OutgoingMail) -> Result<Message, MailError> {
    let to: Mailbox = mail.to.parse().map_err(|_| MailError::InvalidAddress(mail.to.clone()))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|error| MailError::Build(error.to_string()))
}

fn parse_from(from: &str) -> Result<Mailbox, MailError> {
    from.parse().map_err(|_| MailError::InvalidAddress(from.to_string()))
}

/// Writes each message as an RFC 5322 `.eml` file.
pub struct FileMailer {
    directory: PathBuf,
    from: Mailbox,
}

impl FileMailer {
    pub fn new(directory: impl Into<PathBuf>, from: &str) -> Result<Self, MailError> {
        Ok(Self { directory: directory.into(), from: parse_from(from)? })
    }

    pub fn directory(&self) -> &PathBuf {
        &self.directory
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = build_message(&self.from, mail)?;
        tokio::fs::create_dir_all(&self.directory).await.map_err(|error| MailError::Delivery(error.to_string()))?;
        let name = format!("{}-{}.eml", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"), uuid::Uuid::new_v4());
        tokio::fs::write(self.directory.join(name), message.formatted())
            .await
            .map_err(|error| MailError::Delivery(error.to_string()))?;
        tracing::info!(to = %mail.to, subject = %mail.subject, "mail written to file");
        Ok(())
    }
}

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// `smtp://host:port` (plain, e.g. a local relay), `smtp://…?tls=required` or `smtps://user:pass@host:465`.
    pub fn new(url: &str, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|error| MailError::Build(error.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        Ok(Self { transport, from: parse_from(from)? })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = build_message(&self.from, mail)?;
        self.transport.send(message).await.map_err(|error| MailError::Delivery(error.to_string()))?;
        Ok(())
    }
}

/// SMTP when a URL is configured, `.eml` files under `data_dir/mail` otherwise.
pub fn from_config(smtp_url: Option<&str>, from: &str, data_dir: &std::path::Path) -> Result<SharedMailer, MailError> {
    match smtp_url {
        Some(url) => Ok(Arc::new(SmtpMailer::new(url, from)?)),
        None => Ok(Arc::new(FileMailer::new(data_dir.join("mail"), from)?)),
    }
}

/// Reads the `.eml` files a [`FileMailer`] wrote, oldest first (for tests and `nds dev`).
pub fn read_mailbox(directory: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect();
    paths.sort();
    paths.iter().filter_map(|path| std::fs::read_to_string(path).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn file_mailer_writes_a_readable_message() {
        let directory = std::env::temp_dir().join(format!("nds-mail-{}", uuid::Uuid::new_v4()));
        let mailer = FileMailer::new(&directory, "NDS <no-reply@nds.local>").unwrap();
        let mail = OutgoingMail { to: "ana@example.com".into(), subject: "Bienvenida".into(), body: "Hola Ana".into() };
        mailer.send(&mail).await.unwrap();
        let messages = read_mailbox(&directory);
        assert_eq!(messages.len(), 1);
        assert!(messages[0].contains("To: ana@example.com"));
        assert!(messages[0].contains("Hola Ana"));
        std::fs::remove_dir_all(directory).ok();
    }

    #[tokio::test]
    async fn invalid_recipients_are_refused_before_anything_is_written() {
        let directory = std::env::temp_dir().join(format!("nds-mail-{}", uuid::Uuid::new_v4()));
        let mailer = FileMailer::new(&directory, "no-reply@nds.local").unwrap();
        let mail = OutgoingMail { to: "not an address".into(), subject: "x".into(), body: "y".into() };
        assert!(matches!(mailer.send(&mail).await, Err(MailError::InvalidAddress(_))));
        assert!(read_mailbox(&directory).is_empty());
    }
}
