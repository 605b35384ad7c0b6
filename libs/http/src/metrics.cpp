#include "aether/http/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace aether::http {
namespace {

bool valid_metric_name(std::string_view n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0])) != 0) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':';
  });
}

bool valid_label_name(std::string_view n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0])) != 0 || n.starts_with("__")) {
    return false;
  }
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

std::string escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="x",b="y"} plus an optional extra pair (le for histogram buckets); empty when no labels.
std::string label_set(const std::vector<std::string>& names, const LabelValues& values,
                      std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i] + "=\"" + escape_label_value(values[i]) + "\"";
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out.append(extra_name).append("=\"").append(extra_value).append("\"");
  }
  return out + "}";
}

void sample(std::string& out, std::string_view name, std::string_view labels, double v) {
  out.append(name).append(labels).append(" ").append(format_value(v)).append("\n");
}

}  // namespace

// --- values ---------------------------------------------------------------

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double v) {
  // le semantics: v lands in the first bucket whose bound is >= v; NaN goes to +Inf.
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> default_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> exponential_buckets(double start, double factor, int count) {
  if (start <= 0 || factor <= 1 || count < 1) {
    throw std::invalid_argument("exponential_buckets needs start > 0, factor > 1, count >= 1");
  }
  std::vector<double> out;
  for (int i = 0; i < count; ++i, start *= factor) out.push_back(start);
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);  // shortest text that reads back as the same double
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// --- families -------------------------------------------------------------

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> labels)
    : name_(std::move(name)), help_(std::move(help)), type_(type), label_names_(std::move(labels)) {
  if (!valid_metric_name(name_)) {
    throw std::invalid_argument("metric name \"" + name_ +
                                "\" must match [a-zA-Z_:][a-zA-Z0-9_:]*");
  }
  for (const auto& l : label_names_) {
    if (!valid_label_name(l)) {
      throw std::invalid_argument("label name \"" + l + "\" of metric " + name_ +
                                  " must match [a-zA-Z_][a-zA-Z0-9_]* without a leading __");
    }
    if (type_ == MetricType::kHistogram && l == "le") {
      throw std::invalid_argument("histogram " + name_ + " cannot have a label named le");
    }
  }
}

void FamilyBase::check_arity(std::size_t n) const {
  if (n != label_names_.size()) {
    throw std::invalid_argument("metric " + name_ + " takes " +
                                std::to_string(label_names_.size()) + " label values, got " +
                                std::to_string(n));
  }
}

void FamilyBase::serialize(std::string& out) const {
  static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
  out += "# HELP " + name_ + " " + escape_help(help_) + "\n";
  out += "# TYPE " + name_ + " " + kTypeNames[static_cast<int>(type_)] + "\n";
  serialize_children(out);
}

template <>
void Family<Counter>::serialize_children(std::string& out) const {
  std::lock_guard lock(children_mutex_);
  for (const auto& [values, child] : children_) {
    sample(out, name(), label_set(label_names(), values), child->value());
  }
}

template <>
void Family<Gauge>::serialize_children(std::string& out) const {
  std::lock_guard lock(children_mutex_);
  for (const auto& [values, child] : children_) {
    sample(out, name(), label_set(label_names(), values), child->value());
  }
}

template <>
void Family<Histogram>::serialize_children(std::string& out) const {
  std::lock_guard lock(children_mutex_);
  const std::string bucket = name() + "_bucket";
  for (const auto& [values, child] : children_) {
    const auto snap = child->snapshot();
    for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
      const std::string le = i < snap.bounds.size() ? format_value(snap.bounds[i]) : "+Inf";
      sample(out, bucket, label_set(label_names(), values, "le", le),
             static_cast<double>(snap.cumulative[i]));
    }
    const std::string labels = label_set(label_names(), values);
    sample(out, name() + "_sum", labels, snap.sum);
    sample(out, name() + "_count", labels, static_cast<double>(snap.count));
  }
}

// --- registry -------------------------------------------------------------

FamilyBase& Registry::add(std::unique_ptr<FamilyBase> family, const std::vector<double>* buckets) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(family->name());
  if (it == families_.end()) {
    if (buckets) buckets_[family->name()] = *buckets;
    return *families_.emplace(family->name(), std::move(family)).first->second;
  }
  FamilyBase& existing = *it->second;
  const bool same = existing.type() == family->type() &&
                    existing.label_names() == family->label_names() &&
                    (!buckets || buckets_[family->name()] == *buckets);
  if (!same) {
    throw std::invalid_argument("metric " + family->name() +
                                " is already registered with a different type, labels or buckets");
  }
  return existing;
}

Family<Counter>& Registry::counter_family(std::string name, std::string help,
                                          std::vector<std::string> labels) {
  return static_cast<Family<Counter>&>(
      add(std::make_unique<Family<Counter>>(std::move(name), std::move(help), MetricType::kCounter,
                                            std::move(labels),
                                            [] { return std::make_unique<Counter>(); }),
          nullptr));
}

Family<Gauge>& Registry::gauge_family(std::string name, std::string help,
                                      std::vector<std::string> labels) {
  return static_cast<Family<Gauge>&>(add(
      std::make_unique<Family<Gauge>>(std::move(name), std::move(help), MetricType::kGauge,
                                      std::move(labels), [] { return std::make_unique<Gauge>(); }),
      nullptr));
}

Family<Histogram>& Registry::histogram_family(std::string name, std::string help,
                                              std::vector<std::string> labels,
                                              std::vector<double> buckets) {
  const bool increasing =
      std::adjacent_find(buckets.begin(), buckets.end(), std::greater_equal<>()) == buckets.end();
  const bool finite =
      std::all_of(buckets.begin(), buckets.end(), [](double b) { return std::isfinite(b); });
  if (buckets.empty() || !increasing || !finite) {
    throw std::invalid_argument("histogram " + name +
                                " needs at least one finite bucket bound, strictly increasing");
  }
  auto family = std::make_unique<Family<Histogram>>(
      std::move(name), std::move(help), MetricType::kHistogram, std::move(labels),
      [buckets] { return std::make_unique<Histogram>(buckets); });
  return static_cast<Family<Histogram>&>(add(std::move(family), &buckets));
}

Counter& Registry::counter(std::string name, std::string help) {
  return counter_family(std::move(name), std::move(help), {}).labels(LabelValues{});
}

Gauge& Registry::gauge(std::string name, std::string help) {
  return gauge_family(std::move(name), std::move(help), {}).labels(LabelValues{});
}

Histogram& Registry::histogram(std::string name, std::string help, std::vector<double> buckets) {
  return histogram_family(std::move(name), std::move(help), {}, std::move(buckets))
      .labels(LabelValues{});
}

std::string Registry::serialize() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) family->serialize(out);
  return out;
}

Registry& default_registry() {
  static Registry registry;
  return registry;
}

}  // namespace aether::http
