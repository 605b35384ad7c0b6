// Firecracker's published API (swagger firecracker.yaml) for the calls the
// runtime makes: which method/path exists, required fields, field types,
// enums, and that no unknown field is sent (Firecracker rejects those).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace aether::vmm::fake {

// nullopt when the request is valid; else the reason, as Firecracker's
// fault_message would say it.
[[nodiscard]] std::optional<std::string> check_request(const std::string& method,
                                                       const std::string& path,
                                                       const std::string& body);

}  // namespace aether::vmm::fake
