//! What end-to-end tests do the same way: read GraphQL answers, read the mail the
//! system sent, log in, and onboard an agency through the real workflow
//! (application → platform admin's approval → mailed invitation → accepted).

// Test support: a failed expectation here is a failed test, said loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};

use crate::TestSystem;

/// The platform admin every onboarding uses (created on first use).
pub const ADMIN_EMAIL: &str = "admin@nds.test";
pub const ADMIN_PASSWORD: &str = "admin-password-2026";

/// The log-in mutation (variables `email`, `password`).
pub const LOG_IN: &str = "mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken refreshToken user { id email memberships { role agencyId } } } }";

/// `data.<field>` of a response that must have no errors.
pub fn data<'a>(response: &'a Value, field: &str) -> &'a Value {
    assert!(response.get("errors").is_none(), "unexpected errors: {response}");
    &response["data"][field]
}

/// `extensions.code` of the first error of a response that must have one.
pub fn error_code(response: &Value) -> String {
    response["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error in {response}")).to_string()
}

/// Mail text with quoted-printable soft line breaks and `=3D` undone.
pub fn unfolded(mail: &str) -> String {
    mail.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
}

/// The token after "Invitation token: " in a mail.
pub fn invitation_token(mail: &str) -> Option<String> {
    let mail = unfolded(mail);
    let start = mail.find("Invitation token: ")? + "Invitation token: ".len();
    let token: String = mail[start..]
        .chars()
        .take_while(|character| character.is_ascii_alphanumeric() || "-_".contains(*character))
        .collect();
    (!token.is_empty()).then_some(token)
}

/// An onboarded agency: its id and its manager's access token.
pub struct Agency {
    pub id: String,
    pub manager_token: String,
}

impl TestSystem {
    /// The id of the user `token` belongs to (`me`).
    pub async fn user_id(&self, token: &str) -> String {
        let me = self.graphql("{ me { id } }", json!({}), Some(token)).await.unwrap();
        data(&me, "me")["id"].as_str().unwrap().to_string()
    }

    /// Every mail the system wrote, unfolded, oldest first.
    pub fn mails(&self) -> Vec<String> {
        nds_common::mail::read_mailbox(&self.data_dir.join("mail")).iter().map(|mail| unfolded(mail)).collect()
    }

    /// The `logIn` payload (accessToken, refreshToken, user { id email memberships { role agencyId } }).
    pub async fn log_in(&self, email: &str, password: &str) -> Value {
        let response = self.graphql(LOG_IN, json!({ "email": email, "password": password }), None).await.unwrap();
        data(&response, "logIn").clone()
    }

    pub async fn access_token(&self, email: &str, password: &str) -> String {
        self.log_in(email, password).await["accessToken"].as_str().unwrap().to_string()
    }

    /// The platform admin's token (the account is created on first use).
    pub async fn admin_token(&self) -> String {
        let runtime = &self.running.as_ref().unwrap().runtime;
        svc_identity::bootstrap_platform_admin(runtime, ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap();
        self.access_token(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// A new buyer's access token.
    pub async fn sign_up_buyer(&self, email: &str, password: &str) -> String {
        let query = "mutation($email: String!, $password: String!) { signUp(input: { email: $email, password: $password, name: \"Comprador\" }) { accessToken } }";
        let response = self.graphql(query, json!({ "email": email, "password": password }), None).await.unwrap();
        data(&response, "signUp")["accessToken"].as_str().unwrap().to_string()
    }

    /// Signs `email` up and has the platform admin appoint them administrator of
    /// the agency's group (over gRPC: the public API has no such operation).
    /// Returns the group's id and the new admin's token, which carries the role.
    pub async fn appoint_group_admin(&self, agency_id: &str, email: &str, password: &str) -> (String, String) {
        use nds_proto::identity::v1::GrantGroupAdminRequest;
        use nds_proto::identity::v1::identity_service_client::IdentityServiceClient;
        let found = self.graphql("query($id: ID!) { agency(id: $id) { groupId } }", json!({ "id": agency_id }), None);
        let group_id = data(&found.await.unwrap(), "agency")["groupId"].as_str().unwrap().to_string();
        let signed_up = self.sign_up_buyer(email, password).await;
        let user_id = self.user_id(&signed_up).await;
        let admin = self.admin_token().await;
        let runtime = &self.running.as_ref().unwrap().runtime;
        let mut identity = IdentityServiceClient::new(runtime.channels.identity.clone());
        let context = nds_common::grpc::CallContext::new(std::time::Duration::from_secs(5)).with_bearer(&admin);
        identity
            .grant_group_admin(context.request(GrantGroupAdminRequest { user_id, group_id: group_id.clone() }))
            .await
            .unwrap();
        // A fresh token carries the new membership.
        (group_id, self.access_token(email, password).await)
    }

    /// Accepts the newest invitation mailed to `email`; returns the access token.
    pub async fn accept_invitation(&self, email: &str, name: &str, password: &str) -> String {
        let token = self
            .mails()
            .iter()
            .rev()
            .filter(|mail| mail.contains(email))
            .find_map(|mail| invitation_token(mail))
            .expect("the mail carries an invitation token");
        let query = "mutation($token: String!, $name: String!, $password: String!) { acceptInvitation(token: $token, name: $name, password: $password) { accessToken } }";
        let accepted =
            self.graphql(query, json!({ "token": token, "name": name, "password": password }), None).await.unwrap();
        data(&accepted, "acceptInvitation")["accessToken"].as_str().unwrap().to_string()
    }

    /// Applies for an agency, has the platform admin approve it, and accepts the
    /// invitation mailed to `manager_email` (password "<company-ish>-2026-segura").
    pub async fn onboard_agency(&self, company: &str, tax_id: &str, manager_email: &str) -> Agency {
        let application = self
            .graphql(
                "mutation($input: AgencyApplicationInput!) { applyForAgency(input: $input) { id } }",
                json!({ "input": {
                    "companyName": company, "contactName": "Gerente", "contactEmail": manager_email,
                    "taxId": tax_id, "address": "Av. Insurgentes Sur 1000", "city": "Ciudad de México",
                    "state": "CDMX", "groupName": format!("Grupo {company}"), "expectedListings": 20 } }),
                None,
            )
            .await
            .unwrap();
        let application_id = data(&application, "applyForAgency")["id"].as_str().unwrap().to_string();
        let admin = self.admin_token().await;
        let approved = self
            .graphql(
                "mutation($id: ID!) { reviewAgencyApplication(id: $id, approve: true) { agency { id } } }",
                json!({ "id": application_id }),
                Some(&admin),
            )
            .await
            .unwrap();
        let id = data(&approved, "reviewAgencyApplication")["agency"]["id"].as_str().unwrap().to_string();
        let manager_token = self.accept_invitation(manager_email, "Gerente", "gerencia-2026-segura").await;
        Agency { id, manager_token }
    }
}

/// The path and query of the first link in `mail` that starts with `prefix`
/// (e.g. "/invitations/accept"), whatever host the mail names: tests open it on
/// the site they started.
pub fn mailed_path(mail: &str, prefix: &str) -> Option<String> {
    let mail = unfolded(mail);
    mail.split_whitespace().find_map(|word| {
        let start = word.find("://")?;
        let after_scheme = &word[start + 3..];
        let path_start = after_scheme.find('/')?;
        let path = &after_scheme[path_start..];
        path.starts_with(prefix).then(|| path.trim_end_matches(['.', ',', ')', '>']).to_string())
    })
}
