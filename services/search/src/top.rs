//! The best few of many scored items, without sorting them all.

use std::cmp::Ordering;

/// Keeps the first `k` of `items` in `order`, sorted; only those `k` are
/// sorted (at 100k items sorting everything cost more than scoring them).
pub(crate) fn keep_top<T>(items: &mut Vec<T>, k: usize, mut order: impl FnMut(&T, &T) -> Ordering) {
    if items.len() > k && k > 0 {
        items.select_nth_unstable_by(k - 1, &mut order);
    }
    items.truncate(k);
    items.sort_by(order);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_k_in_order() {
        let mut items = vec![3, 9, 1, 7, 5, 9];
        keep_top(&mut items, 3, |a, b| b.cmp(a));
        assert_eq!(items, [9, 9, 7]);
        let mut few = vec![2, 1];
        keep_top(&mut few, 5, |a, b| b.cmp(a));
        assert_eq!(few, [2, 1]);
        keep_top(&mut few, 0, |a, b| b.cmp(a));
        assert!(few.is_empty());
    }
}
