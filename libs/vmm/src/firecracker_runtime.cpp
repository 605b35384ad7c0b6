#include "aether/vmm/runtime.hpp"

namespace aether::vmm {
namespace {

class FirecrackerRuntime final : public Runtime {
 public:
  explicit FirecrackerRuntime(FirecrackerOptions options) : options_(std::move(options)) {}
  std::string_view name() const override { return "firecracker"; }
  Result<std::unique_ptr<Vm>> boot(const VmConfig& config) override {
    if (auto ok = validate(config); !ok) return std::unexpected(ok.error());
    auto binary = find_executable(options_.binary);
    if (!binary) return std::unexpected(binary.error());
    return std::unexpected(Error{Errc::kUnsupported, "firecracker runtime: not implemented yet"});
  }

 private:
  FirecrackerOptions options_;
};

}  // namespace

std::unique_ptr<Runtime> make_firecracker_runtime(FirecrackerOptions options) {
  return std::make_unique<FirecrackerRuntime>(std::move(options));
}

}  // namespace aether::vmm
