//! What every handler of the site and the panel shares.

use std::sync::Arc;

use nds_common::cache::SharedCache;
use nds_common::config::Config;

use crate::assets::Assets;
use crate::edge::EdgeClient;
use crate::session::SessionStore;

/// Settings the pages need, from the process configuration.
#[derive(Clone, Debug)]
pub struct WebSettings {
    /// The site's address as browsers reach it (canonical URLs, sitemaps).
    pub public_url: String,
    /// The panel's address as browsers reach it.
    pub panel_url: String,
    /// Cookies carry `Secure` when the site is served over https.
    pub secure_cookies: bool,
    pub stripe_publishable_key: Option<String>,
    pub currency: String,
    /// Where listing photos come from, when the page's `img-src` does not already
    /// allow it (plain-http media in development; https is allowed as a whole).
    pub media_origin: Option<String>,
}

impl WebSettings {
    pub fn from_config(config: &Config) -> WebSettings {
        let public_url = config.public_url.trim_end_matches('/').to_string();
        WebSettings {
            secure_cookies: public_url.starts_with("https://"),
            public_url,
            panel_url: config.web.panel_url.clone(),
            stripe_publishable_key: config.web.stripe_publishable_key.clone(),
            currency: config.stripe.currency.clone(),
            media_origin: http_origin(&config.media.public_url),
        }
    }
}

/// `http://host:port` of a plain-http URL; `None` for https (already allowed) and
/// anything unparsable.
fn http_origin(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    (parsed.scheme() == "http").then(|| parsed.origin().ascii_serialization())
}

/// Which front end a process serves: the layout and a few links differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum App {
    Site,
    Panel,
}

pub struct WebState {
    pub app: App,
    pub edge: EdgeClient,
    pub sessions: SessionStore,
    /// Rendered fragments of public pages, for a few seconds.
    pub cache: SharedCache,
    pub assets: Assets,
    pub settings: WebSettings,
    /// Open event streams end when the process shuts down, so a pod leaves promptly
    /// (the browser reconnects elsewhere and resumes from `Last-Event-ID`).
    pub shutdown: nds_common::Shutdown,
    /// The proxies (the ingress) whose `X-Forwarded-For` names the browser.
    pub trusted_proxies: nds_common::client_address::TrustedProxies,
}

pub type SharedState = Arc<WebState>;

impl WebState {
    /// The buyer site's state.
    pub fn new(
        config: &Config,
        cache: SharedCache,
        shutdown: nds_common::Shutdown,
    ) -> Result<SharedState, reqwest::Error> {
        WebState::for_app(App::Site, config, cache, shutdown)
    }

    pub fn for_app(
        app: App,
        config: &Config,
        cache: SharedCache,
        shutdown: nds_common::Shutdown,
    ) -> Result<SharedState, reqwest::Error> {
        let edge = EdgeClient::new(&config.web.edge_url)?;
        Ok(Arc::new(WebState {
            app,
            sessions: SessionStore::new(cache.clone(), edge.clone()),
            edge,
            cache,
            assets: Assets::load(),
            settings: WebSettings::from_config(config),
            shutdown,
            trusted_proxies: nds_common::client_address::TrustedProxies::new(&config.trusted_proxies),
        }))
    }
}
