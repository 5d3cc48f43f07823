//! Splits a folded query into tokens and reads numbers as people write them.

use nds_common::vehicle::fold;

/// A unit written glued to a number ("100km") or right after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Kilometres,
    Miles,
    Currency,
}

/// A numeric literal: `300k`, `1.5m`, `$40,000`, `100km`, `2018`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Number {
    pub value: f64,
    /// From a glued suffix (`k` = 1e3, `m`/`mdp` = 1e6, `mil` = 1e3).
    pub multiplier: Option<f64>,
    pub unit: Option<Unit>,
    /// Written with thousands separators or a decimal point.
    pub punctuated: bool,
    /// Number of digits before any separator, for the "looks like a year" test.
    pub plain_digits: usize,
    pub dollar: bool,
}

impl Number {
    /// A four-digit integer written without any decoration.
    pub fn is_bare_integer(&self) -> bool {
        self.multiplier.is_none()
            && self.unit.is_none()
            && !self.punctuated
            && !self.dollar
            && self.value.fract() == 0.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TokenKind {
    Word,
    Number(Number),
    /// `-` or `–` standing alone (between numbers: a range).
    Dash,
    /// `+` after a number ("2018+").
    Plus,
    Less,
    Greater,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    /// Folded text as written, hyphens kept ("cr-v").
    pub text: String,
    /// Letters and digits only ("crv"): what every table is keyed by.
    pub key: String,
    pub kind: TokenKind,
}

impl Token {
    pub fn number(&self) -> Option<Number> {
        match self.kind {
            TokenKind::Number(number) => Some(number),
            _ => None,
        }
    }
}

/// Tokens beyond this are ignored: a search query is a sentence, not an essay,
/// and the bound keeps the cost of one interpretation bounded.
pub(crate) const MAX_TOKENS: usize = 48;

/// Folds (lower case, no accents) and tokenizes.
///
/// A token is a run of letters and digits, keeping a hyphen between two
/// characters unless both are digits ("cr-v", "f-150", "semi-nuevo" stay one
/// token; "2018-2021" is two numbers and a dash), and keeping `.`/`,` between
/// digits ("1.5", "40,000"). A `$` marks the number it precedes.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let folded = fold(text);
    let characters: Vec<char> = folded.chars().collect();
    let mut tokens = Vec::new();
    let mut dollar_pending = false;
    let mut index = 0;
    while index < characters.len() && tokens.len() < MAX_TOKENS {
        let character = characters[index];
        if character.is_alphanumeric() {
            let start = index;
            index += 1;
            while index < characters.len() {
                let current = characters[index];
                if current.is_alphanumeric() {
                    index += 1;
                    continue;
                }
                let previous = characters[index - 1];
                let Some(&next) = characters.get(index + 1) else {
                    break;
                };
                let joins = match current {
                    '-' => {
                        previous.is_alphanumeric()
                            && next.is_alphanumeric()
                            && !(previous.is_ascii_digit() && next.is_ascii_digit())
                    }
                    '.' | ',' => previous.is_ascii_digit() && next.is_ascii_digit(),
                    '\'' | '’' => previous.is_alphabetic() && next.is_alphabetic(),
                    _ => false,
                };
                if !joins {
                    break;
                }
                index += 1;
            }
            let raw: String =
                characters[start..index].iter().filter(|&&character| character != '\'' && character != '’').collect();
            tokens.push(make_token(raw, dollar_pending));
            dollar_pending = false;
            continue;
        }
        let symbol = match character {
            '$' => {
                dollar_pending = true;
                None
            }
            '-' | '–' | '—' => Some(TokenKind::Dash),
            '+' => Some(TokenKind::Plus),
            '<' => Some(TokenKind::Less),
            '>' => Some(TokenKind::Greater),
            _ => None,
        };
        if let Some(kind) = symbol {
            tokens.push(Token { text: character.to_string(), key: String::new(), kind });
            dollar_pending = false;
        }
        index += 1;
    }
    tokens
}

fn make_token(text: String, dollar: bool) -> Token {
    let key: String = text.chars().filter(char::is_ascii_alphanumeric).collect();
    let kind = parse_number(&text, dollar).map_or(TokenKind::Word, TokenKind::Number);
    Token { text, key, kind }
}

/// Reads `300`, `300k`, `1.5m`, `40,000`, `40.000`, `1,5`, `100km`, `0km`,
/// `300mil`, `2mdp`. Anything else with letters ("16gb", "3rd", "4x4") is a word.
pub(crate) fn parse_number(text: &str, dollar: bool) -> Option<Number> {
    let numeric_end = text
        .find(|character: char| !(character.is_ascii_digit() || character == '.' || character == ','))
        .unwrap_or(text.len());
    let (numeric, suffix) = text.split_at(numeric_end);
    if numeric.is_empty() || !numeric.starts_with(|character: char| character.is_ascii_digit()) {
        return None;
    }
    let (multiplier, unit) = match suffix {
        "" => (None, None),
        "k" | "mil" => (Some(1e3), None),
        "m" | "mdp" | "mm" => (Some(1e6), None),
        "km" | "kms" => (None, Some(Unit::Kilometres)),
        "mi" | "mls" => (None, Some(Unit::Miles)),
        "mxn" | "mn" | "usd" => (None, Some(Unit::Currency)),
        _ => return None,
    };
    let groups: Vec<&str> = numeric.split(['.', ',']).collect();
    let plain_digits = groups.first().map_or(0, |group| group.len());
    let value = match groups.as_slice() {
        [whole] => whole.parse::<f64>().ok()?,
        [whole, rest @ ..] if whole.len() <= 3 && rest.iter().all(|group| group.len() == 3) && rest.len() >= 2 => {
            groups.concat().parse::<f64>().ok()?
        }
        [whole, fraction] => {
            // One separator: thousands when exactly three digits follow an
            // integer part of at most three ("40,000", "300.000"), otherwise a
            // decimal point or comma ("1.5", "1,5", "2.25").
            if fraction.len() == 3 && whole.len() <= 3 && multiplier.is_none() {
                format!("{whole}{fraction}").parse::<f64>().ok()?
            } else {
                format!("{whole}.{fraction}").parse::<f64>().ok()?
            }
        }
        _ => return None,
    };
    Some(Number { value, multiplier, unit, punctuated: groups.len() > 1, plain_digits, dollar })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(query: &str) -> Vec<String> {
        tokenize(query).into_iter().map(|token| token.text).collect()
    }

    #[test]
    fn keeps_hyphenated_names_and_splits_year_ranges() {
        assert_eq!(texts("Honda CR-V 2018-2021"), ["honda", "cr-v", "2018", "-", "2021"]);
        assert_eq!(texts("F-150, rojo!"), ["f-150", "rojo"]);
        assert_eq!(texts("Automático  Querétaro"), ["automatico", "queretaro"]);
    }

    #[test]
    fn reads_numbers_as_written() {
        let number = |text: &str| parse_number(text, false).map(|number| number.value);
        assert_eq!(number("40,000"), Some(40_000.0));
        assert_eq!(number("300.000"), Some(300_000.0));
        assert_eq!(number("1,500,000"), Some(1_500_000.0));
        assert_eq!(number("1.5"), Some(1.5));
        assert_eq!(number("1,5"), Some(1.5));
        assert_eq!(number("16gb"), None);
        assert_eq!(number("3rd"), None);
        assert_eq!(number("4x4"), None);
        let glued = parse_number("300k", false).unwrap();
        assert_eq!(glued.multiplier, Some(1e3));
        let mileage = parse_number("100km", false).unwrap();
        assert_eq!(mileage.unit, Some(Unit::Kilometres));
        assert_eq!(parse_number("1.5m", false).unwrap().multiplier, Some(1e6));
    }

    #[test]
    fn dollar_marks_the_next_number() {
        let tokens = tokenize("under $40,000");
        assert_eq!(tokens[1].number().map(|number| number.dollar), Some(true));
        assert_eq!(tokens[1].number().map(|number| number.value), Some(40_000.0));
    }

    #[test]
    fn symbols_become_tokens() {
        let kinds: Vec<TokenKind> = tokenize("2018+ <300k").into_iter().map(|token| token.kind).collect();
        assert!(matches!(kinds[1], TokenKind::Plus));
        assert!(matches!(kinds[2], TokenKind::Less));
    }

    #[test]
    fn long_input_is_bounded() {
        let long = "palabra ".repeat(500);
        assert_eq!(tokenize(&long).len(), MAX_TOKENS);
    }
}
