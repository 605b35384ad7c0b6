#include "random_ids.hpp"

#include <random>

namespace aether::trace::detail {
namespace {

// One generator per thread: no locking on the span-creation path, and each
// thread is seeded independently from the OS entropy source so two threads
// (or two processes forked from one) do not produce the same ids.
std::mt19937_64& generator() {
  thread_local std::mt19937_64 gen = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return gen;
}

template <std::size_t N>
std::array<std::uint8_t, N> random_nonzero_bytes() {
  std::array<std::uint8_t, N> out{};
  bool nonzero = false;
  while (!nonzero) {
    for (std::size_t i = 0; i < N; i += 8) {
      std::uint64_t word = generator()();
      for (std::size_t j = 0; j < 8 && i + j < N; ++j) {
        out[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
        nonzero = nonzero || out[i + j] != 0;
      }
    }
  }
  return out;
}

}  // namespace

TraceId random_trace_id() { return random_nonzero_bytes<16>(); }
SpanId random_span_id() { return random_nonzero_bytes<8>(); }

}  // namespace aether::trace::detail
