//! Languages: Spanish (es-MX) first, English when the browser prefers it or the
//! person chose it (a cookie). Every string a page shows comes from a catalogue
//! (`text`); numbers, prices and dates are written per language (`format`).

mod admin_text;
mod billing_text;
pub mod format;
mod leads_text;
mod metrics_text;
mod staff_text;
mod text;

pub use text::{Text, VocabText};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    Es,
    En,
}

impl Lang {
    /// The value of `<html lang>` and of the language cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es-MX",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Es => Lang::En,
            Lang::En => Lang::Es,
        }
    }

    pub fn text(self) -> &'static Text {
        match self {
            Lang::Es => &text::ES,
            Lang::En => &text::EN,
        }
    }

    /// A cookie or query value: `es`, `es-MX`, `en`, `en-US`…
    pub fn parse(raw: &str) -> Option<Lang> {
        let primary = raw.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "es" => Some(Lang::Es),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The chosen language, else the first of Spanish or English the browser
    /// lists in `Accept-Language` (by weight), else Spanish.
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = cookie.and_then(Lang::parse) {
            return lang;
        }
        let Some(header) = accept_language else { return Lang::Es };
        let mut best: Option<(f32, Lang)> = None;
        for (position, entry) in header.split(',').enumerate() {
            let mut parts = entry.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else { continue };
            let weight = parts
                .find_map(|part| part.trim().strip_prefix("q=").and_then(|value| value.parse::<f32>().ok()))
                .unwrap_or(1.0);
            // Equal weights keep the browser's order.
            let score = weight - position as f32 * 1e-4;
            if best.is_none_or(|(best_score, _)| score > best_score) {
                best = Some((score, lang));
            }
        }
        best.map(|(_, lang)| lang).unwrap_or(Lang::Es)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_unless_english_is_chosen_or_preferred() {
        assert_eq!(Lang::negotiate(None, None), Lang::Es);
        assert_eq!(Lang::negotiate(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("es-MX,es;q=0.9,en;q=0.8")), Lang::Es);
        assert_eq!(Lang::negotiate(None, Some("fr-FR,fr;q=0.9,en;q=0.5,es;q=0.4")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("de-DE")), Lang::Es);
        assert_eq!(Lang::negotiate(Some("es"), Some("en-US")), Lang::Es);
        assert_eq!(Lang::negotiate(Some("en"), None), Lang::En);
        assert_eq!(Lang::negotiate(Some("klingon"), Some("en")), Lang::En);
    }
}
