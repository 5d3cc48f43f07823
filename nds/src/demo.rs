//! Demo data for `nds dev`: organisations and accounts from identity, several
//! hundred realistic listings from catalog (through the same domain path, so the
//! change feed and the search index see them). Loaded once; the logins are kept
//! in the data directory so later starts can print them again.

use anyhow::Context;
use nds_common::runtime::Runtime;

/// How many listings the demo catalog gets.
pub const DEMO_LISTINGS: usize = 400;
const LOGINS_FILE: &str = "demo-logins.txt";

/// What the demo seed made: identity's organisations and accounts (with their
/// passwords), and how many listings catalog got.
pub struct DemoSeed {
    pub identity: svc_identity::DemoIdentity,
    pub listings: usize,
}

/// Seeds identity and catalog unless identity was seeded before (then `None`).
pub async fn seed(runtime: &Runtime) -> anyhow::Result<Option<DemoSeed>> {
    let Some(identity) = svc_identity::seed_demo(runtime).await.context("seeding demo organisations")? else {
        return Ok(None);
    };
    let agencies: Vec<svc_catalog::DemoAgencyRef> = identity
        .agencies
        .iter()
        .map(|agency| svc_catalog::DemoAgencyRef {
            agency_id: agency.agency_id,
            group_id: agency.group_id,
            city: agency.city.clone(),
            state: agency.state.clone(),
        })
        .collect();
    let listings = svc_catalog::seed_demo(runtime, &agencies, DEMO_LISTINGS).await.context("seeding demo listings")?;
    Ok(Some(DemoSeed { identity, listings }))
}

/// Seeds on first start and returns the printable logins (one line per account).
pub async fn load(runtime: &Runtime) -> anyhow::Result<String> {
    let logins_path = runtime.config.data_dir.join(LOGINS_FILE);
    let Some(DemoSeed { identity, listings }) = seed(runtime).await? else {
        return Ok(std::fs::read_to_string(&logins_path)
            .unwrap_or_else(|_| "demo data was loaded before; its logins file is gone".to_string()));
    };
    let mut text = format!("demo data: {} agencies, {listings} listings. Logins:\n", identity.agencies.len());
    for account in &identity.accounts {
        let agency = account.agency_name.as_deref().map(|name| format!(" ({name})")).unwrap_or_default();
        text.push_str(&format!("  {:<15} {:<40} {}{agency}\n", account.role.as_str(), account.email, account.password));
    }
    std::fs::write(&logins_path, &text).with_context(|| format!("writing {}", logins_path.display()))?;
    Ok(text)
}
