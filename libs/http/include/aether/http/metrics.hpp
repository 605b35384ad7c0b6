// Prometheus metrics: counters, gauges and histograms with label sets, rendered in
// the text exposition format 0.0.4 for the admin server's /metrics.
//
//   aether::http::Registry& reg = aether::http::default_registry();
//   auto& requests = reg.counter_family("aether_api_requests_total", "HTTP requests handled",
//                                       {"method", "code"});
//   auto& get_ok = requests.labels({"GET", "200"});  // resolve once (locks, may allocate)...
//   get_ok.inc();                                    // ...then every update is one atomic op
//   auto& boot = reg.histogram("aether_vm_boot_seconds", "VM boot time", {0.5, 1, 2, 5, 10});
//   boot.observe(1.7);
//
// Lifecycle: register families at start-up; they and their children live as long as the
// Registry (never removed), so references stay valid. Registering the same name again with
// the same type, labels (and buckets) returns the existing family. Invalid names, a second
// registration that differs, or labels() with the wrong number of values are programming
// errors and throw std::invalid_argument.
//
// Threads: everything is thread-safe. Counter/Gauge/Histogram updates are lock-free
// atomics; labels() and registration take a mutex; serialize() reads atomically
// without stopping writers.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace aether::http {

using LabelValues = std::vector<std::string>;

// Only goes up; inc() with a negative or NaN amount is ignored (counters never go down).
class Counter {
 public:
  void inc(double amount = 1.0) {
    if (amount > 0) value_.fetch_add(amount, std::memory_order_relaxed);
  }
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double amount = 1.0) { value_.fetch_add(amount, std::memory_order_relaxed); }
  void dec(double amount = 1.0) { value_.fetch_sub(amount, std::memory_order_relaxed); }
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Upper bounds ("le") are fixed at registration; the +Inf bucket is implicit.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;  // equals cumulative.back()
  };
  [[nodiscard]] Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative
  std::atomic<double> sum_{0};
};

// Prometheus' client default buckets (seconds): 5ms .. 10s.
[[nodiscard]] std::vector<double> default_buckets();
// start, start*factor, ... (count bounds).
[[nodiscard]] std::vector<double> exponential_buckets(double start, double factor, int count);

enum class MetricType { kCounter, kGauge, kHistogram };

// The type-independent part of a family, used by the Registry to render it.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type, std::vector<std::string> labels);
  virtual ~FamilyBase() = default;
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] MetricType type() const { return type_; }
  [[nodiscard]] const std::vector<std::string>& label_names() const { return label_names_; }
  // Appends HELP, TYPE and every child's samples.
  void serialize(std::string& out) const;

 protected:
  void check_arity(std::size_t n) const;
  virtual void serialize_children(std::string& out) const = 0;

  mutable std::mutex children_mutex_;  // guards Family::children_

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

// All children of one metric name, keyed by label values (in label_names() order).
template <class Metric>
class Family final : public FamilyBase {
 public:
  using Factory = std::function<std::unique_ptr<Metric>()>;
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> labels,
         Factory make)
      : FamilyBase(std::move(name), std::move(help), type, std::move(labels)),
        make_(std::move(make)) {}

  // The child for these label values, created on first use. Keep the reference for hot paths.
  Metric& labels(const LabelValues& values) {
    check_arity(values.size());
    std::lock_guard lock(children_mutex_);
    auto& slot = children_[values];
    if (!slot) slot = make_();
    return *slot;
  }
  Metric& labels(std::initializer_list<std::string_view> values) {
    return labels(LabelValues(values.begin(), values.end()));
  }

 private:
  void serialize_children(std::string& out) const override;

  Factory make_;
  std::map<LabelValues, std::unique_ptr<Metric>> children_;  // guarded by children_mutex_
};

// Rendering differs per metric type (defined in metrics.cpp).
template <>
void Family<Counter>::serialize_children(std::string& out) const;
template <>
void Family<Gauge>::serialize_children(std::string& out) const;
template <>
void Family<Histogram>::serialize_children(std::string& out) const;

class Registry {
 public:
  Family<Counter>& counter_family(std::string name, std::string help,
                                  std::vector<std::string> labels);
  Family<Gauge>& gauge_family(std::string name, std::string help, std::vector<std::string> labels);
  Family<Histogram>& histogram_family(std::string name, std::string help,
                                      std::vector<std::string> labels,
                                      std::vector<double> buckets = default_buckets());

  // Unlabelled shorthands: the family's single child.
  Counter& counter(std::string name, std::string help);
  Gauge& gauge(std::string name, std::string help);
  Histogram& histogram(std::string name, std::string help,
                       std::vector<double> buckets = default_buckets());

  // Every family, sorted by name, in text exposition format 0.0.4.
  [[nodiscard]] std::string serialize() const;

 private:
  FamilyBase& add(std::unique_ptr<FamilyBase> family, const std::vector<double>* buckets);

  mutable std::mutex mutex_;  // guards families_ and buckets_
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;
  std::map<std::string, std::vector<double>> buckets_;  // histogram name -> bounds
};

// The process-wide registry that libraries register into and the admin server serves.
[[nodiscard]] Registry& default_registry();

// Text-format pieces, public for tests and custom collectors.
[[nodiscard]] std::string format_value(double v);                  // 3, 0.25, +Inf, NaN
[[nodiscard]] std::string escape_label_value(std::string_view v);  // \\ \" \n
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace aether::http
