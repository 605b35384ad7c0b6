// File put/get inside the guest, in chunks. A put is FilePut (its content is
// the first piece) followed by FileData frames up to one with last = true,
// written to a temporary file renamed into place at the end; answered by
// FilePutReply. A get is answered by FileData frames then FileGetReply.
// Sizes are bounded by max_bytes; sha256 via OpenSSL.
//
// Owned and driven by the agent's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "aether/v1/guest.pb.h"

namespace aether::vm_agent {

class FileTransfers {
 public:
  using Emit = std::function<void(const v1::GuestFrame&)>;
  // root: prefix for every guest path ("" or a mounted root filesystem).
  FileTransfers(std::size_t max_bytes, std::string root = {});
  ~FileTransfers();
  FileTransfers(const FileTransfers&) = delete;
  FileTransfers& operator=(const FileTransfers&) = delete;

  void begin_put(std::uint64_t id, const v1::FilePut& put, const Emit& emit);
  void data(std::uint64_t id, const v1::FileData& data, const Emit& emit);
  void get(std::uint64_t id, const v1::FileGet& get, const Emit& emit);

 private:
  struct Upload;
  void append(std::uint64_t id, Upload& upload, const std::string& bytes, bool last,
              const Emit& emit);
  void fail(std::uint64_t id, Upload& upload, int code, const std::string& message,
            const Emit& emit);

  std::size_t max_bytes_;
  std::string root_;
  std::map<std::uint64_t, std::unique_ptr<Upload>> uploads_;  // by frame id
};

// ErrorReply frame helper shared by the agent's handlers.
[[nodiscard]] v1::GuestFrame error_frame(std::uint64_t id, int code, const std::string& message);

}  // namespace aether::vm_agent
