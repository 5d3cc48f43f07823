//! Bounded optimal-string-alignment distance (Levenshtein plus adjacent
//! transpositions) for the small-typo tolerance on makes, models and cities.

/// Longest target word compared (catalogue names are far shorter).
const MAX_WORD: usize = 32;

/// The distance between `left` and `right` when it is at most `limit`,
/// `None` otherwise. Stops early once every cell of a row exceeds `limit`.
pub(crate) fn bounded_distance(left: &[u8], right: &[u8], limit: usize) -> Option<usize> {
    if left.len().abs_diff(right.len()) > limit || right.len() >= MAX_WORD {
        return None;
    }
    let width = right.len() + 1;
    // Three rolling rows on the stack (this runs for every unknown word
    // against every target): two back (for transpositions), previous, current.
    let mut two_back = [0usize; MAX_WORD];
    let mut previous = [0usize; MAX_WORD];
    for (column, cell) in previous.iter_mut().enumerate().take(width) {
        *cell = column;
    }
    let mut current = [0usize; MAX_WORD];
    for row in 1..=left.len() {
        current[0] = row;
        let mut row_minimum = current[0];
        for column in 1..width {
            let cost = usize::from(left[row - 1] != right[column - 1]);
            let mut best = (previous[column] + 1).min(current[column - 1] + 1).min(previous[column - 1] + cost);
            if row > 1 && column > 1 && left[row - 1] == right[column - 2] && left[row - 2] == right[column - 1] {
                best = best.min(two_back[column - 2] + 1);
            }
            current[column] = best;
            row_minimum = row_minimum.min(best);
        }
        if row_minimum > limit {
            return None;
        }
        std::mem::swap(&mut two_back, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    let distance = previous[right.len()];
    (distance <= limit).then_some(distance)
}

/// How many edits a word of this length may carry: none under 5 letters,
/// one from 5, two from 8.
pub(crate) fn allowed_edits(length: usize) -> usize {
    match length {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_substitutions_insertions_and_transpositions() {
        assert_eq!(bounded_distance(b"toyta", b"toyota", 1), Some(1));
        assert_eq!(bounded_distance(b"nissan", b"nisan", 1), Some(1));
        assert_eq!(bounded_distance(b"corlola", b"corolla", 1), Some(1));
        assert_eq!(bounded_distance(b"volkswagon", b"volkswagen", 2), Some(1));
        assert_eq!(bounded_distance(b"chevrolet", b"chevrolet", 2), Some(0));
        assert_eq!(bounded_distance(b"mazda", b"honda", 1), None);
        assert_eq!(bounded_distance(b"ab", b"abcdef", 2), None);
    }

    #[test]
    fn short_words_get_no_edits() {
        assert_eq!(allowed_edits(4), 0);
        assert_eq!(allowed_edits(5), 1);
        assert_eq!(allowed_edits(8), 2);
    }
}
