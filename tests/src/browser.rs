//! Pages tested as a person uses them: Debian's Chromium, headless, driven over
//! WebDriver (chromedriver, from `tests/tools/ensure-browser.sh`). Each test
//! starts one chromedriver; a session is one browser window with JavaScript on
//! or off, at phone or desktop size, in Spanish or English. Screenshots land in
//! `target/screenshots/`; axe-core (vendored under `tests/fixtures/axe`, tests
//! only) reports accessibility violations.

// Test support: a failed expectation here is a failed test, said loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// The vendored axe-core (MPL-2.0), injected into pages under test only.
const AXE: &str = include_str!("../fixtures/axe/axe.min.js");

pub const PHONE: (u32, u32) = (390, 844);
pub const DESKTOP: (u32, u32) = (1280, 900);

/// One chromedriver for a test; it ends with the test.
pub struct Browser {
    driver: tokio::process::Child,
    url: String,
}

#[derive(Clone, Copy, Debug)]
pub struct SessionOptions {
    pub javascript: bool,
    pub size: (u32, u32),
    /// `Accept-Language` of the browser.
    pub language: &'static str,
}

impl SessionOptions {
    pub fn phone() -> Self {
        SessionOptions { javascript: true, size: PHONE, language: "es-MX,es" }
    }

    pub fn desktop() -> Self {
        SessionOptions { javascript: true, size: DESKTOP, language: "es-MX,es" }
    }

    pub fn without_javascript(mut self) -> Self {
        self.javascript = false;
        self
    }

    pub fn english(mut self) -> Self {
        self.language = "en-US,en";
        self
    }
}

impl Browser {
    pub async fn start() -> Browser {
        let chromedriver = std::env::var("NDS_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = crate::free_port().unwrap();
        let driver = tokio::process::Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {chromedriver} (run tests/tools/ensure-browser.sh): {error}"));
        let url = format!("http://127.0.0.1:{port}");
        let status = reqwest::Client::new();
        for _ in 0..100 {
            if status.get(format!("{url}/status")).send().await.is_ok() {
                return Browser { driver, url };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not answer on {url}");
    }

    /// A new browser window.
    pub async fn session(&self, options: SessionOptions) -> Page {
        let mut prefs = json!({ "intl.accept_languages": options.language });
        if !options.javascript {
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let chromium = std::env::var("NDS_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                // The flags that keep Chromium off this machine's closed network and quiet.
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-extensions", "--disable-quic", "--hide-scrollbars",
                    format!("--window-size={},{}", options.size.0, options.size.1),
                    format!("--lang={}", options.language.split(',').next().unwrap_or("es-MX")),
                ],
                "prefs": prefs,
            }
        });
        let capabilities = match capabilities {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|error| panic!("cannot open a Chromium session: {error}"));
        client.set_window_size(options.size.0, options.size.1).await.ok();
        Page { client, javascript: options.javascript }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.driver.start_kill().ok();
    }
}

/// One browser window.
pub struct Page {
    pub client: Client,
    pub javascript: bool,
}

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Page {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|error| panic!("cannot open {url}: {error}"));
    }

    pub async fn url(&self) -> String {
        self.client.current_url().await.unwrap().to_string()
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|error| panic!("no {css}: {error}"));
        element.text().await.unwrap()
    }

    /// The visible texts of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await.unwrap() {
            texts.push(element.text().await.unwrap());
        }
        texts
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }

    pub async fn attr(&self, css: &str, attribute: &str) -> Option<String> {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|error| panic!("no {css}: {error}"));
        element.attr(attribute).await.unwrap()
    }

    /// The whole page's text.
    pub async fn body(&self) -> String {
        self.text("body").await
    }

    pub async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    pub async fn click(&self, css: &str) {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|error| panic!("no {css}: {error}"));
        element.click().await.unwrap_or_else(|error| panic!("cannot click {css}: {error}"));
    }

    /// Clicks a button or link that loads a new page, and waits until the old
    /// page is gone (its element goes stale), so the next step sees the new one.
    pub async fn click_and_wait(&self, css: &str) {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|error| panic!("no {css}: {error}"));
        let page = self.client.find(Locator::Css("html")).await.unwrap();
        element.click().await.unwrap_or_else(|error| panic!("cannot click {css}: {error}"));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while tokio::time::Instant::now() < deadline {
            if page.tag_name().await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("clicking {css} did not load a new page");
    }

    /// Clicks the link or button whose text contains `text`.
    pub async fn click_text(&self, text: &str) {
        let xpath = format!("//*[self::a or self::button][contains(normalize-space(.), {})]", xpath_literal(text));
        let element = self
            .client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|error| panic!("no link or button {text:?}: {error}"));
        element.click().await.unwrap_or_else(|error| panic!("cannot click {text:?}: {error}"));
    }

    /// Types into a field (replacing what it held).
    pub async fn fill(&self, css: &str, value: &str) {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|error| panic!("no {css}: {error}"));
        element.clear().await.unwrap();
        element.send_keys(value).await.unwrap();
    }

    /// Chooses the option whose value is `value` in a select.
    pub async fn select(&self, css: &str, value: &str) {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|error| panic!("no {css}: {error}"));
        element
            .select_by_value(value)
            .await
            .unwrap_or_else(|error| panic!("cannot choose {value:?} in {css}: {error}"));
    }

    /// Chooses files in a file input, as a person picking several at once does.
    pub async fn choose_files(&self, css: &str, paths: &[PathBuf]) {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|error| panic!("no {css}: {error}"));
        let joined: Vec<String> = paths.iter().map(|path| path.display().to_string()).collect();
        element.send_keys(&joined.join("\n")).await.unwrap_or_else(|error| panic!("cannot choose files: {error}"));
    }

    /// Waits up to `timeout` until the address contains `expected`.
    pub async fn wait_for_url(&self, expected: &str, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if self.url().await.contains(expected) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Waits up to `timeout` for `css` to contain `expected` (live updates).
    pub async fn wait_for_text(&self, css: &str, expected: &str, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && element.text().await.is_ok_and(|text| text.contains(expected))
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Saves the viewport as `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap();
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Serious and critical axe-core violations of the current page, as
    /// "rule: selectors" lines (empty when there are none). Needs JavaScript.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        assert!(self.javascript, "axe-core runs in pages with JavaScript on");
        self.client.execute(AXE, vec![]).await.unwrap();
        let script = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] }).then(result => done(
                result.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(', '))
            ), error => done(['axe failed: ' + error]));
        "#;
        let found = self.client.execute_async(script, vec![]).await.unwrap();
        serde_json::from_value(found).unwrap()
    }

    pub async fn close(self) {
        self.client.close().await.ok();
    }
}

/// Fails the test on any serious or critical axe-core violation of the page.
pub async fn assert_accessible(page: &Page, what: &str) {
    let violations = page.accessibility_violations().await;
    assert!(violations.is_empty(), "{what}: accessibility violations {violations:#?}");
}

/// Signs in on the sign-in form the page shows (the site's or the panel's).
pub async fn log_in(page: &Page, email: &str, password: &str) {
    page.fill("#field-email", email).await;
    page.fill("#field-password", password).await;
    page.click_and_wait("form[action='/login'] button[type=submit]").await;
}

fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        return format!("'{text}'");
    }
    let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
    format!("concat({})", parts.join(", \"'\", "))
}
