//! Publish → searchable under load: while a step runs, a manager publishes a car
//! every two seconds and a buyer's search polls until it shows. The probe's cars
//! have a model of their own, so a search for it finds nothing else.

use std::time::{Duration, Instant};

use nds_web::edge::operations::{
    PanelCreateListing, PanelPublishListing, SearchPage, panel_publish_listing, search_page,
};
use serde_json::json;
use tokio::sync::watch;

use super::post_operation;

const MAKE: &str = "Tesla";
const MODEL: &str = "Sonda";
const EVERY: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(20);
/// A car not searchable after this long is an error of the run, not a long lag.
const GIVE_UP: Duration = Duration::from_secs(30);

pub struct Probe {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<Vec<u64>>>,
}

impl Probe {
    pub fn start(edge_url: &str, manager_token: &str) -> Probe {
        let (stop, stopped) = watch::channel(false);
        let (edge_url, token) = (edge_url.to_string(), manager_token.to_string());
        let task = tokio::spawn(async move { probe(edge_url, token, stopped).await });
        Probe { stop, task }
    }

    /// The lags measured, in ms.
    pub async fn stop(self) -> anyhow::Result<Vec<u64>> {
        self.stop.send(true).ok();
        self.task.await?
    }
}

async fn probe(edge_url: String, token: String, stopped: watch::Receiver<bool>) -> anyhow::Result<Vec<u64>> {
    let http = reqwest::Client::new();
    let search: search_page::Variables = serde_json::from_value(json!({
        "input": { "filters": { "makes": [MAKE.to_lowercase()], "models": [MODEL.to_lowercase()] }, "sort": "NEWEST", "first": 5 }
    }))?;
    let mut lags = Vec::new();
    while !*stopped.borrow() {
        let next = Instant::now() + EVERY;
        let mut input = super::mix::new_listing(MAKE, MODEL);
        input["input"]["price"] = json!(40_000_000 + lags.len() as i64);
        let created =
            post_operation::<PanelCreateListing>(&http, &edge_url, serde_json::from_value(input)?, Some(&token))
                .await?;
        let id = created["createListing"]["id"].as_str().unwrap_or_default().to_string();
        let publish = panel_publish_listing::Variables { id: id.clone() };
        post_operation::<PanelPublishListing>(&http, &edge_url, publish, Some(&token)).await?;
        let published = Instant::now();
        loop {
            let found = post_operation::<SearchPage>(&http, &edge_url, search.clone(), None).await?;
            let edges = found["search"]["results"]["edges"].as_array().cloned().unwrap_or_default();
            if edges.iter().any(|edge| edge["node"]["id"] == id.as_str()) {
                lags.push(published.elapsed().as_millis() as u64);
                break;
            }
            anyhow::ensure!(published.elapsed() < GIVE_UP, "a published car was not searchable after {GIVE_UP:?}");
            tokio::time::sleep(POLL).await;
        }
        tokio::time::sleep_until(next.into()).await;
    }
    Ok(lags)
}
