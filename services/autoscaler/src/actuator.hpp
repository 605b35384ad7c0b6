// Actuator: what changes the number of workers. One interface, four kinds
// (AETHER_AUTOSCALER_ACTUATOR): kubernetes (/scale subresource of a
// workload), exec (a command, e.g. a cloud CLI), local (aether-vm-worker
// processes on this machine) and dry-run (decides and reports only).
//
// The controller calls scale() only after the workers in `remove` have been
// drained and are empty, so an actuator may remove them at once.
//
// Threads: the controller thread calls every method (one at a time).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "errors.hpp"
#include "fleet_types.hpp"

namespace aether::autoscaler {

struct ScaleRequest {
  int from = 0;
  int to = 0;
  std::vector<WorkerView> remove;  // scale-down: drained workers to remove first
};

class Actuator {
 public:
  virtual ~Actuator() = default;
  [[nodiscard]] virtual std::string_view kind() const = 0;
  // Workers it runs now.
  [[nodiscard]] virtual Result<int> current() = 0;
  // Whether the worker with this id is one of current()'s: the controller
  // counts the others as fixed capacity and never drains them. The default
  // (kubernetes, exec, dry-run): every worker in aether_workers is the
  // actuator's.
  [[nodiscard]] virtual bool managed(const std::string& worker_id) {
    (void)worker_id;
    return true;
  }
  [[nodiscard]] virtual Result<void> scale(const ScaleRequest& request) = 0;
};

// Workers seen in aether_workers: the count an actuator without its own
// record (dry-run, exec without a query command) starts from.
using ObservedWorkers = std::function<int()>;

// Decides and reports only: remembers the count it was told.
class DryRunActuator final : public Actuator {
 public:
  explicit DryRunActuator(ObservedWorkers observed) : observed_(std::move(observed)) {}
  [[nodiscard]] std::string_view kind() const override { return "dry-run"; }
  [[nodiscard]] Result<int> current() override;
  [[nodiscard]] Result<void> scale(const ScaleRequest& request) override;

 private:
  ObservedWorkers observed_;
  int replicas_ = -1;  // -1: not told yet
};

}  // namespace aether::autoscaler
