#include "sha256.hpp"

#include <fstream>
#include <vector>

#include "aether/digest/sha256.hpp"

namespace aether::vmm {

Result<std::string> sha256_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(Error{Errc::kMissingFile, "cannot read " + path.string()});
  digest::Sha256 sha;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    sha.update(std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())));
  }
  return sha.hex();
}

}  // namespace aether::vmm
