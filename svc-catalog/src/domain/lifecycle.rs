//! The listing lifecycle.
//!
//! ```text
//!            publish              mark sold
//!   DRAFT ───────────▶ PUBLISHED ───────────▶ SOLD (terminal)
//!     ▲  ◀─────────────   │
//!     │    unpublish      │ archive
//!     │                   ▼
//!     └──── unpublish ── ARCHIVED ◀── archive ── DRAFT
//! ```
//!
//! Decisions: SOLD is terminal, since a sale is a fact that billing and metrics
//! count, and a car sold by mistake is re-entered as a new listing. ARCHIVED is
//! not: an agency that withdrew a car can bring it back to DRAFT (unpublish) and
//! publish it again. Drafts may be archived (discarded) directly. Edits are allowed
//! in DRAFT and PUBLISHED only.

use super::listing::ListingStatus;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    Publish,
    Unpublish,
    MarkSold,
    Archive,
}

impl Transition {
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Publish => "publish",
            Transition::Unpublish => "unpublish",
            Transition::MarkSold => "mark sold",
            Transition::Archive => "archive",
        }
    }

    /// The status after this transition, or `None` when it does not apply to `from`.
    pub fn target(self, from: ListingStatus) -> Option<ListingStatus> {
        use ListingStatus::{Archived, Draft, Published, Sold};
        match (self, from) {
            (Transition::Publish, Draft) => Some(Published),
            (Transition::Unpublish, Published | Archived) => Some(Draft),
            (Transition::MarkSold, Published) => Some(Sold),
            (Transition::Archive, Draft | Published) => Some(Archived),
            (Transition::Publish, Published | Sold | Archived)
            | (Transition::Unpublish, Draft | Sold)
            | (Transition::MarkSold, Draft | Sold | Archived)
            | (Transition::Archive, Sold | Archived) => None,
        }
    }
}

/// Fields may be edited only while the listing is a draft or on sale.
pub fn is_editable(status: ListingStatus) -> bool {
    matches!(status, ListingStatus::Draft | ListingStatus::Published)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ListingStatus::{Archived, Draft, Published, Sold};

    #[test]
    fn the_transition_table_is_exactly_the_documented_one() {
        let allowed = [
            (Transition::Publish, Draft, Published),
            (Transition::Unpublish, Published, Draft),
            (Transition::Unpublish, Archived, Draft),
            (Transition::MarkSold, Published, Sold),
            (Transition::Archive, Draft, Archived),
            (Transition::Archive, Published, Archived),
        ];
        for transition in [Transition::Publish, Transition::Unpublish, Transition::MarkSold, Transition::Archive] {
            for from in ListingStatus::ALL {
                let expected = allowed.iter().find(|(t, f, _)| *t == transition && *f == from).map(|(_, _, to)| *to);
                assert_eq!(transition.target(from), expected, "{transition:?} from {from}");
            }
        }
    }

    #[test]
    fn sold_is_terminal() {
        for transition in [Transition::Publish, Transition::Unpublish, Transition::MarkSold, Transition::Archive] {
            assert_eq!(transition.target(Sold), None);
        }
        assert!(!is_editable(Sold));
        assert!(!is_editable(Archived));
    }
}
