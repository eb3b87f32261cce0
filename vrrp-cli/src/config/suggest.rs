//! "Did you mean ...?": the nearest known word by Levenshtein distance.

/// Edit distance between `a` and `b` (insertions, deletions, substitutions), over chars.
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `word` (case-insensitively), if it is close enough to be a
/// plausible typo: at most a third of the word's length (and at least 2) edits away.
/// Ties go to the candidate listed first.
pub(crate) fn nearest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).max(2);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let d = levenshtein(&lower, &candidate.to_ascii_lowercase());
        let better = match best {
            None => true,
            Some((bd, _)) => d < bd,
        };
        if d <= limit && better {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("prority", "priority"), 1);
    }

    #[test]
    fn nearest_word() {
        let words = ["priority", "preempt_delay", "state"];
        assert_eq!(nearest("prority", words), Some("priority"));
        assert_eq!(nearest("PRIORITY", words), Some("priority"));
        assert_eq!(nearest("completely_different", words), None);
    }
}
