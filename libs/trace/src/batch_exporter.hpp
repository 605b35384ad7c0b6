// The batching OTLP exporter: a bounded queue drained by one thread.
//
// Lifecycle: constructed and started by init(), stopped by shutdown() (which
// joins the thread). enqueue() never blocks on the network: when the queue is
// full the span is dropped and counted. The worker thread owns the HTTP sender;
// the queue and flush/stop state are guarded by mutex_.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "aether/trace/exporter.hpp"
#include "http_sender.hpp"

namespace aether::trace::detail {

struct ExportCounters {
  std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> retried{0};
};

class BatchExporter {
 public:
  BatchExporter(ExporterConfig config, std::unique_ptr<HttpSender> sender,
                std::shared_ptr<ExportCounters> counters);
  ~BatchExporter();  // stops without waiting for the queue
  BatchExporter(const BatchExporter&) = delete;
  BatchExporter& operator=(const BatchExporter&) = delete;

  void enqueue(RecordedSpan span);
  bool force_flush(std::chrono::milliseconds timeout);
  void shutdown(std::chrono::milliseconds flush_timeout);

 private:
  enum class Outcome { kExported, kFailed, kAbandoned };
  void run();
  Outcome export_batch(const std::vector<RecordedSpan>& batch);
  // Sleeps for `delay` unless the shutdown deadline comes first; false then.
  bool backoff(std::chrono::milliseconds delay);
  [[nodiscard]] std::chrono::milliseconds backoff_delay(int attempt);

  const ExporterConfig config_;
  std::unique_ptr<HttpSender> sender_;  // worker thread only
  std::shared_ptr<ExportCounters> counters_;
  bool failing_ = false;  // worker thread only: logs state changes, not every failure

  std::mutex mutex_;
  std::condition_variable wake_;                         // worker: work, flush or stop
  std::condition_variable flushed_;                      // force_flush callers
  std::deque<RecordedSpan> queue_;                       // guarded by mutex_
  bool stopping_ = false;                                // guarded by mutex_
  std::chrono::steady_clock::time_point stop_deadline_;  // guarded by mutex_
  std::uint64_t flush_requested_ = 0;                    // guarded by mutex_
  std::uint64_t flush_done_ = 0;                         // guarded by mutex_
  std::thread thread_;
};

}  // namespace aether::trace::detail
