//! Getting a deployment going: the first platform admin, service accounts for
//! internal callers, and the demo data of `nds dev`.

use nds_common::Secret;
use nds_common::auth::Role;
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::IdentityService;
use crate::domain::email::Email;
use crate::domain::password::NewPassword;
use crate::domain::{secrets, text};
use crate::error::{IdentityError, IdentityResult};
use crate::store::{orgs as org_store, service_accounts as account_store, users as user_store};
use nds_common::audit::{self, AuditEvent};

#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub role: Role,
    pub email: String,
    pub password: String,
    pub agency_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DemoAgency {
    pub agency_id: Uuid,
    pub group_id: Uuid,
    pub name: String,
    pub city: String,
    pub state: String,
}

#[derive(Debug, Clone)]
pub struct DemoIdentity {
    pub accounts: Vec<DemoAccount>,
    pub agencies: Vec<DemoAgency>,
}

struct DemoGroup {
    name: &'static str,
    slug: &'static str,
    agencies: [(&'static str, &'static str, &'static str, &'static str); 2],
}

const DEMO_GROUPS: [DemoGroup; 2] = [
    DemoGroup {
        name: "Grupo Automotriz del Valle",
        slug: "valle",
        agencies: [
            ("Valle Motors Polanco", "polanco", "Ciudad de México", "Ciudad de México"),
            ("Valle Motors Angelópolis", "angelopolis", "Puebla", "Puebla"),
        ],
    },
    DemoGroup {
        name: "Autos del Norte",
        slug: "norte",
        agencies: [
            ("Autos del Norte Valle Oriente", "valleoriente", "Monterrey", "Nuevo León"),
            ("Autos del Norte Saltillo", "saltillo", "Saltillo", "Coahuila"),
        ],
    },
];

const DEMO_BUYERS: [(&str, &str); 2] = [("María González", "maria"), ("John Carter", "john")];

impl IdentityService {
    /// Creates a user with `role` (and scope) unless the email exists, in which
    /// case the role is granted to that account. Returns the user id.
    async fn ensure_user_with_role(
        &self,
        email: &str,
        name: &str,
        password: &str,
        role: Role,
        group_id: Option<Uuid>,
        agency_id: Option<Uuid>,
    ) -> IdentityResult<Uuid> {
        let email = Email::parse(email, "email")?;
        let transaction = self.database.begin().await?;
        let user = match user_store::find_by_email(&transaction, email.as_str()).await? {
            Some(user) => user,
            None => {
                let name = text::required(name, "name", 120)?;
                self.create_user(&transaction, &email, &name, NewPassword::parse(password)?).await?
            }
        };
        if user_store::add_membership(&transaction, user.id, role.as_str(), group_id, agency_id).await? {
            audit::record(
                &transaction,
                AuditEvent {
                    actor: "system",
                    action: "membership.granted",
                    target_type: "user",
                    target_id: user.id.to_string(),
                    detail: serde_json::json!({ "role": role.as_str(), "group_id": group_id, "agency_id": agency_id }),
                },
            )
            .await?;
        }
        transaction.commit().await?;
        Ok(user.id)
    }

    /// The first platform admin of a deployment. Idempotent: an existing account
    /// with that email is granted the role and keeps its password.
    pub async fn bootstrap_platform_admin(&self, email: &str, password: &str) -> IdentityResult<Uuid> {
        self.ensure_user_with_role(email, "Platform administrator", password, Role::PlatformAdmin, None, None).await
    }

    /// Creates a service account or gives an existing one a new secret (the old
    /// secret stops working). Returns the secret: shown once, stored hashed.
    pub async fn ensure_service_account(&self, client_id: &str, scopes: &[&str]) -> IdentityResult<Secret<String>> {
        let secret = Secret::new(secrets::generate());
        self.ensure_service_account_with_secret(client_id, scopes, &secret).await?;
        Ok(secret)
    }

