#include "aether/otlp_sink/span_store.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

namespace aether::otlp_sink {
namespace {

std::string as_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

bool matches(const ReceivedSpan& span, const TraceQuery& query) {
  if (span.service != query.service) return false;
  if (!query.operation.empty() && span.name != query.operation) return false;
  const std::uint64_t start_us = span.start_unix_nano / 1000;
  if (query.start_us && start_us < *query.start_us) return false;
  if (query.end_us && start_us > *query.end_us) return false;
  for (const auto& [key, want] : query.tags) {
    auto it = span.attributes.find(key);
    if (it == span.attributes.end() || as_text(*it) != want) return false;
  }
  return true;
}

void by_start(std::vector<ReceivedSpan>& spans) {
  std::stable_sort(spans.begin(), spans.end(), [](const auto& a, const auto& b) {
    return a.start_unix_nano < b.start_unix_nano;
  });
}

}  // namespace

SpanStore::SpanStore(std::size_t max_spans) : max_spans_(std::max<std::size_t>(1, max_spans)) {}

void SpanStore::add(std::vector<ReceivedSpan> spans,
                    const std::function<void(const ReceivedSpan&)>& on_span) {
  {
    std::lock_guard lock(mutex_);
    for (auto& span : spans) {
      if (on_span) on_span(span);
      spans_.push_back(std::move(span));
      ++received_count_;
    }
    while (spans_.size() > max_spans_) {
      spans_.pop_front();
      ++evicted_;
    }
  }
  received_.notify_all();
}

std::vector<ReceivedSpan> SpanStore::spans() const {
  std::lock_guard lock(mutex_);
  return {spans_.begin(), spans_.end()};
}

std::size_t SpanStore::size() const {
  std::lock_guard lock(mutex_);
  return spans_.size();
}

std::uint64_t SpanStore::evicted() const {
  std::lock_guard lock(mutex_);
  return evicted_;
}

bool SpanStore::wait_for_spans(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return received_.wait_for(lock, timeout, [&] { return received_count_ >= n; });
}

std::vector<ReceivedSpan> SpanStore::trace(const std::string& trace_id) const {
  std::vector<ReceivedSpan> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& span : spans_) {
      if (span.trace_id == trace_id) out.push_back(span);
    }
  }
  by_start(out);
  return out;
}

std::vector<std::vector<ReceivedSpan>> SpanStore::find_traces(const TraceQuery& query) const {
  std::lock_guard lock(mutex_);
  // Newest matching span start per trace, then the traces in that order.
  std::unordered_map<std::string, std::uint64_t> newest;
  for (const auto& span : spans_) {
    if (!matches(span, query)) continue;
    auto [it, inserted] = newest.try_emplace(span.trace_id, span.start_unix_nano);
    if (!inserted) it->second = std::max(it->second, span.start_unix_nano);
  }
  std::vector<std::pair<std::uint64_t, std::string>> order;
  order.reserve(newest.size());
  for (const auto& [id, start] : newest) order.emplace_back(start, id);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (query.limit > 0 && order.size() > query.limit) order.resize(query.limit);

  std::unordered_map<std::string, std::size_t> slot;
  for (std::size_t i = 0; i < order.size(); ++i) slot.emplace(order[i].second, i);
  std::vector<std::vector<ReceivedSpan>> out(order.size());
  for (const auto& span : spans_) {
    if (auto it = slot.find(span.trace_id); it != slot.end()) out[it->second].push_back(span);
  }
  for (auto& trace : out) by_start(trace);
  return out;
}

std::vector<std::string> SpanStore::services() const {
  std::set<std::string> names;
  {
    std::lock_guard lock(mutex_);
    for (const auto& span : spans_) names.insert(span.service);
  }
  return {names.begin(), names.end()};
}

std::vector<std::string> SpanStore::operations(const std::string& service) const {
  std::set<std::string> names;
  {
    std::lock_guard lock(mutex_);
    for (const auto& span : spans_) {
      if (span.service == service) names.insert(span.name);
    }
  }
  return {names.begin(), names.end()};
}

}  // namespace aether::otlp_sink
