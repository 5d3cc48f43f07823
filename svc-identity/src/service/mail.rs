//! The mail identity sends. Spanish first (the market), English after.
//! Delivery failures are logged, never fatal: the change they announce is
//! already committed.

use nds_common::mail::{OutgoingMail, SharedMailer};

pub fn invitation(public_url: &str, to: &str, agency_name: &str, role: &str, token: &str) -> OutgoingMail {
    let link = format!("{public_url}/invitations/accept?token={token}");
    OutgoingMail {
        to: to.to_string(),
        subject: format!("Invitación a {agency_name} en NDS"),
        body: format!(
            "Hola,\n\nTe invitaron a unirte a {agency_name} en NDS como {role}.\n\
             Acepta la invitación (válida 7 días) aquí:\n{link}\n\n\
             You were invited to join {agency_name} on NDS as {role}.\n\
             Accept within 7 days with the link above.\n\nInvitation token: {token}\n"
        ),
    }
}

pub fn password_reset(public_url: &str, to: &str, token: &str) -> OutgoingMail {
    let link = format!("{public_url}/password/reset?token={token}");
    OutgoingMail {
        to: to.to_string(),
        subject: "Restablece tu contraseña de NDS".to_string(),
        body: format!(
            "Hola,\n\nPediste restablecer tu contraseña de NDS. Elige una nueva aquí (el enlace sirve \
             una vez, durante una hora):\n{link}\n\nSi no lo pediste, ignora este correo: tu contraseña no cambia.\n\n\
             You asked to reset your NDS password. Choose a new one with the link above (single use, \
             valid for one hour). If you did not ask, ignore this mail: your password stays as it is.\n"
        ),
    }
}

pub fn application_approved(public_url: &str, to: &str, company: &str, token: &str) -> OutgoingMail {
    let link = format!("{public_url}/invitations/accept?token={token}");
    OutgoingMail {
        to: to.to_string(),
        subject: format!("Solicitud aprobada: {company}"),
        body: format!(
            "¡Felicidades! Aprobamos la solicitud de {company} en NDS.\n\
             Crea tu cuenta de gerente de agencia (válido 7 días):\n{link}\n\n\
             Your application for {company} was approved. Create your agency manager account with the link above.\n\n\
             Invitation token: {token}\n"
        ),
    }
}

pub fn application_rejected(to: &str, company: &str, reason: &str) -> OutgoingMail {
    OutgoingMail {
        to: to.to_string(),
        subject: format!("Solicitud no aprobada: {company}"),
        body: format!(
            "Lamentamos informarte que la solicitud de {company} en NDS no fue aprobada.\n\
             Motivo: {reason}\n\n\
             We are sorry: the application for {company} was not approved.\nReason: {reason}\n"
        ),
    }
}

pub async fn deliver(mailer: &SharedMailer, mail: OutgoingMail) {
    if let Err(error) = mailer.send(&mail).await {
        tracing::error!(error = %error, subject = %mail.subject, "mail delivery failed");
    }
}
