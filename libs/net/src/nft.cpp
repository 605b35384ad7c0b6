#include "nft.hpp"

#include <nftables/libnftables.h>

namespace aether::net {

Result<Nft> Nft::open() {
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (ctx == nullptr) return fail(Errc::kNftables, "nft_ctx_new failed");
  if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
    nft_ctx_free(ctx);
    return fail(Errc::kNftables, "libnftables: cannot buffer output");
  }
  return Nft(ctx);
}

Nft::~Nft() {
  if (ctx_ != nullptr) nft_ctx_free(ctx_);
}

Result<std::string> Nft::run(const std::string& batch, const std::string& what) {
  if (nft_run_cmd_from_buffer(ctx_, batch.c_str()) != 0) {
    std::string error = nft_ctx_get_error_buffer(ctx_);
    while (!error.empty() && error.back() == '\n') error.pop_back();
    return fail(Errc::kNftables, "nftables (" + what + "): " + error);
  }
  return std::string(nft_ctx_get_output_buffer(ctx_));
}

}  // namespace aether::net
