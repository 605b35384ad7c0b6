// VmClassOption: AETHER_VM_CLASSES, the create size classes, declared the same
// way by every service that touches the create subjects: the api publishes a
// create to aether.cmd.vm.create.<class>, the vm-worker pulls from one durable
// consumer per class, the autoscaler reads those consumers' backlog and
// provisions them. All three must get the same table (deploy/ sets it once, in
// the shared aether-config ConfigMap): a create published for a class no
// worker serves waits in the stream until one does.
//
// Lifecycle/threads: like the Spec's fields: declare at start-up, read after load().
#pragma once

#include "aether/bus/jetstream.hpp"
#include "aether/config/config.hpp"

namespace aether::service {

class VmClassOption {
 public:
  explicit VmClassOption(config::Spec& spec);
  // The field, for a service's own further rule (the worker checks the table
  // against its capacity and per-VM limits).
  [[nodiscard]] config::StringField& field() { return field_; }
  // The loaded table (the default one before load()).
  [[nodiscard]] bus::VmClassTable table() const;

 private:
  config::StringField& field_;
};

}  // namespace aether::service
