//! Vehicle identification numbers (ISO 3779).
//!
//! Every VIN is 17 characters from the alphabet without I, O and Q. North-American
//! VINs (first character 1-5: USA, Canada, Mexico) also carry a check digit in
//! position 9, computed from the transliterated characters and fixed weights; other
//! regions do not use it, so it is only enforced there.

use std::fmt;

use serde::{Deserialize, Serialize};

pub const VIN_LENGTH: usize = 17;

/// Position weights of the North-American check digit (position 9 weighs 0).
const WEIGHTS: [u32; VIN_LENGTH] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
const CHECK_DIGIT_POSITION: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VinError {
    Length(usize),
    Character(char),
    CheckDigit { expected: char, found: char },
}

impl fmt::Display for VinError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VinError::Length(length) => write!(formatter, "a VIN has 17 characters, this one has {length}"),
            VinError::Character(character) => {
                write!(formatter, "a VIN uses digits and letters except I, O and Q, not {character:?}")
            }
            VinError::CheckDigit { expected, found } => {
                write!(formatter, "the VIN check digit is {found:?} but should be {expected:?}")
            }
        }
    }
}

/// A VIN that passed validation, upper-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Vin(String);

/// The numeric value of a VIN character; `None` for characters VINs never use.
fn transliterate(character: char) -> Option<u32> {
    let value = match character {
        '0'..='9' => character.to_digit(10)?,
        'A' | 'J' => 1,
        'B' | 'K' | 'S' => 2,
        'C' | 'L' | 'T' => 3,
        'D' | 'M' | 'U' => 4,
        'E' | 'N' | 'V' => 5,
        'F' | 'W' => 6,
        'G' | 'P' | 'X' => 7,
        'H' | 'Y' => 8,
        'R' | 'Z' => 9,
        _ => return None,
    };
    Some(value)
}

/// The check digit a 17-character VIN body should carry ('0'-'9' or 'X').
/// Position 9 itself is ignored (weight 0). `None` if a character is invalid.
pub fn check_digit(vin: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut count = 0usize;
    for (character, weight) in vin.chars().zip(WEIGHTS) {
        sum += transliterate(character)? * weight;
        count += 1;
    }
    if count != VIN_LENGTH {
        return None;
    }
    match sum % 11 {
        10 => Some('X'),
        digit => char::from_digit(digit, 10),
    }
}

/// North-American VINs (world manufacturer identifier starting 1-5) carry a check digit.
pub fn is_north_american(vin: &str) -> bool {
    matches!(vin.chars().next(), Some('1'..='5'))
}

impl Vin {
    pub fn parse(raw: &str) -> Result<Vin, VinError> {
        let vin = raw.trim().to_ascii_uppercase();
        let length = vin.chars().count();
        if length != VIN_LENGTH {
            return Err(VinError::Length(length));
        }
        if let Some(bad) = vin.chars().find(|character| transliterate(*character).is_none()) {
            return Err(VinError::Character(bad));
        }
        if is_north_american(&vin) {
            let found = vin.chars().nth(CHECK_DIGIT_POSITION).unwrap_or('?');
            let expected = check_digit(&vin).ok_or(VinError::Length(length))?;
            if found != expected {
                return Err(VinError::CheckDigit { expected, found });
            }
        }
        Ok(Vin(vin))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Puts the correct check digit into a 17-character body (demo data, tests).
    pub fn with_check_digit(body: &str) -> Option<Vin> {
        let expected = check_digit(body)?;
        let fixed: String = body
            .chars()
            .enumerate()
            .map(|(index, character)| if index == CHECK_DIGIT_POSITION { expected } else { character })
            .collect();
        Vin::parse(&fixed).ok()
    }
}

impl TryFrom<String> for Vin {
    type Error = String;

    fn try_from(raw: String) -> Result<Vin, String> {
        Vin::parse(&raw).map_err(|error| error.to_string())
    }
}

impl From<Vin> for String {
    fn from(vin: Vin) -> String {
        vin.0
    }
}

impl fmt::Display for Vin {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ";

    #[test]
    fn known_vins_validate_or_fail_as_expected() {
        let table: &[(&str, Result<(), VinError>)] = &[
            // Textbook example whose check digit is X.
            ("1M8GDM9AXKP042788", Ok(())),
            ("11111111111111111", Ok(())),
            ("1m8gdm9axkp042788", Ok(())),
            // European VIN: no check digit enforced.
            ("WVWZZZ1JZXW000001", Ok(())),
            ("1M8GDM9A1KP042788", Err(VinError::CheckDigit { expected: 'X', found: '1' })),
            ("1M8GDM9AXKP04278", Err(VinError::Length(16))),
            ("1M8GDM9AXKP0427888", Err(VinError::Length(18))),
            ("1M8GDM9AXKP04278O", Err(VinError::Character('O'))),
            ("IM8GDM9AXKP042788", Err(VinError::Character('I'))),
            ("WVWZZZ1JZXW00000Q", Err(VinError::Character('Q'))),
            ("", Err(VinError::Length(0))),
        ];
        for (raw, expected) in table {
            assert_eq!(Vin::parse(raw).map(|_| ()), *expected, "{raw}");
        }
    }

    /// Property: a VIN with the computed check digit validates, and changing any
    /// weighted character to one with another value is always detected (11 is prime,
    /// every weight is non-zero modulo 11).
    #[test]
    fn check_digit_property_holds_for_random_vins() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3779);
        for _ in 0..2_000 {
            let mut body: Vec<u8> = (0..VIN_LENGTH).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())]).collect();
            body[0] = b"12345"[rng.random_range(0..5)];
            let body = String::from_utf8(body).unwrap();
            let vin = Vin::with_check_digit(&body).expect("a computed check digit validates");
            assert!(Vin::parse(vin.as_str()).is_ok());

            let position = loop {
                let candidate = rng.random_range(1..VIN_LENGTH);
                if WEIGHTS[candidate] != 0 {
                    break candidate;
                }
            };
            let original = vin.as_str().as_bytes()[position] as char;
            let replacement = ALPHABET[rng.random_range(0..ALPHABET.len())] as char;
            if transliterate(replacement) == transliterate(original) {
                continue;
            }
            let mut mutated: Vec<char> = vin.as_str().chars().collect();
            mutated[position] = replacement;
            let mutated: String = mutated.into_iter().collect();
            assert!(
                matches!(Vin::parse(&mutated), Err(VinError::CheckDigit { .. })),
                "{mutated} (from {vin}) must fail the check digit"
            );
        }
    }
}
