//! Text folding shared by the catalogue lookups and the query interpreter.

/// Lower-cases and strips Spanish/Latin diacritics: `"Querétaro Ñandú"` →
/// `"queretaro nandu"`. Other characters are kept as they are.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for character in text.chars() {
        if character.is_ascii() {
            folded.push(character.to_ascii_lowercase());
            continue;
        }
        for lower in character.to_lowercase() {
            folded.push(fold_char(lower));
        }
    }
    folded
}

/// Folds then keeps only ASCII letters and digits: `"CR-V"`, `"cr v"` and
/// `"crv"` all become `"crv"`. This is the key every catalogue lookup uses.
pub fn compact_key(text: &str) -> String {
    fold(text).chars().filter(char::is_ascii_alphanumeric).collect()
}

fn fold_char(character: char) -> char {
    match character {
        'á' | 'à' | 'ä' | 'â' | 'ã' | 'å' => 'a',
        'é' | 'è' | 'ë' | 'ê' => 'e',
        'í' | 'ì' | 'ï' | 'î' => 'i',
        'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
        'ú' | 'ù' | 'ü' | 'û' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_lowercases_and_strips_accents() {
        assert_eq!(fold("Querétaro ÑANDÚ Güero"), "queretaro nandu guero");
        assert_eq!(fold("AUTOMÁTICO"), "automatico");
    }

    #[test]
    fn compact_key_drops_separators() {
        assert_eq!(compact_key("CR-V"), "crv");
        assert_eq!(compact_key("Mercedes Benz"), "mercedesbenz");
        assert_eq!(compact_key(" f-150 "), "f150");
    }
}
