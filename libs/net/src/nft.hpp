// RAII over a libnftables context: runs one batch of nft commands atomically
// and returns nft's output, or its error text as a kNftables error.
// Not thread-safe: HostNetwork serialises its use.
#pragma once

#include <string>

#include "aether/net/errors.hpp"

struct nft_ctx;

namespace aether::net {

class Nft {
 public:
  static Result<Nft> open();
  Nft(Nft&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }
  Nft& operator=(Nft&&) = delete;
  Nft(const Nft&) = delete;
  ~Nft();

  // `what` names the step in the error message ("attach vm-1").
  [[nodiscard]] Result<std::string> run(const std::string& batch, const std::string& what);

 private:
  explicit Nft(nft_ctx* ctx) : ctx_(ctx) {}
  nft_ctx* ctx_;
};

}  // namespace aether::net