    /// Creates the service account (or resets its secret and scopes) with a secret the
    /// operator chose: the same Secret then configures identity and the callers.
    pub async fn ensure_service_account_with_secret(
        &self,
        client_id: &str,
        scopes: &[&str],
        secret: &Secret<String>,
    ) -> IdentityResult<()> {
        if secret.expose().len() < 32 {
            return Err(IdentityError::invalid("client_secret", "service account secrets need at least 32 characters"));
        }
        let client_id = text::required(client_id, "client_id", 100)?;
        if client_id.contains(char::is_whitespace) {
            return Err(IdentityError::invalid("client_id", "client id cannot contain spaces"));
        }
        if scopes.iter().any(|scope| scope.is_empty() || scope.contains(char::is_whitespace)) {
            return Err(IdentityError::invalid("scopes", "scopes are single words"));
        }
        account_store::upsert(&self.database, &client_id, &secrets::hash(secret.expose()), &scopes.join(" ")).await?;
        tracing::info!(client_id = %client_id, scopes = ?scopes, "service account secret issued");
        Ok(())
    }

    /// Demo organisations and accounts for `nds dev`; `None` when any user exists.
    pub async fn seed_demo(&self) -> IdentityResult<Option<DemoIdentity>> {
        if user_store::any_exists(&self.database).await? {
            return Ok(None);
        }
        let mut accounts = Vec::new();
        let mut agencies = Vec::new();
        let mut account = |role: Role, email: String, password: &str, agency_name: Option<&str>| {
            accounts.push(DemoAccount {
                role,
                email,
                password: password.to_string(),
                agency_name: agency_name.map(str::to_string),
            });
        };

        let admin_email = "admin@nds.mx".to_string();
        self.ensure_user_with_role(
            &admin_email,
            "Administración NDS",
            "demo-admin-2026",
            Role::PlatformAdmin,
            None,
            None,
        )
        .await?;
        account(Role::PlatformAdmin, admin_email, "demo-admin-2026", None);

        for demo_group in &DEMO_GROUPS {
            let group = org_store::insert_group(&self.database, demo_group.name).await?;
            let group_admin = format!("direccion@{}.demo.nds.mx", demo_group.slug);
            self.ensure_user_with_role(
                &group_admin,
                &format!("Dirección {}", demo_group.name),
                "demo-group-2026",
                Role::GroupAdmin,
                Some(group.id),
                None,
            )
            .await?;
            account(Role::GroupAdmin, group_admin, "demo-group-2026", None);
            for (name, slug, city, state) in demo_group.agencies {
                let agency = org_store::insert_agency(&self.database, group.id, name, city, state).await?;
                let manager = format!("gerente@{slug}.demo.nds.mx");
                self.ensure_user_with_role(
                    &manager,
                    &format!("Gerencia {name}"),
                    "demo-manager-2026",
                    Role::AgencyManager,
                    Some(group.id),
                    Some(agency.id),
                )
                .await?;
                account(Role::AgencyManager, manager, "demo-manager-2026", Some(name));
                for seller in 1..=2 {
                    let email = format!("ventas{seller}@{slug}.demo.nds.mx");
                    self.ensure_user_with_role(
                        &email,
                        &format!("Ventas {seller} {name}"),
                        "demo-sales-2026",
                        Role::Salesperson,
                        Some(group.id),
                        Some(agency.id),
                    )
                    .await?;
                    account(Role::Salesperson, email, "demo-sales-2026", Some(name));
                }
                agencies.push(DemoAgency {
                    agency_id: agency.id,
                    group_id: group.id,
                    name: name.to_string(),
                    city: city.to_string(),
                    state: state.to_string(),
                });
            }
        }
        for (name, slug) in DEMO_BUYERS {
            let email = format!("{slug}@demo.nds.mx");
            self.ensure_user_with_role(&email, name, "demo-buyer-2026", Role::Buyer, None, None).await?;
            account(Role::Buyer, email, "demo-buyer-2026", None);
        }
        Ok(Some(DemoIdentity { accounts, agencies }))
    }
}
