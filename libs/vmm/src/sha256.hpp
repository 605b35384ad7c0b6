// sha256 as lowercase hex (OpenSSL).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "aether/vmm/errors.hpp"

namespace aether::vmm {

[[nodiscard]] std::string sha256_hex(std::string_view data);
[[nodiscard]] Result<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace aether::vmm
