//! The panel's page of an agency's people: its staff, the invitations not
//! accepted yet, and inviting someone.

pub struct StaffText {
    pub nav: &'static str,
    pub title: fn(&str) -> String,
    pub staff_heading: &'static str,
    pub no_staff: &'static str,
    pub suspended: &'static str,
    pub pending_heading: &'static str,
    pub no_pending: &'static str,
    /// "Sent 6 Dec 2026 · valid until 13 Dec 2026".
    pub sent: fn(&str, &str) -> String,
    pub invite_heading: &'static str,
    pub invite_intro: &'static str,
    pub email: &'static str,
    pub role: &'static str,
    pub invite_button: &'static str,
    pub invited: fn(&str) -> String,
    pub read_only: &'static str,
}

pub const ES: StaffText = StaffText {
    nav: "Equipo",
    title: |agency| format!("Equipo de {agency}"),
    staff_heading: "Quiénes trabajan aquí",
    no_staff: "Todavía no hay nadie en la agencia.",
    suspended: "suspendido",
    pending_heading: "Invitaciones sin aceptar",
    no_pending: "No hay invitaciones pendientes.",
    sent: |sent, until| format!("Enviada el {sent} · vence el {until}"),
    invite_heading: "Invitar a alguien",
    invite_intro: "Le enviamos un correo con un enlace para crear su cuenta; vale 7 días.",
    email: "Correo electrónico",
    role: "Puesto",
    invite_button: "Enviar invitación",
    invited: |email| format!("Listo: enviamos la invitación a {email}."),
    read_only: "Solo los gerentes de la agencia pueden invitar.",
};

pub const EN: StaffText = StaffText {
    nav: "Team",
    title: |agency| format!("Team of {agency}"),
    staff_heading: "Who works here",
    no_staff: "Nobody works at the agency yet.",
    suspended: "suspended",
    pending_heading: "Invitations not accepted yet",
    no_pending: "No invitations are pending.",
    sent: |sent, until| format!("Sent {sent} · valid until {until}"),
    invite_heading: "Invite someone",
    invite_intro: "We mail them a link to create their account; it is valid for 7 days.",
    email: "E-mail",
    role: "Role",
    invite_button: "Send the invitation",
    invited: |email| format!("Done: the invitation was sent to {email}."),
    read_only: "Only the agency's managers can invite.",
};
