// The autoscaler's Prometheus metrics (registered once per Registry).
// aether_autoscaler_backlog is the create backlog (pending + ack-pending per
// consumer) for operators who prefer an HPA or KEDA on a metric.
#pragma once

#include "aether/http/metrics.hpp"

namespace aether::autoscaler {

struct Metrics {
  explicit Metrics(http::Registry& r)
      : backlog(r.gauge_family("aether_autoscaler_backlog",
                               "creates waiting or booting (pending + ack-pending) per consumer",
                               {"consumer"})),
        pending(r.gauge("aether_autoscaler_backlog_pending",
                        "creates not yet delivered to any worker (all consumers)")),
        desired(r.gauge("aether_autoscaler_desired_workers", "workers demand asks for now")),
        actual(r.gauge("aether_autoscaler_actual_workers", "workers the actuator runs")),
        usable(r.gauge("aether_autoscaler_usable_workers",
                       "workers reporting, not draining, without a runtime fault")),
        faulty(r.gauge("aether_autoscaler_faulty_workers",
                       "workers reporting a runtime fault (not counted as capacity)")),
        leader(r.gauge("aether_autoscaler_leader", "1 while this replica holds the lease")),
        decisions(r.counter_family("aether_autoscaler_decisions_total", "decisions acted on",
                                   {"action"})),
        actuator_errors(r.counter("aether_autoscaler_actuator_errors_total",
                                  "actuator calls that failed (retried with backoff)")),
        undecodable(r.counter("aether_autoscaler_heartbeats_skipped_total",
                              "aether_workers values that did not decode as WorkerStatus")),
        evaluations(r.counter("aether_autoscaler_evaluations_total", "policy evaluations")) {}

  http::Family<http::Gauge>& backlog;
  http::Gauge& pending;
  http::Gauge& desired;
  http::Gauge& actual;
  http::Gauge& usable;
  http::Gauge& faulty;
  http::Gauge& leader;
  http::Family<http::Counter>& decisions;
  http::Counter& actuator_errors;
  http::Counter& undecodable;
  http::Counter& evaluations;
};

}  // namespace aether::autoscaler
