// The worker's Prometheus metrics (registered once per Registry).
#pragma once

#include "aether/http/metrics.hpp"

namespace aether::worker {

struct WorkerMetrics {
  explicit WorkerMetrics(http::Registry& r)
      : vms(r.gauge_family("aether_worker_vms", "VMs on this worker by state", {"state"})),
        capacity(r.gauge_family("aether_worker_capacity", "configured capacity", {"resource"})),
        used(r.gauge_family("aether_worker_capacity_used", "capacity reserved now", {"resource"})),
        creates(r.counter_family("aether_worker_creates_total", "CreateVm commands by outcome",
                                 {"result"})),
        boot_seconds(r.histogram("aether_vm_boot_seconds", "hypervisor launch to agent ready",
                                 {0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60})),
        create_to_ready_seconds(
            r.histogram("aether_vm_create_to_ready_seconds", "create fetched to READY published",
                        {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 60})),
        exec_seconds(r.histogram("aether_vm_exec_seconds", "exec duration as seen by the worker",
                                 {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300})),
        warm_pool(r.gauge("aether_worker_warm_pool_vms", "booted VMs waiting in the warm pool")),
        draining(r.gauge("aether_worker_draining", "1 while draining")) {}

  http::Family<http::Gauge>& vms;
  http::Family<http::Gauge>& capacity;
  http::Family<http::Gauge>& used;
  http::Family<http::Counter>& creates;
  http::Histogram& boot_seconds;
  http::Histogram& create_to_ready_seconds;
  http::Histogram& exec_seconds;
  http::Gauge& warm_pool;
  http::Gauge& draining;
};

}  // namespace aether::worker
