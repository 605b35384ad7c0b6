// sha256 of a file as lowercase hex; errors in vmm's terms (a missing guest
// image names its path). In-memory digests: aether/digest/sha256.hpp.
#pragma once

#include <filesystem>
#include <string>

#include "aether/digest/sha256.hpp"
#include "aether/vmm/errors.hpp"

namespace aether::vmm {

using digest::sha256_hex;
[[nodiscard]] Result<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace aether::vmm
