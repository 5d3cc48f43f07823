//! Display names of the canonical vehicle vocabulary: catalog stores makes and
//! models in lower case ("mercedes-benz", "cr-v", "rav4"); people read
//! "Mercedes-Benz", "CR-V", "RAV4".

/// Words written in capitals whatever their length.
const UPPER_WORDS: &[&str] = &[
    "bmw", "gmc", "byd", "jac", "mg", "ram", "gle", "glc", "gla", "cla", "amg", "gti", "gli", "wrx", "brz", "gt", "rs",
    "hr", "cr", "br", "sq", "xc", "cx", "ds", "suv", "mx", "ev",
];

/// "mercedes-benz" → "Mercedes-Benz", "cr-v" → "CR-V", "model 3" → "Model 3".
pub fn display_name(canonical: &str) -> String {
    let mut out = String::with_capacity(canonical.len());
    let mut word = String::new();
    for character in canonical.chars().chain(std::iter::once(' ')) {
        if character == ' ' || character == '-' {
            push_word(&mut out, &word);
            word.clear();
            out.push(character);
        } else {
            word.push(character);
        }
    }
    out.pop();
    out
}

fn push_word(out: &mut String, word: &str) {
    let has_digit = word.chars().any(|character| character.is_ascii_digit());
    if has_digit || word.chars().count() == 1 || UPPER_WORDS.contains(&word) {
        out.push_str(&word.to_uppercase());
        return;
    }
    let mut characters = word.chars();
    if let Some(first) = characters.next() {
        out.extend(first.to_uppercase());
        out.push_str(characters.as_str());
    }
}

/// "Toyota RAV4" from a listing's make and model.
pub fn car_name(make: &str, model: &str) -> String {
    format!("{} {}", display_name(make), display_name(model))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names_read_as_makers_write_them() {
        assert_eq!(display_name("toyota"), "Toyota");
        assert_eq!(display_name("mercedes-benz"), "Mercedes-Benz");
        assert_eq!(display_name("cr-v"), "CR-V");
        assert_eq!(display_name("rav4"), "RAV4");
        assert_eq!(display_name("cx-5"), "CX-5");
        assert_eq!(display_name("x-trail"), "X-Trail");
        assert_eq!(display_name("model 3"), "Model 3");
        assert_eq!(display_name("np300"), "NP300");
        assert_eq!(display_name("bmw"), "BMW");
        assert_eq!(car_name("volkswagen", "jetta"), "Volkswagen Jetta");
    }
}
