// SHA-256 as lowercase hex, over OpenSSL's EVP interface: checksums of
// migrations, guest images and files moved in and out of guests.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace aether::digest {

// An incremental SHA-256. Feed it with update(); hex() finishes it, after
// which it starts over empty. Not thread-safe: one owner at a time.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view data);
  [[nodiscard]] std::string hex();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

[[nodiscard]] std::string sha256_hex(std::string_view data);

}  // namespace aether::digest
