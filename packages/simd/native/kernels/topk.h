// topK: the k best rows of a matrix for a query, best first, ties to the lower row index, NaN
// scores last. Rows are scored a block at a time by one of the batched kernels of the active
// ISA (so the scores are the bits dotMany / cosineMany / l2sqMany return), and selected with a
// bounded binary heap whose root is the worst row kept: O(n log k), no allocation per row.
// The ranking is a strict total order, so the result equals a full stable sort's first k.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common.h"

namespace sona {

enum class Metric : int { cosine = 0, dot = 1, l2sq = 2 };

using ScoreRowsFn = void (*)(const float* q, const float* m, size_t dim, size_t rows,
                             float* out, RowOrder order);

struct Ranked {
  float score;
  int32_t index;
};

// a ranks before b: the better score first (higher, or lower when ascending), NaN last, equal
// scores (+0 and -0 are equal) to the lower index.
inline bool ranks_before(Ranked a, Ranked b, bool ascending) {
  const bool nan_a = a.score != a.score;
  const bool nan_b = b.score != b.score;
  if (nan_a || nan_b) return nan_a == nan_b ? a.index < b.index : nan_b;
  if (a.score != b.score) return ascending ? a.score < b.score : a.score > b.score;
  return a.index < b.index;
}

class WorstFirstHeap {
 public:
  WorstFirstHeap(size_t capacity, bool ascending) : ascending_(ascending) {
    items_.reserve(capacity);
  }

  size_t size() const { return items_.size(); }
  const Ranked& worst() const { return items_[0]; }

  void push(Ranked item) {
    items_.push_back(item);
    size_t pos = items_.size() - 1;
    while (pos > 0) {
      const size_t parent = (pos - 1) / 2;
      if (!worse(items_[pos], items_[parent])) break;
      std::swap(items_[pos], items_[parent]);
      pos = parent;
    }
  }

  void replace_worst(Ranked item) {
    items_[0] = item;
    sift_down(0);
  }

  Ranked pop_worst() {
    const Ranked top = items_[0];
    items_[0] = items_.back();
    items_.pop_back();
    if (!items_.empty()) sift_down(0);
    return top;
  }

 private:
  bool worse(const Ranked& a, const Ranked& b) const { return ranks_before(b, a, ascending_); }

  void sift_down(size_t pos) {
    const size_t n = items_.size();
    for (;;) {
      const size_t left = 2 * pos + 1;
      if (left >= n) return;
      size_t target = left;
      if (left + 1 < n && worse(items_[left + 1], items_[left])) target = left + 1;
      if (!worse(items_[target], items_[pos])) return;
      std::swap(items_[pos], items_[target]);
      pos = target;
    }
  }

  std::vector<Ranked> items_;
  bool ascending_;
};

// Writes the best k rows (k <= rows <= INT32_MAX, checked by the caller) and their scores.
inline void topk_f32(ScoreRowsFn score_rows, bool ascending, const float* q, const float* m,
                     size_t dim, size_t rows, size_t k, int32_t* indices, float* scores) {
  if (k == 0) return;
  WorstFirstHeap heap(k, ascending);
  const RowOrder order = row_order_for(dim, rows);  // from the whole matrix, not one block
  constexpr size_t kBlock = 1024;
  float block[kBlock];
  for (size_t start = 0; start < rows; start += kBlock) {
    const size_t count = std::min(kBlock, rows - start);
    score_rows(q, m + start * dim, dim, count, block, order);
    for (size_t i = 0; i < count; ++i) {
      const Ranked candidate{block[i], static_cast<int32_t>(start + i)};
      if (heap.size() < k) {
        heap.push(candidate);
      } else if (ranks_before(candidate, heap.worst(), ascending)) {
        heap.replace_worst(candidate);
      }
    }
  }
  for (size_t out = heap.size(); out-- > 0;) {
    const Ranked item = heap.pop_worst();
    indices[out] = item.index;
    scores[out] = canonical(item.score);
  }
}

}  // namespace sona
