#include "vm_cache_invalidator.hpp"

namespace aether::api {

std::string vm_id_of_event_subject(std::string_view subject) {
  constexpr std::string_view kPrefix = "aether.evt.vm.";
  if (!subject.starts_with(kPrefix)) return {};
  subject.remove_prefix(kPrefix.size());
  const auto dot = subject.find('.');
  if (dot == 0 || dot == std::string_view::npos) return {};
  return std::string(subject.substr(0, dot));
}

std::expected<std::unique_ptr<VmCacheInvalidator>, std::string> VmCacheInvalidator::start(
    bus::Connection& bus, VmReadCache& cache) {
  auto sub = CoreSubscription::subscribe(bus, "aether.evt.vm.>",
                                         [&cache](std::string_view subject, std::string_view) {
                                           const std::string id = vm_id_of_event_subject(subject);
                                           if (!id.empty()) cache.invalidate_pending(id);
                                         });
  if (!sub) return std::unexpected(sub.error());
  (void)bus.flush(std::chrono::seconds(2));  // subscribed at the server before the first read
  auto self = std::unique_ptr<VmCacheInvalidator>(new VmCacheInvalidator());
  self->sub_ = std::move(*sub);
  return self;
}

}  // namespace aether::api
