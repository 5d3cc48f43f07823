//! Finding cars in an inventory by what a manager types ("vw jetta", the first
//! characters of a VIN). Every word must match the make, the model or the start of
//! the VIN. Words are folded as stored makes and models are (lower case, accents
//! off), and a make's alias also matches its canonical name ("vw" finds
//! Volkswagen), so the box finds what the table shows. Years and prices are the
//! structured filters' job, not this box's.

use nds_common::vehicle::{canonical_make, fold};

use super::validation::FieldError;

pub const MAX_SEARCH_CHARS: usize = 100;
pub const MAX_SEARCH_WORDS: usize = 6;

/// One typed word and what it may match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchWord {
    /// Folded: matched inside makes and models, at the start of VINs.
    pub text: String,
    /// The canonical make this word names, when it is one of a make's names.
    pub make: Option<&'static str>,
}

/// The parsed search; empty when nothing was typed (no restriction).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InventorySearch {
    pub words: Vec<SearchWord>,
}

impl InventorySearch {
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        if text.chars().count() > MAX_SEARCH_CHARS {
            return Err(invalid(format!("search at most {MAX_SEARCH_CHARS} characters")));
        }
        let folded = fold(text);
        let words: Vec<SearchWord> = folded
            .split_whitespace()
            .map(|word| SearchWord { text: word.to_string(), make: canonical_make(word) })
            .collect();
        if words.len() > MAX_SEARCH_WORDS {
            return Err(invalid(format!("search at most {MAX_SEARCH_WORDS} words")));
        }
        Ok(InventorySearch { words })
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

fn invalid(message: String) -> FieldError {
    FieldError { field: "search", message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_and_make_aliases_named() {
        let search = InventorySearch::parse("  VW  Jetta 3vw ").unwrap();
        let texts: Vec<&str> = search.words.iter().map(|word| word.text.as_str()).collect();
        assert_eq!(texts, ["vw", "jetta", "3vw"]);
        assert_eq!(search.words[0].make, Some("volkswagen"));
        assert_eq!(search.words[1].make, None);
        assert_eq!(InventorySearch::parse("Peugeot Expert Tepee Ñandú").unwrap().words[3].text, "nandu");
    }

    #[test]
    fn nothing_typed_is_no_restriction() {
        assert!(InventorySearch::parse("").unwrap().is_empty());
        assert!(InventorySearch::parse("   ").unwrap().is_empty());
    }

    #[test]
    fn long_searches_are_refused_on_the_search_field() {
        let too_long = "a".repeat(MAX_SEARCH_CHARS + 1);
        assert_eq!(InventorySearch::parse(&too_long).unwrap_err().field, "search");
        let too_many = ["a"; MAX_SEARCH_WORDS + 1].join(" ");
        assert_eq!(InventorySearch::parse(&too_many).unwrap_err().field, "search");
        assert!(InventorySearch::parse(&["a"; MAX_SEARCH_WORDS].join(" ")).is_ok());
    }
}
