#include "batch_exporter.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "otlp_encode.hpp"

namespace aether::trace::detail {
namespace {

using Clock = std::chrono::steady_clock;

bool retryable(const HttpResult& r) {
  // Connection failures are transient (collector restarting); so are these
  // statuses per the OTLP/HTTP spec.
  return (r.status == 0 && r.transient) || r.status == 429 || r.status == 502 || r.status == 503 ||
         r.status == 504;
}

}  // namespace

BatchExporter::BatchExporter(ExporterConfig config, std::unique_ptr<HttpSender> sender,
                             std::shared_ptr<ExportCounters> counters)
    : config_(std::move(config)), sender_(std::move(sender)), counters_(std::move(counters)) {
  thread_ = std::thread([this] { run(); });
}

BatchExporter::~BatchExporter() { shutdown(std::chrono::milliseconds(0)); }

void BatchExporter::enqueue(RecordedSpan span) {
  std::lock_guard lock(mutex_);
  if (stopping_ || queue_.size() >= config_.max_queue_size) {
    counters_->dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  queue_.push_back(std::move(span));
  // Wake the worker once per full batch, not on every span.
  if (queue_.size() == config_.max_export_batch_size) wake_.notify_one();
}

bool BatchExporter::force_flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!thread_.joinable()) return queue_.empty();
  const std::uint64_t ticket = ++flush_requested_;
  wake_.notify_one();
  return flushed_.wait_for(lock, timeout, [&] { return flush_done_ >= ticket; });
}

void BatchExporter::shutdown(std::chrono::milliseconds flush_timeout) {
  {
    std::lock_guard lock(mutex_);
    if (!thread_.joinable()) return;
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = Clock::now() + flush_timeout;
    }
    wake_.notify_one();
  }
  thread_.join();
}

void BatchExporter::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    auto due = Clock::now() + config_.schedule_delay;
    wake_.wait_until(lock, due, [&] {
      return stopping_ || flush_requested_ > flush_done_ ||
             queue_.size() >= config_.max_export_batch_size;
    });
    if (stopping_ && Clock::now() >= stop_deadline_) break;
    if (queue_.empty()) {
      if (stopping_) break;
      if (flush_requested_ > flush_done_) {
        flush_done_ = flush_requested_;
        flushed_.notify_all();
      }
      continue;
    }
    std::size_t n = std::min(queue_.size(), config_.max_export_batch_size);
    std::vector<RecordedSpan> batch(std::make_move_iterator(queue_.begin()),
                                    std::make_move_iterator(queue_.begin() + n));
    queue_.erase(queue_.begin(), queue_.begin() + n);
    lock.unlock();
    Outcome outcome = export_batch(batch);
    auto& counter = outcome == Outcome::kAbandoned ? counters_->dropped : counters_->failed;
    if (outcome != Outcome::kExported) counter.fetch_add(batch.size(), std::memory_order_relaxed);
    lock.lock();
  }
  // Whatever is left missed the shutdown deadline.
  counters_->dropped.fetch_add(queue_.size(), std::memory_order_relaxed);
  queue_.clear();
  flush_done_ = flush_requested_;
  flushed_.notify_all();
}

BatchExporter::Outcome BatchExporter::export_batch(const std::vector<RecordedSpan>& batch) {
  const std::string body = encode_export_request(batch, config_);
  for (int attempt = 1;; ++attempt) {
    std::chrono::milliseconds timeout = config_.timeout;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(stop_deadline_ - Clock::now());
        if (left.count() <= 0) return Outcome::kAbandoned;
        timeout = std::min(timeout, left);
      }
    }
    HttpResult result = sender_->post(body, timeout);
    if (result.status >= 200 && result.status < 300) {
      auto rejected = static_cast<std::uint64_t>(
          std::clamp<std::int64_t>(rejected_spans(result.body), 0, batch.size()));
      counters_->exported.fetch_add(batch.size() - rejected, std::memory_order_relaxed);
      counters_->failed.fetch_add(rejected, std::memory_order_relaxed);
      if (failing_) spdlog::info("trace export to {} recovered", config_.endpoint);
      failing_ = false;
      return Outcome::kExported;
    }
    const std::string what =
        result.status == 0 ? result.transport_error : "HTTP " + std::to_string(result.status);
    if (!retryable(result) || attempt >= config_.retry.max_attempts) {
      if (!failing_) {
        spdlog::warn("trace export to {} failed ({}); dropping {} spans", config_.endpoint, what,
                     batch.size());
      }
      failing_ = true;
      return Outcome::kFailed;
    }
    std::chrono::milliseconds delay = backoff_delay(attempt);
    if (result.retry_after) delay = std::min(*result.retry_after, config_.retry.max_retry_after);
    if (!backoff(delay)) return Outcome::kAbandoned;
    counters_->retried.fetch_add(1, std::memory_order_relaxed);
  }
}

std::chrono::milliseconds BatchExporter::backoff_delay(int attempt) {
  // Exponential with "equal jitter": half fixed, half random, so many
  // exporters failing together do not retry in lock-step.
  thread_local std::mt19937_64 gen{std::random_device{}()};
  const auto& policy = config_.retry;
  long long base = policy.initial_backoff.count();
  for (int i = 1; i < attempt && base < policy.max_backoff.count(); ++i) base *= 2;
  base = std::min(base, static_cast<long long>(policy.max_backoff.count()));
  std::uniform_int_distribution<long long> jitter(0, base / 2);
  return std::chrono::milliseconds(base - base / 2 + jitter(gen));
}

bool BatchExporter::backoff(std::chrono::milliseconds delay) {
  const auto until = Clock::now() + delay;
  std::unique_lock lock(mutex_);
  while (true) {
    auto now = Clock::now();
    if (stopping_ && now >= stop_deadline_) return false;
    if (now >= until) return true;
    auto wake_at = stopping_ ? std::min(until, stop_deadline_) : until;
    wake_.wait_until(lock, wake_at);
  }
}

}  // namespace aether::trace::detail
