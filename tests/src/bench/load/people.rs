//! Who takes part in the load: the demo's agency managers, and buyers signed up
//! through the edge in the numbers a marketplace has. A handful of accounts could
//! not carry the mix: chat lets one person send 30 messages a minute, and the
//! load's messages would trip that abuse limit instead of measuring anything.

use std::time::{Duration, Instant};

use nds_common::auth::Role;
use nds_web::edge::operations::{LogIn, SignUp, log_in, sign_up};
use uuid::Uuid;

use super::post_operation;
use super::shape::ProductionShape;

/// Buyers signed up for the load, beside the demo's.
const NEW_BUYERS: usize = 200;
const BUYER_PASSWORD: &str = "load-buyer-2026";
/// Access tokens last 10 minutes: sign in again well before.
const SIGN_IN_AGAIN_AFTER: Duration = Duration::from_secs(300);

struct Credentials {
    email: String,
    password: String,
}

pub struct People {
    buyers: Vec<Credentials>,
    managers: Vec<(Credentials, Uuid)>,
}

/// Everyone's access tokens, and when they were issued.
pub struct Signed {
    pub buyers: Vec<String>,
    /// Managers' tokens with their agency.
    pub managers: Vec<(String, Uuid)>,
    at: Instant,
}

impl Signed {
    pub fn fresh(&self) -> bool {
        self.at.elapsed() < SIGN_IN_AGAIN_AFTER
    }
}

impl People {
    /// The demo's managers and buyers, and [`NEW_BUYERS`] more signed up now.
    pub async fn sign_up(shape: &ProductionShape) -> anyhow::Result<(People, Signed)> {
        let mut people = People { buyers: Vec::new(), managers: Vec::new() };
        for account in &shape.accounts {
            let credentials = Credentials { email: account.email.clone(), password: account.password.clone() };
            match account.role {
                Role::Buyer => people.buyers.push(credentials),
                Role::AgencyManager => {
                    let agency = shape
                        .agencies
                        .iter()
                        .find(|agency| Some(&agency.name) == account.agency_name.as_ref())
                        .ok_or_else(|| anyhow::anyhow!("no agency for {}", account.email))?;
                    people.managers.push((credentials, agency.agency_id));
                }
                _ => {}
            }
        }
        let http = reqwest::Client::new();
        let mut signed = people.sign_in(&shape.edge_url).await?;
        for number in 0..NEW_BUYERS {
            let credentials =
                Credentials { email: format!("comprador{number}@carga.nds.mx"), password: BUYER_PASSWORD.to_string() };
            let variables = sign_up::Variables {
                input: sign_up::SignUpInput {
                    email: credentials.email.clone(),
                    password: credentials.password.clone(),
                    name: format!("Comprador {number}"),
                },
            };
            let data = post_operation::<SignUp>(&http, &shape.edge_url, variables, None).await?;
            signed.buyers.push(access_token(&data, "signUp", &credentials.email)?);
            people.buyers.push(credentials);
        }
        Ok((people, signed))
    }

    pub async fn sign_in(&self, edge_url: &str) -> anyhow::Result<Signed> {
        let http = reqwest::Client::new();
        let mut signed = Signed { buyers: Vec::new(), managers: Vec::new(), at: Instant::now() };
        for credentials in &self.buyers {
            signed.buyers.push(sign_in(&http, edge_url, credentials).await?);
        }
        for (credentials, agency) in &self.managers {
            signed.managers.push((sign_in(&http, edge_url, credentials).await?, *agency));
        }
        Ok(signed)
    }
}

async fn sign_in(http: &reqwest::Client, edge_url: &str, credentials: &Credentials) -> anyhow::Result<String> {
    let variables = log_in::Variables { email: credentials.email.clone(), password: credentials.password.clone() };
    let data = post_operation::<LogIn>(http, edge_url, variables, None).await?;
    access_token(&data, "logIn", &credentials.email)
}

fn access_token(data: &serde_json::Value, field: &str, email: &str) -> anyhow::Result<String> {
    data[field]["accessToken"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("{email}: {field} answered no token: {data}"))
}
