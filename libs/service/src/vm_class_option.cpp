#include "aether/service/vm_class_option.hpp"

namespace aether::service {

VmClassOption::VmClassOption(config::Spec& spec)
    : field_(spec.string("AETHER_VM_CLASSES", bus::format_vm_classes(bus::default_vm_classes()),
                         "create size classes, smallest first, name=VCPUSxMEMORY: a create goes "
                         "to aether.cmd.vm.create.<class> (api, vm-worker and autoscaler must "
                         "get the same)")
                 .check([](const std::string& v) -> std::optional<std::string> {
                   auto table = bus::parse_vm_classes(v);
                   if (!table) return table.error().message;
                   return std::nullopt;
                 })) {}

bus::VmClassTable VmClassOption::table() const {
  auto table = bus::parse_vm_classes(field_.value());
  // load() refused a value that does not parse; before load() value() is the default.
  return table ? *table : bus::default_vm_classes();
}

}  // namespace aether::service
